// Runs a program (normally the rproctee binary) and captures its exit code and output.
#pragma once

#include <string>
#include <vector>

namespace rproctee::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `argv` (argv[0] is the program path) in `cwd`, with `stdin_data` on standard input.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& cwd = "",
                          const std::string& stdin_data = "");

/// run_command({rproctee_binary(), args...}).
CommandResult run_rproctee(std::vector<std::string> args, const std::string& cwd = "");

}  // namespace rproctee::test
