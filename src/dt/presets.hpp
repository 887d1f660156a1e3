// The virtual SoCs that ship with rproctee (platforms/*.dts, compiled with dtc at build time
// and built into the binary), and loading a user's own .dtb or .dts.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "dt/device_tree.hpp"

namespace rproctee::dt {

struct Preset {
  std::string_view name;  // "stm32mp25"
  std::string_view summary;
  std::span<const uint8_t> dtb;
};

/// Every preset, in a stable order.
std::span<const Preset> presets();

/// The device tree of a preset by name (aliases: "stm32mp25-m33", "stm32mp21-m33",
/// "stm32mp15-m4").
Result<DeviceTree> load_preset(std::string_view name);

/// The device tree in a .dtb file, or a .dts file compiled with dtc (C preprocessor first,
/// include paths: the file's folder).
Result<DeviceTree> load_device_tree_file(const std::string& path);

}  // namespace rproctee::dt
