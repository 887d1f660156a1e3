#include <fcntl.h>

#include "common/fault_injection.hpp"
#include "machine/connection.hpp"
#include "machine/inprocess.hpp"

namespace rproctee::machine {

namespace {

class InProcessTransport final : public protocol::Transport {
 public:
  explicit InProcessTransport(Machine& machine)
      : connection_(machine, ClientIdentity::of_this_process()) {}
  Result<protocol::Reply> call(const protocol::Request& request, std::span<const int> fds,
                               std::vector<int>& received) override {
    if (should_fail(FaultPoint::kMessage))
      return make_error(TeeCode::kCommunication, "message to the TEE lost (in-process, injected)");
    std::vector<int> passed;  // the connection owns what it receives, as across a socket
    for (int fd : fds) passed.push_back(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    protocol::Reply reply = connection_.handle(request, std::move(passed), received);
    reply.seq = request.seq;
    return reply;
  }

 private:
  Connection connection_;
};

}  // namespace

std::unique_ptr<protocol::Transport> make_inprocess_transport(Machine& machine) {
  return std::make_unique<InProcessTransport>(machine);
}

void register_inprocess(const std::string& name, Machine& machine) {
  protocol::register_inprocess(name, [&machine] { return make_inprocess_transport(machine); });
}

void unregister_inprocess(const std::string& name) {
  protocol::unregister_inprocess(name);
}

}  // namespace rproctee::machine
