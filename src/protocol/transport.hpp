// How a normal-world process reaches the machine: one message interface, two transports. The
// socket transport (the TEE client library's) crosses the real process boundary to
// `rproctee machine`; an in-process machine registers a factory here under a name, so a
// client in the same process reaches it as "inproc:NAME" (unit tests, the fastest path)
// without either side depending on the other's module.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "protocol/machine_link.hpp"

namespace rproctee::protocol {

class Transport {
 public:
  virtual ~Transport() = default;
  /// Sends a request (with descriptors, which stay owned by the caller) and waits for its
  /// reply; descriptors sent back are appended to `received` (owned by the caller).
  virtual Result<Reply> call(const Request& request, std::span<const int> fds,
                             std::vector<int>& received) = 0;
};

/// Makes a new connection (a fresh client, as a new socket connection would be).
using TransportFactory = std::function<std::unique_ptr<Transport>()>;

/// Makes an in-process machine reachable as "inproc:NAME" until unregister_inprocess(NAME).
void register_inprocess(const std::string& name, TransportFactory factory);
void unregister_inprocess(const std::string& name);
/// A new connection to the machine registered under NAME (with "", the only one registered);
/// nullptr when there is none.
std::unique_ptr<Transport> connect_inprocess(const std::string& name);

}  // namespace rproctee::protocol
