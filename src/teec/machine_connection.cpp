#include "teec/machine_connection.hpp"

#include <unistd.h>

#include "common/fault_injection.hpp"
#include "common/machine_address.hpp"
#include "common/seqpacket.hpp"

namespace rproctee::teec {

namespace {

class SocketTransport final : public protocol::Transport {
 public:
  explicit SocketTransport(int fd) : fd_(fd) {}
  ~SocketTransport() override { ::close(fd_); }
  Result<protocol::Reply> call(const protocol::Request& request, std::span<const int> fds,
                               std::vector<int>& received) override {
    if (should_fail(FaultPoint::kMessage))
      return make_error(TeeCode::kCommunication, "message to the TEE lost (socket, injected)");
    RPROCTEE_CHECK(send_message(fd_, protocol::encode(request), fds));
    RPROCTEE_ASSIGN(auto message, receive_message(fd_, protocol::kMaxMessageSize));
    if (message.bytes.empty() && message.fds.empty())
      return make_error(TeeCode::kCommunication, "the machine closed the connection");
    received.insert(received.end(), message.fds.begin(), message.fds.end());
    RPROCTEE_ASSIGN(protocol::Reply reply, protocol::decode_reply(message.bytes));
    if (reply.seq != request.seq)
      return make_error(TeeCode::kCommunication, "reply {} to request {}", reply.seq, request.seq);
    return reply;
  }

 private:
  int fd_;
};

}  // namespace

Result<std::unique_ptr<protocol::Transport>> connect_machine(std::string_view text) {
  RPROCTEE_ASSIGN(const MachineAddress address, parse_machine_address(text));
  if (address.kind == MachineAddress::Kind::kInProcess) {
    auto transport = protocol::connect_inprocess(address.value);
    if (!transport)
      return make_error(TeeCode::kItemNotFound, "no in-process machine \"{}\"", address.value);
    return transport;
  }
  auto fd = connect_seqpacket(address.value);
  if (!fd)
    return make_error(TeeCode::kItemNotFound, "cannot reach the machine: {}", fd.error().message);
  return std::unique_ptr<protocol::Transport>(std::make_unique<SocketTransport>(*fd));
}

}  // namespace rproctee::teec
