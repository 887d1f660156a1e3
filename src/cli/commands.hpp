// The table of `rproctee` commands: what main dispatches to, what `rproctee --help` lists, and
// what the man pages and shell completions are generated from.
//
// Two executables share it. `rproctee` links only the offline commands (sign, verify, inspect,
// keygen, pubkey, digest, stitch), so that their processes never load Unicorn, FUSE or libfdt;
// for the commands that need the simulated SoC it execs `rproctee-full`, which links them all.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rproctee::cli {

struct CommandInfo {
  std::string_view name;
  int (*run)(std::vector<std::string> args, std::string prog);  // null: only in rproctee-full
  std::string_view summary;
};

/// The commands of the offline tool, with their entry points (commands_offline.cpp).
std::span<const CommandInfo> offline_commands();

/// The commands that run the machine or the normal world: names and summaries, `run` null
/// (commands_offline.cpp, so that `rproctee --help` lists them without linking them).
std::span<const CommandInfo> machine_commands();

/// Every command with its entry point, in the order `rproctee --help` lists them: the offline
/// ones, then the machine ones (commands.cpp; links the whole program).
std::span<const CommandInfo> commands();

/// The command named `name` in `table`, or nullptr.
const CommandInfo* find_command(std::span<const CommandInfo> table, std::string_view name);

/// The command named `name` in commands(), or nullptr.
const CommandInfo* find_command(std::string_view name);

/// What the running executable dispatches to (commands() in rproctee-full; the offline
/// commands plus forwarders to rproctee-full in rproctee).
std::span<const CommandInfo> dispatch_table();

}  // namespace rproctee::cli
