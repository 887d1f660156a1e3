#include "soc/gdb_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "soc/gdb_session.hpp"

namespace rproctee::soc {

Result<std::unique_ptr<GdbServer>> GdbServer::start(DebugTarget& target, uint16_t port,
                                                    const std::string& host) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
    return make_error(TeeCode::kBadParameters, "gdb server: {} is not an IPv4 address", host);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(TeeCode::kGeneric, "gdb server: socket: {}", std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 1) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int e = errno;
    ::close(fd);
    return make_error(TeeCode::kGeneric, "gdb server: cannot listen on {}:{}: {}", host, port,
                      std::strerror(e));
  }
  std::unique_ptr<GdbServer> server(new GdbServer(target, fd, ntohs(address.sin_port)));
  server->thread_ = std::thread([s = server.get()] { s->serve(); });
  return server;
}

GdbServer::~GdbServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

void GdbServer::serve() {
  while (!stopping_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    gdb::Session(target_, client, stopping_).run();
    ::close(client);
  }
}

}  // namespace rproctee::soc
