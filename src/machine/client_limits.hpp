// What one TEE client may hold in the machine, and what all of them together may: a local
// client must not be able to exhaust the machine (descriptors, threads, memory) so that a
// legitimate LOAD fails. Defaults documented in the README ("Client limits"); `rproctee machine
// --client-limits` changes them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rproctee::machine {

// Each connection costs a thread and a descriptor, each shared memory a descriptor and a
// mapping: the totals keep the machine far below its descriptor limit, so that a LOAD always
// finds the few it needs.
struct ClientLimits {
  size_t connections = 64;              // machine-wide (one thread each)
  size_t connections_per_process = 48;  // per peer process (SO_PEERCRED pid)
  size_t sessions_per_client = 16;      // per connection (a TEEC_Context)
  size_t shms_per_client = 32;          // shared memories per connection
  size_t shms_total = 512;              // every client's shared memories together
  uint64_t shm_bytes_per_client = 512ull << 20;
  uint64_t shm_bytes_total = 2ull << 30;
};

/// "connections=64,sessions-per-client=8,..." over the defaults. BAD_PARAMETERS naming the
/// unknown key or the bad value.
Result<ClientLimits> parse_client_limits(std::string_view text);

/// The same syntax back: every key with its value ("connections=64,...").
std::string format_client_limits(const ClientLimits& limits);

}  // namespace rproctee::machine
