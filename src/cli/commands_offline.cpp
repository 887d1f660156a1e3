#include "cli/command.hpp"
#include "cli/commands.hpp"

namespace rproctee::cli {

namespace {

constexpr CommandInfo kOfflineCommands[] = {
    {"sign", sign_main, "sign firmware ELF files (drop-in for sign_rproc_fw.py)"},
    {"verify", verify_main, "verify a signed image offline, as the TA would"},
    {"inspect", inspect_main, "decode a signed image or ELF without a key"},
    {"keygen", keygen_main, "generate a signing key"},
    {"pubkey", pubkey_main, "export a public key (PEM, DER, C header)"},
    {"digest", digest_main, "prepare the bytes to sign on an HSM"},
    {"stitch", stitch_main, "assemble an image from an HSM signature"},
};

constexpr CommandInfo kMachineCommands[] = {
    {"run", nullptr, "boot a signed image on the simulated SoC and talk to it"},
    {"machine", nullptr, "run the secure world + simulated SoC on a socket"},
    {"up", nullptr, "run the board: machine + normal world + sysfs tree"},
    {"ctl", nullptr, "drive a running `up` (sysfs operations)"},
    {"down", nullptr, "stop a running `up`"},
    {"coredump-open", nullptr, "unseal a core dump with the debug key"},
};

}  // namespace

std::span<const CommandInfo> offline_commands() {
  return kOfflineCommands;
}

std::span<const CommandInfo> machine_commands() {
  return kMachineCommands;
}

const CommandInfo* find_command(std::span<const CommandInfo> table, std::string_view name) {
  for (const CommandInfo& c : table)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace rproctee::cli
