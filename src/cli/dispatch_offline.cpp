// rproctee runs the offline commands in process and execs rproctee-full for the others, so
// that signing never maps Unicorn, FUSE or libfdt (their loading dominated a small sign).
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "cli/command.hpp"
#include "cli/commands.hpp"

namespace rproctee::cli {

namespace {

/// rproctee-full beside this executable (build tree), or in the libexec directory of its
/// installation prefix.
std::filesystem::path full_executable() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto dir = ec ? std::filesystem::path(".") : self.parent_path();
  const auto beside = dir / "rproctee-full";
  if (::access(beside.c_str(), X_OK) == 0) return beside;
  return (dir / RPROCTEE_LIBEXEC_FROM_BIN / "rproctee-full").lexically_normal();
}

/// Replaces this process by `rproctee-full NAME ARGS...` (same pid, so socket activation's
/// LISTEN_PID and a parent's waitpid still refer to it); returns only on failure.
int exec_full(std::string_view name, std::vector<std::string> args) {
  const auto path = full_executable();
  std::vector<std::string> words = {"rproctee", std::string(name)};
  words.insert(words.end(), std::make_move_iterator(args.begin()),
               std::make_move_iterator(args.end()));
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  ::execv(path.c_str(), argv.data());
  std::cerr << fmt::format("rproctee {}: error: cannot run {}: {}\n", name, path.string(),
                           std::strerror(errno));
  return kExitFailure;
}

/// The run function of a machine command: main calls it with prog "rproctee NAME".
int forward(std::vector<std::string> args, std::string prog) {
  return exec_full(prog.substr(prog.rfind(' ') + 1), std::move(args));
}

std::vector<CommandInfo> table() {
  std::vector<CommandInfo> all(offline_commands().begin(), offline_commands().end());
  for (CommandInfo c : machine_commands()) all.push_back({c.name, forward, c.summary});
  return all;
}

}  // namespace

std::span<const CommandInfo> dispatch_table() {
  static const std::vector<CommandInfo> all = table();
  return all;
}

}  // namespace rproctee::cli
