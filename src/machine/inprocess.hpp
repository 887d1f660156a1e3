// A machine in the same process as its clients (unit tests, benchmarks, the fastest path): a
// Connection per client behind the protocol's Transport interface, and the registration that
// makes it reachable as "inproc:NAME" to the TEE client library and the normal world.
#pragma once

#include <memory>
#include <string>

#include "protocol/transport.hpp"

namespace rproctee::machine {

class Machine;

/// A new client of `machine` (its own Connection: sessions and shared memories).
std::unique_ptr<protocol::Transport> make_inprocess_transport(Machine& machine);

/// Makes `machine` reachable as "inproc:NAME" until unregister_inprocess(NAME).
void register_inprocess(const std::string& name, Machine& machine);
void unregister_inprocess(const std::string& name);

}  // namespace rproctee::machine
