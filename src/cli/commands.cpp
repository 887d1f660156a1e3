#include "cli/commands.hpp"

#include "cli/command.hpp"

namespace rproctee::cli {

namespace {

constexpr CommandInfo kCommands[] = {
    {"sign", sign_main, "sign firmware ELF files (drop-in for sign_rproc_fw.py)"},
    {"verify", verify_main, "verify a signed image offline, as the TA would"},
    {"inspect", inspect_main, "decode a signed image or ELF without a key"},
    {"keygen", keygen_main, "generate a signing key"},
    {"pubkey", pubkey_main, "export a public key (PEM, DER, C header)"},
    {"digest", digest_main, "prepare the bytes to sign on an HSM"},
    {"stitch", stitch_main, "assemble an image from an HSM signature"},
    {"run", run_main, "boot a signed image on the simulated SoC and talk to it"},
    {"machine", machine_main, "run the secure world + simulated SoC on a socket"},
    {"up", up_main, "run the board: machine + normal world + sysfs tree"},
    {"ctl", ctl_main, "drive a running `up` (sysfs operations)"},
    {"down", down_main, "stop a running `up`"},
    {"coredump-open", coredump_open_main, "unseal a core dump with the debug key"},
};

}  // namespace

std::span<const CommandInfo> commands() {
  return kCommands;
}

const CommandInfo* find_command(std::string_view name) {
  for (const CommandInfo& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace rproctee::cli
