#include "common/seqpacket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rproctee {

namespace {

Result<sockaddr_un> address_of(const std::string& path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return make_error(TeeCode::kBadParameters,
                      "socket path \"{}\" is empty or longer than {} bytes", path,
                      sizeof addr.sun_path - 1);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  return addr;
}

}  // namespace

Result<int> listen_seqpacket(const std::string& path, int backlog) {
  // Bound under a temporary name and renamed once listening: whoever sees `path` can connect.
  const std::string staging = path + ".new";
  RPROCTEE_ASSIGN(const sockaddr_un addr, address_of(staging));
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(TeeCode::kCommunication, "socket: {}", std::strerror(errno));
  ::unlink(staging.c_str());
  const mode_t old = ::umask(077);
  const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (bound != 0 || ::listen(fd, backlog) != 0 || ::rename(staging.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlink(staging.c_str());
    return make_error(TeeCode::kCommunication, "cannot listen on {}: {}", path, std::strerror(e));
  }
  return fd;
}

Status check_listening_seqpacket(int fd) {
  int type = 0, listening = 0;
  socklen_t size = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0)
    return make_error(TeeCode::kBadParameters, "descriptor {} is not a socket: {}", fd,
                      std::strerror(errno));
  size = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0) listening = 0;
  if (type != SOCK_SEQPACKET || !listening)
    return make_error(TeeCode::kBadParameters,
                      "descriptor {} is not a listening SOCK_SEQPACKET socket (type {}, {}); "
                      "use ListenSequentialPacket= in the socket unit",
                      fd, type, listening ? "listening" : "not listening");
  return {};
}

Result<int> connect_seqpacket(const std::string& path) {
  RPROCTEE_ASSIGN(const sockaddr_un addr, address_of(path));
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(TeeCode::kCommunication, "socket: {}", std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd);
    return make_error(TeeCode::kItemNotFound, "cannot connect to {}: {}", path, std::strerror(e));
  }
  return fd;
}

int accept_connection(int listener, int& spare) {
  const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0 || (errno != EMFILE && errno != ENFILE) || spare < 0) return fd;
  ::close(spare);
  const int refused = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (refused >= 0) ::close(refused);
  spare = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return -1;
}

Result<PeerCredentials> peer_credentials(int socket) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return make_error(TeeCode::kCommunication, "SO_PEERCRED: {}", std::strerror(errno));
  return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

Status check_peer_is_trusted(int socket, std::string_view what) {
  RPROCTEE_ASSIGN(const PeerCredentials peer, peer_credentials(socket));
  if (peer.uid != ::geteuid() && peer.uid != 0)
    return make_error(TeeCode::kAccessDenied,
                      "{}: the peer (pid {}) runs as uid {}, neither uid {} nor root: refused",
                      what, peer.pid, peer.uid, ::geteuid());
  return {};
}

void set_io_timeout(int socket, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  ::setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

Status send_message(int socket, std::span<const uint8_t> bytes, std::span<const int> fds) {
  if (fds.size() > kMaxFdsPerMessage)
    return make_error(TeeCode::kCommunication, "{} descriptors in one message", fds.size());
  iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(bytes.size()))
    return make_error(TeeCode::kCommunication, "cannot send to the TEE: {}", std::strerror(errno));
  return {};
}

Result<ReceivedMessage> receive_message(int socket, size_t max_size, size_t max_fds) {
  ReceivedMessage m;
  m.bytes.resize(max_size);
  iovec iov{m.bytes.data(), m.bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)] = {};
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * std::min(max_fds, kMaxFdsPerMessage));
  ssize_t n;
  do {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const auto* data = reinterpret_cast<const int*>(CMSG_DATA(c));
    m.fds.insert(m.fds.end(), data, data + count);
  }
  if (n < 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
    for (int fd : m.fds) ::close(fd);
    return make_error(TeeCode::kCommunication, "{}",
                      n < 0 ? std::strerror(errno) : "message or descriptors truncated");
  }
  m.bytes.resize(static_cast<size_t>(n));
  return m;
}

}  // namespace rproctee
