#include "tee/transport.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fault_injection.hpp"
#include "tee/connection.hpp"
#include "tee/socket_io.hpp"

namespace rproctee::tee {

namespace {

Error lost(const char* where) {
  return make_error(TeeCode::kCommunication, "message to the TEE lost ({}, injected)", where);
}

class InProcessTransport final : public Transport {
 public:
  explicit InProcessTransport(Machine& machine) : connection_(machine) {}
  Result<Reply> call(const Request& request, std::span<const int> fds,
                     std::vector<int>& received) override {
    if (should_fail(FaultPoint::kMessage)) return lost("in-process");
    std::vector<int> passed;  // the connection owns what it receives, as across a socket
    for (int fd : fds) passed.push_back(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    Reply reply = connection_.handle(request, std::move(passed), received);
    reply.seq = request.seq;
    return reply;
  }

 private:
  Connection connection_;
};

class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(int fd) : fd_(fd) {}
  ~SocketTransport() override { ::close(fd_); }
  Result<Reply> call(const Request& request, std::span<const int> fds,
                     std::vector<int>& received) override {
    if (should_fail(FaultPoint::kMessage)) return lost("socket");
    RPROCTEE_CHECK(send_message(fd_, encode(request), fds));
    RPROCTEE_ASSIGN(auto message, receive_message(fd_, kMaxMessageSize));
    if (message.bytes.empty() && message.fds.empty())
      return make_error(TeeCode::kCommunication, "the machine closed the connection");
    received.insert(received.end(), message.fds.begin(), message.fds.end());
    RPROCTEE_ASSIGN(Reply reply, decode_reply(message.bytes));
    if (reply.seq != request.seq)
      return make_error(TeeCode::kCommunication, "reply {} to request {}", reply.seq, request.seq);
    return reply;
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<Transport> make_inprocess_transport(Machine& machine) {
  return std::make_unique<InProcessTransport>(machine);
}

Result<std::unique_ptr<Transport>> connect_socket_transport(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return make_error(TeeCode::kBadParameters, "socket path {} is too long", path);
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(TeeCode::kCommunication, "socket: {}", std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd);
    return make_error(TeeCode::kItemNotFound, "cannot connect to the machine at {}: {}", path,
                      std::strerror(e));
  }
  return std::unique_ptr<Transport>(std::make_unique<SocketTransport>(fd));
}

}  // namespace rproctee::tee
