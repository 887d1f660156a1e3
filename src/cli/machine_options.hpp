// The options every command that starts a machine shares (machine, and later up and run):
// which platform, extra trusted keys, the AES key, production mode, state directory.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "platform/secure_config.hpp"

namespace rproctee::cli {

struct MachineArgs {
  std::string platform = "stm32mp25";
  std::optional<std::string> dtb;
  std::vector<std::string> trust;
  std::optional<std::string> enc_key;
  bool production = false;
  std::string state_dir;
  std::string core = "emulated";     // or "held": no instruction runs (hold-boot/reset only)
  std::string unmodelled = "fault";  // or "ignore": what an unmodelled peripheral answers
  /// Where the board's serial console goes (`machine --console`): "log" (its stderr),
  /// "fd:N", "pty:PATH". `up` and `run` set it for their machine.
  std::string console = "log";
  std::optional<std::string> client_limits;  // machine::parse_client_limits syntax
  bool debug = false;  // the machine stays dumpable (core dumps, ptrace by the same user)
  std::optional<uint16_t> gdb_port;  // a gdb server per core: processor i on PORT + i
  bool gdb_wait = false;             // halt at the reset vector until a debugger resumes
};

void add_machine_options(CLI::App& app, MachineArgs& args);

/// Loads the description, applies --trust/--enc-key (with a warning on stderr each) and, with
/// --production, refuses published development keys. Only the machine process calls it: the
/// normal world (`up`, `run`) passes these options on to its machine and never reads them.
Result<platform::Description> load_machine_description(const MachineArgs& args,
                                                       std::string_view prog);

}  // namespace rproctee::cli
