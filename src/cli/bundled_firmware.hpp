// The demo firmware built with rproctee (firmware/): where `rproctee run` finds the image of a
// platform when the user names none.
#pragma once

#include <string>

#include "cli/machine_options.hpp"
#include "common/result.hpp"

namespace rproctee::cli {

/// The bundled demo image for the platform of `args`: demo-m33.sign (stm32mp25, -dual),
/// demo-m33-mp21.sign (stm32mp21),
/// demo-m4.sign (stm32mp15), demo-m33.elf (stm32mp25-elf, which loads plain ELF). Looked up in
/// $RPROCTEE_FIRMWARE_DIR, the build tree, then PREFIX/share/rproctee/firmware.
Result<std::string> bundled_demo(const MachineArgs& args);

}  // namespace rproctee::cli
