#include "machine/socket_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "common/descriptor_budget.hpp"
#include "common/seqpacket.hpp"
#include "machine/connection.hpp"
#include "tee/log.hpp"

namespace rproctee::machine {

namespace {

// Requests carry at most one descriptor (REGISTER_SHM's memfd): a client sending more gets
// them closed by the kernel, not held by the machine.
constexpr size_t kMaxRequestFds = 1;

// At most a line a second: a client hammering the limits must not flood the log.
void log_refusal(const std::string& message) {
  static std::atomic<int64_t> last{0};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (last.exchange(now) == now) return;
  std::fprintf(stderr, "machine: %s\n", message.c_str());
}

}  // namespace

Result<std::unique_ptr<SocketServer>> SocketServer::listen(Machine& machine,
                                                           const std::string& path) {
  RPROCTEE_ASSIGN(const int fd, listen_seqpacket(path));
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    ::close(fd);
    return make_error(TeeCode::kCommunication, "eventfd: {}", std::strerror(errno));
  }
  std::unique_ptr<SocketServer> server(new SocketServer(machine, fd, wake, path));
  server->spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  server->fit_to_descriptors();
  return server;
}

Result<std::unique_ptr<SocketServer>> SocketServer::adopt(Machine& machine, int fd) {
  RPROCTEE_CHECK(check_listening_seqpacket(fd));
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return make_error(TeeCode::kCommunication, "eventfd: {}", std::strerror(errno));
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  std::unique_ptr<SocketServer> server(new SocketServer(machine, fd, wake, ""));
  server->spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  server->fit_to_descriptors();
  return server;
}

// Each connection holds one descriptor (its socket) and, while a request is read, at most
// kMaxRequestFds more; shared memories hold none (mapped, then closed). Connections beyond what
// the descriptor limit leaves after the machine's own and a reserve would make a LOAD fail.
void SocketServer::fit_to_descriptors() {
  const size_t budget = descriptors_for_clients() / (1 + kMaxRequestFds);
  connection_cap_ = std::min(machine_.limits().connections, std::max<size_t>(budget, 1));
  if (connection_cap_ < machine_.limits().connections)
    fmt::print(stderr,
               "machine: the descriptor limit (ulimit -n) leaves room for {} connections, not "
               "the {} of the client limits: serving at most {}\n",
               budget, machine_.limits().connections, connection_cap_);
}

SocketServer::~SocketServer() {
  stop();
  ::close(fd_);
  ::close(wake_);
  if (spare_ >= 0) ::close(spare_);
  if (!path_.empty()) ::unlink(path_.c_str());
}

size_t SocketServer::clients() const {
  std::lock_guard lock(mutex_);
  return client_fds_.size();
}

void SocketServer::request_stop() {
  stopping_ = true;  // (async-signal-safe: no notify; the admission wait is bounded)
  const uint64_t one = 1;
  ssize_t ignored = ::write(wake_, &one, sizeof one);
  (void)ignored;
}

void SocketServer::run() {
  while (!stopping_) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (::poll(p, 2, -1) <= 0 || !(p[0].revents & POLLIN)) continue;
    const int client = accept_connection(fd_, spare_);
    reap();
    if (client < 0) continue;
    auto peer = peer_credentials(client);
    if (auto trusted = check_peer_is_trusted(client, path_); !peer || !trusted) {
      log_refusal(trusted ? peer.error().message : trusted.error().message);
      ::close(client);
      continue;
    }
    std::unique_lock lock(mutex_);
    if (stopping_) {
      ::close(client);
      break;
    }
    // A client that just closed a connection may still be counted for a moment (its thread
    // has not seen the end yet): give a slot that long to free before refusing.
    left_.wait_for(lock, kAdmissionWait, [&] { return stopping_ || admit(peer->pid); });
    if (!admit(peer->pid)) {
      log_refusal(fmt::format("{}: refusing a client of pid {}: {} connections ({} from it)", path_,
                              peer->pid, client_fds_.size(),
                              std::count(client_pids_.begin(), client_pids_.end(), peer->pid)));
      ::close(client);
      continue;
    }
    client_fds_.push_back(client);
    client_pids_.push_back(peer->pid);
    const ClientIdentity identity{peer->pid, peer->uid, peer->gid};
    threads_.emplace_back([this, client, identity] { serve(client, identity); });
  }
}

void SocketServer::stop() {
  stopping_ = true;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  std::lock_guard lock(mutex_);
  finished_.clear();  // every thread that reported is joined
}

void SocketServer::reap() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mutex_);
    for (const std::thread::id id : finished_) {
      auto it = std::find_if(threads_.begin(), threads_.end(),
                             [id](const std::thread& t) { return t.get_id() == id; });
      if (it == threads_.end()) continue;
      done.push_back(std::move(*it));
      threads_.erase(it);
    }
    finished_.clear();
  }
  for (auto& t : done) t.join();  // they only have to return from serve()
}

bool SocketServer::admit(pid_t pid) const {
  const ClientLimits& limits = machine_.limits();
  const auto from_pid =
      static_cast<size_t>(std::count(client_pids_.begin(), client_pids_.end(), pid));
  return client_fds_.size() < connection_cap_ && from_pid < limits.connections_per_process;
}

void SocketServer::serve(int client, ClientIdentity identity) {
  {
    Connection connection(machine_, identity);
    while (!stopping_) {
      auto message = receive_message(client, protocol::kMaxMessageSize, kMaxRequestFds);
      if (!message || (message->bytes.empty() && message->fds.empty())) break;  // gone
      auto request = protocol::decode_request(message->bytes);
      if (!request) {
        for (int fd : message->fds) ::close(fd);
        tee::log(tee::LogLevel::kWarning, "machine", "dropping client: {}",
                 request.error().message);
        break;
      }
      std::vector<int> reply_fds;
      Reply reply = connection.handle(*request, std::move(message->fds), reply_fds);
      reply.seq = request->seq;
      const Status sent = send_message(client, protocol::encode(reply), reply_fds);
      for (int fd : reply_fds) ::close(fd);
      if (!sent) break;  // the client died mid-call: clean up below
    }
  }  // the Connection closes the client's sessions and shared memory here
  std::lock_guard lock(mutex_);
  const auto at = std::find(client_fds_.begin(), client_fds_.end(), client);
  client_pids_.erase(client_pids_.begin() + (at - client_fds_.begin()));
  client_fds_.erase(at);
  left_.notify_all();
  ::close(client);
  finished_.push_back(std::this_thread::get_id());
}

}  // namespace rproctee::machine
