// How a process names the machine it talks to (the TEE, and the SoC wires beside it): one
// parser for the TEE client library and the normal world's SoC link.
//
//   "unix:/run/rproctee/tee.sock"   a machine process listening on a Unix socket
//   "/run/rproctee/tee.sock"        the same (any name with a '/' is a socket path)
//   "inproc:NAME"                   a machine in this process (tests, the fastest path)
//   "inproc:"                       the only machine in this process
// With no name at all (TEEC_InitializeContext(NULL)), default_machine_address().
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rproctee {

struct MachineAddress {
  enum class Kind { kSocket, kInProcess };
  Kind kind = Kind::kSocket;
  std::string value;  // the socket path, or the in-process name ("" = the only one)
};

/// ITEM_NOT_FOUND (what TEEC_InitializeContext answers for a TEE it cannot name) when `text`
/// is none of the forms above.
Result<MachineAddress> parse_machine_address(std::string_view text);

/// Where `rproctee machine` listens and clients look when not told otherwise, as optee_client
/// opens /dev/tee0: the machine of the host.
inline constexpr std::string_view kDefaultMachineSocket = "/run/rproctee/tee.sock";

/// $RPROCTEE_TEE when set and not empty, else "unix:" kDefaultMachineSocket.
std::string default_machine_address();

/// The socket path of default_machine_address() (kDefaultMachineSocket when $RPROCTEE_TEE
/// names an in-process machine or nothing valid): where `rproctee machine` listens by default.
std::string default_machine_socket();

}  // namespace rproctee
