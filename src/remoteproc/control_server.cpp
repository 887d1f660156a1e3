#include "remoteproc/control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/private_directory.hpp"
#include "common/seqpacket.hpp"

namespace rproctee::remoteproc {

namespace {
constexpr size_t kMaxRequest = 64 * 1024;
constexpr size_t kMaxReply = 8 * 1024 * 1024;  // a resource table dump or dmesg fits
// One SEQPACKET message is bounded by the socket buffer (net.core.wmem_default, 208 KiB by
// default: a longer dmesg failed with EMSGSIZE): replies go in chunks, the end of the
// connection ends the reply.
constexpr size_t kReplyChunk = 64 * 1024;
// A boot (authentication, load, start) is answered within this; a server that does not answer
// at all is given up on.
constexpr std::chrono::seconds kControlReplyTimeout{120};

}  // namespace

Result<std::string> default_control_socket() {
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime) {
    RPROCTEE_CHECK(check_private_directory(runtime));
    return std::string(runtime) + "/rproctee-ctl.sock";
  }
  const std::string dir = fmt::format("/tmp/rproctee-{}", ::geteuid());
  RPROCTEE_ASSIGN(const int fd, open_private_directory(dir));
  ::close(fd);
  return dir + "/ctl.sock";
}

Result<std::unique_ptr<ControlServer>> ControlServer::listen(SysfsTree& tree,
                                                             const std::string& path,
                                                             std::function<void()> on_shutdown) {
  const auto parent = std::filesystem::absolute(path).parent_path().string();
  RPROCTEE_CHECK(check_private_directory(parent));
  std::unique_ptr<ControlServer> s(new ControlServer());
  s->tree_ = &tree;
  s->on_shutdown_ = std::move(on_shutdown);
  s->path_ = path;
  RPROCTEE_ASSIGN(s->fd_, listen_seqpacket(path, 16));
  s->wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  s->spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  s->thread_ = std::thread([p = s.get()] { p->accept_loop(); });
  return s;
}

ControlServer::~ControlServer() {
  stopping_ = true;
  const uint64_t one = 1;
  ssize_t ignored = ::write(wake_, &one, sizeof one);
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  {
    // Clients still served are cut off (their request deadline bounds the wait anyway).
    std::unique_lock lock(mutex_);
    for (int fd : clients_) ::shutdown(fd, SHUT_RDWR);
    drained_.wait(lock, [&] { return running_ == 0; });
  }
  ::close(fd_);
  ::close(wake_);
  if (spare_ >= 0) ::close(spare_);
  ::unlink(path_.c_str());
}

void ControlServer::accept_loop() {
  while (!stopping_) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (::poll(p, 2, -1) <= 0 || !(p[0].revents & POLLIN)) continue;
    const int client = accept_connection(fd_, spare_);
    if (client < 0) continue;
    if (!check_peer_is_trusted(client, path_)) {
      ::close(client);
      continue;
    }
    std::lock_guard lock(mutex_);
    if (running_ >= kMaxControlClients) {  // enough served at once: this one may retry
      ::close(client);
      continue;
    }
    clients_.push_back(client);
    ++running_;
    std::thread([this, client] { serve(client); }).detach();
  }
}

// One request per connection, with a deadline for receiving it and sending the reply.
void ControlServer::serve(int client) {
  set_io_timeout(client, kControlRequestTimeout);
  auto message = receive_message(client, kMaxRequest);
  if (message && !message->bytes.empty()) {
    for (int fd : message->fds) ::close(fd);
    bool shutdown_asked = false;
    const std::string reply = handle_control_request(
        *tree_,
        std::string_view(reinterpret_cast<const char*>(message->bytes.data()),
                         message->bytes.size()),
        [&] { shutdown_asked = true; });
    const auto* bytes = reinterpret_cast<const uint8_t*>(reply.data());
    for (size_t at = 0; at < reply.size(); at += kReplyChunk)
      if (!send_message(client, {bytes + at, std::min(kReplyChunk, reply.size() - at)}, {})) break;
    // After the reply: the shutdown tears this server down and cuts its clients off, and a
    // `ctl shutdown` cut off before its answer reported a malformed reply.
    if (shutdown_asked && on_shutdown_) on_shutdown_();
  }
  std::lock_guard lock(mutex_);
  clients_.erase(std::remove(clients_.begin(), clients_.end(), client), clients_.end());
  ::close(client);
  if (--running_ == 0) drained_.notify_all();
}

std::string handle_control_request(SysfsTree& tree, std::string_view request,
                                   const std::function<void()>& on_shutdown) {
  const size_t space = request.find(' ');
  const std::string_view verb = request.substr(0, space);
  const std::string rest(space == std::string::npos ? "" : request.substr(space + 1));
  std::string data;
  int err = 0;
  if (verb == "read") {
    err = tree.read(rest, data);
  } else if (verb == "list") {
    std::vector<std::string> names;
    err = tree.list(rest, names);
    for (const auto& n : names) data += n + "\n";
  } else if (verb == "write") {
    const size_t nl = rest.find('\n');
    if (nl == std::string::npos) {
      err = -EINVAL;
    } else {
      err = tree.write(rest.substr(0, nl), std::string_view(rest).substr(nl + 1));
    }
  } else if (verb == "shutdown") {
    if (on_shutdown) on_shutdown();
  } else {
    err = -EINVAL;
    data = "unknown request";
  }
  std::string reply = std::to_string(-err) + "\n" + data;
  if (reply.size() > kMaxReply) reply.resize(kMaxReply);
  return reply;
}

Result<std::pair<int, std::string>> control_request(const std::string& socket_path,
                                                    const std::string& request) {
  RPROCTEE_ASSIGN(const int fd, connect_seqpacket(socket_path));
  // Only a server run by this user (or root) may answer: another user's socket at this path
  // would otherwise spoof the replies.
  if (auto trusted = check_peer_is_trusted(fd, socket_path); !trusted) {
    ::close(fd);
    return std::move(trusted).error();
  }
  set_io_timeout(fd, kControlReplyTimeout);
  auto sent =
      send_message(fd, {reinterpret_cast<const uint8_t*>(request.data()), request.size()}, {});
  if (!sent) {
    ::close(fd);
    return std::move(sent).error();
  }
  std::string text;
  for (;;) {  // chunks until the server closes the connection
    auto reply = receive_message(fd, kReplyChunk);
    if (!reply) {
      ::close(fd);
      return std::move(reply).error();
    }
    for (int passed : reply->fds) ::close(passed);
    if (reply->bytes.empty()) break;
    text.append(reply->bytes.begin(), reply->bytes.end());
    if (text.size() > kMaxReply + 64) {
      ::close(fd);
      return make_error(TeeCode::kCommunication, "reply from {} is too long", socket_path);
    }
  }
  ::close(fd);
  const size_t nl = text.find('\n');
  if (nl == std::string::npos)
    return make_error(TeeCode::kCommunication, "malformed reply from {}", socket_path);
  return std::pair{std::atoi(text.substr(0, nl).c_str()), text.substr(nl + 1)};
}

}  // namespace rproctee::remoteproc
