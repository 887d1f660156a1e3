// rproctee-full dispatches to every command in process.
#include "cli/commands.hpp"

namespace rproctee::cli {

std::span<const CommandInfo> dispatch_table() {
  return commands();
}

}  // namespace rproctee::cli
