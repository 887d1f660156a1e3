// The table of `rproctee` commands: what main dispatches to, what `rproctee --help` lists, and
// what the man pages and shell completions are generated from.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rproctee::cli {

struct CommandInfo {
  std::string_view name;
  int (*run)(std::vector<std::string> args, std::string prog);
  std::string_view summary;
};

/// Every command, in the order `rproctee --help` lists them.
std::span<const CommandInfo> commands();

/// The command named `name`, or nullptr.
const CommandInfo* find_command(std::string_view name);

}  // namespace rproctee::cli
