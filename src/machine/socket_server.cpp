#include "machine/socket_server.hpp"

#include <fcntl.h>
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
#include "machine/connection.hpp"

namespace rproctee::machine {

Result<std::unique_ptr<SocketServer>> SocketServer::listen(Machine& machine,
                                                           const std::string& path) {
  RPROCTEE_ASSIGN(const int fd, listen_seqpacket(path));
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    ::close(fd);
    return make_error(TeeCode::kCommunication, "eventfd: {}", std::strerror(errno));
  }
  return std::unique_ptr<SocketServer>(new SocketServer(machine, fd, wake, path));
}

Result<std::unique_ptr<SocketServer>> SocketServer::adopt(Machine& machine, int fd) {
  RPROCTEE_CHECK(check_listening_seqpacket(fd));
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return make_error(TeeCode::kCommunication, "eventfd: {}", std::strerror(errno));
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return std::unique_ptr<SocketServer>(new SocketServer(machine, fd, wake, ""));
}

SocketServer::~SocketServer() {
  stop();
  ::close(fd_);
  ::close(wake_);
  if (!path_.empty()) ::unlink(path_.c_str());
}

size_t SocketServer::clients() const {
  std::lock_guard lock(mutex_);
  return client_fds_.size();
}

void SocketServer::request_stop() {
  stopping_ = true;
  const uint64_t one = 1;
  ssize_t ignored = ::write(wake_, &one, sizeof one);
  (void)ignored;
}

void SocketServer::run() {
  while (!stopping_) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (::poll(p, 2, -1) <= 0 || !(p[0].revents & POLLIN)) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    reap();
    if (client < 0) continue;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(client);
      break;
    }
    client_fds_.push_back(client);
    threads_.emplace_back([this, client] { serve(client); });
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

void SocketServer::serve(int client) {
  {
    Connection connection(machine_);
    while (!stopping_) {
      auto message = receive_message(client, protocol::kMaxMessageSize);
      if (!message || (message->bytes.empty() && message->fds.empty())) break;  // gone
      auto request = protocol::decode_request(message->bytes);
      if (!request) {
        for (int fd : message->fds) ::close(fd);
        std::fprintf(stderr, "machine: dropping client: %s\n", request.error().message.c_str());
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
  client_fds_.erase(std::remove(client_fds_.begin(), client_fds_.end(), client), client_fds_.end());
  ::close(client);
  finished_.push_back(std::this_thread::get_id());
}

}  // namespace rproctee::machine
