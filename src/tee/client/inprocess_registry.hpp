// In-process TEEs a TEEC_InitializeContext("inproc:NAME") can reach (tests, the fastest path).
#pragma once

#include <string>

namespace rproctee::tee {

class Machine;

/// Makes `machine` reachable as "inproc:NAME" until unregister_inprocess_tee(NAME).
void register_inprocess_tee(const std::string& name, Machine& machine);
void unregister_inprocess_tee(const std::string& name);
/// The machine registered under NAME (nullptr if none); with an empty name, the only one.
Machine* find_inprocess_tee(const std::string& name);

}  // namespace rproctee::tee
