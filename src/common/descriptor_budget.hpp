// How many descriptors a server may hand to its clients: its limit (RLIMIT_NOFILE) minus what
// it holds already minus a reserve for its own work (a LOAD's shared memory, a core dump's
// memfd, the mapped regions of a client, a state file, the sanitizers' pipes). A server that
// bounds its clients by this never runs out of descriptors because of them.
#pragma once

#include <cstddef>

namespace rproctee {

/// Descriptors a server keeps for itself beyond those it holds when it starts serving.
inline constexpr size_t kDescriptorReserve = 24;

/// Raises the soft descriptor limit to the hard one (as servers do; the soft default of 1024
/// exists for select() users). Returns the soft limit in force afterwards.
size_t raise_descriptor_limit();

/// Descriptors open in this process now (/proc/self/fd).
size_t open_descriptors();

/// soft limit - open now - kDescriptorReserve, at least 1: how many more descriptors clients
/// may take.
size_t descriptors_for_clients();

}  // namespace rproctee
