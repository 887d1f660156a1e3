// Printing a normal-world failure (an errno). Apart from command.hpp so that the offline
// commands, which never meet one, do not depend on the remoteproc module.
#pragma once

#include <string_view>

#include "remoteproc/sys_error.hpp"

namespace rproctee::cli {

/// A normal-world failure: "PROG: error: ERRNO_NAME: MESSAGE" to stderr.
void print_error(std::string_view prog, const remoteproc::SysError& error);

}  // namespace rproctee::cli
