// The client side of the machine link: a connection to the machine named by an address
// (common/machine_address.hpp). The TEE client API and the normal world's SoC link both
// connect through here.
#pragma once

#include <memory>
#include <string_view>

#include "common/result.hpp"
#include "protocol/transport.hpp"

namespace rproctee::teec {

/// A new connection: a socket to `rproctee machine`, or a client of an in-process machine.
/// ITEM_NOT_FOUND when the address names nothing that answers.
Result<std::unique_ptr<protocol::Transport>> connect_machine(std::string_view address);

}  // namespace rproctee::teec
