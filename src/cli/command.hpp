// What every `rproctee` command shares: exit codes, argument parsing with argparse-style
// abbreviations, and error printing.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace rproctee::cli {

/// Exit codes of every command (ecosystem convention).
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

/// Expands unique prefixes of the app's long options ("--key_t" -> "--key_type"), as Python's
/// argparse does. Exact names win; an ambiguous prefix is a usage error naming the candidates.
Result<std::vector<std::string>> expand_abbreviations(const CLI::App& app,
                                                      std::vector<std::string> args);

/// Every option that may be given several times takes exactly one value (one ID VALUE pair for
/// --plat-tlv) per occurrence, so that `--trust KEY IMAGE` leaves IMAGE to the positional; its
/// help says "(repeatable)". parse_args applies this to every command.
void one_value_per_occurrence(CLI::App& app);

/// Whether `option` may be given several times (after one_value_per_occurrence).
bool is_repeatable(const CLI::Option& option);

/// Parses `args` into `app`. Returns nullopt to continue, or the exit code to return now
/// (0 after --help, 2 after a usage error, printed to stderr with a hint).
std::optional<int> parse_args(CLI::App& app, std::vector<std::string> args);

/// While one lives (on this thread), parse_args hands each command's finished app to `hook`
/// instead of parsing, and the command returns the hook's exit code without doing anything:
/// the man pages, the shell completions and the tests read every command's options this way,
/// from the same definitions as --help.
using AppHook = std::function<int(CLI::App& app, std::vector<std::string>& args)>;
class ScopedAppHook {
 public:
  explicit ScopedAppHook(AppHook hook);
  ~ScopedAppHook();
  ScopedAppHook(const ScopedAppHook&) = delete;
  ScopedAppHook& operator=(const ScopedAppHook&) = delete;

 private:
  AppHook previous_;
};

/// Prints "PROG: error: MESSAGE [TEE_ERROR_X 0x...]" to stderr.
void print_error(std::string_view prog, const Error& error);

/// Prints a usage error and returns kExitUsage.
int usage_error(std::string_view prog, std::string_view message);

/// Each command: its argv after the command name, and its program name for messages.
int sign_main(std::vector<std::string> args, std::string prog);
int verify_main(std::vector<std::string> args, std::string prog);
int inspect_main(std::vector<std::string> args, std::string prog);
int keygen_main(std::vector<std::string> args, std::string prog);
int pubkey_main(std::vector<std::string> args, std::string prog);
int digest_main(std::vector<std::string> args, std::string prog);
int stitch_main(std::vector<std::string> args, std::string prog);
int machine_main(std::vector<std::string> args, std::string prog);
int up_main(std::vector<std::string> args, std::string prog);
int down_main(std::vector<std::string> args, std::string prog);
int ctl_main(std::vector<std::string> args, std::string prog);
int run_main(std::vector<std::string> args, std::string prog);
int coredump_open_main(std::vector<std::string> args, std::string prog);

}  // namespace rproctee::cli
