#include "remoteproc/control_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/seqpacket.hpp"

namespace rproctee::remoteproc {

namespace {
constexpr size_t kMaxRequest = 64 * 1024;
constexpr size_t kMaxReply = 8 * 1024 * 1024;  // a resource table dump or dmesg fits
// One SEQPACKET message is bounded by the socket buffer (net.core.wmem_default, 208 KiB by
// default: a longer dmesg failed with EMSGSIZE): replies go in chunks, the end of the
// connection ends the reply.
constexpr size_t kReplyChunk = 64 * 1024;

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::listen(SysfsTree& tree,
                                                             const std::string& path,
                                                             std::function<void()> on_shutdown) {
  std::unique_ptr<ControlServer> s(new ControlServer());
  s->tree_ = &tree;
  s->on_shutdown_ = std::move(on_shutdown);
  s->path_ = path;
  RPROCTEE_ASSIGN(s->fd_, listen_seqpacket(path, 8));
  s->wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  s->thread_ = std::thread([p = s.get()] { p->serve(); });
  return s;
}

ControlServer::~ControlServer() {
  stopping_ = true;
  const uint64_t one = 1;
  ssize_t ignored = ::write(wake_, &one, sizeof one);
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
  ::close(wake_);
  ::unlink(path_.c_str());
}

void ControlServer::serve() {
  while (!stopping_) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (::poll(p, 2, -1) <= 0 || !(p[0].revents & POLLIN)) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    // One client at a time, one request each: the sysfs operations are short or, like a
    // boot, serialised by the processor anyway.
    auto message = receive_message(client, kMaxRequest);
    if (message && !message->bytes.empty()) {
      for (int fd : message->fds) ::close(fd);
      const std::string reply = handle(std::string(message->bytes.begin(), message->bytes.end()));
      const auto* bytes = reinterpret_cast<const uint8_t*>(reply.data());
      for (size_t at = 0; at < reply.size(); at += kReplyChunk)
        if (!send_message(client, {bytes + at, std::min(kReplyChunk, reply.size() - at)}, {}))
          break;
    }
    ::close(client);
  }
}

std::string ControlServer::handle(const std::string& request) {
  const size_t space = request.find(' ');
  const std::string verb = request.substr(0, space);
  std::string rest = space == std::string::npos ? "" : request.substr(space + 1);
  std::string data;
  int err = 0;
  if (verb == "read") {
    err = tree_->read(rest, data);
  } else if (verb == "list") {
    std::vector<std::string> names;
    err = tree_->list(rest, names);
    for (const auto& n : names) data += n + "\n";
  } else if (verb == "write") {
    const size_t nl = rest.find('\n');
    if (nl == std::string::npos) {
      err = -EINVAL;
    } else {
      err = tree_->write(rest.substr(0, nl), std::string_view(rest).substr(nl + 1));
    }
  } else if (verb == "shutdown") {
    if (on_shutdown_) on_shutdown_();
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
