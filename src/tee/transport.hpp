// How a TEE client reaches the machine. Two transports, one message interface: in-process
// (a Connection in the same process: unit tests, fastest path) and a Unix SOCK_SEQPACKET
// socket to `rproctee machine` (the real process boundary).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tee/messages.hpp"

namespace rproctee::tee {

class Machine;

class Transport {
 public:
  virtual ~Transport() = default;
  /// Sends a request (with descriptors, which stay owned by the caller) and waits for its
  /// reply; descriptors sent back are appended to `received` (owned by the caller).
  virtual Result<Reply> call(const Request& request, std::span<const int> fds,
                             std::vector<int>& received) = 0;
};

std::unique_ptr<Transport> make_inprocess_transport(Machine& machine);
Result<std::unique_ptr<Transport>> connect_socket_transport(const std::string& path);

}  // namespace rproctee::tee
