#include "cli/bundled_firmware.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace rproctee::cli {

namespace {

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path(".") : exe.parent_path();
}

}  // namespace

Result<std::string> bundled_demo(const MachineArgs& args) {
  if (args.dtb)
    return make_error(TeeCode::kBadParameters,
                      "with --dtb there is no bundled demo for your platform: name the IMAGE");
  std::string file;
  if (args.platform == "stm32mp15" || args.platform == "stm32mp15-m4") {
    file = "demo-m4.sign";
  } else if (args.platform == "stm32mp21" || args.platform == "stm32mp21-m33") {
    file = "demo-m33-mp21.sign";
  } else if (args.platform == "stm32mp25-elf") {
    file = "demo-m33.elf";
  } else {
    file = "demo-m33.sign";
  }
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("RPROCTEE_FIRMWARE_DIR")) dirs.emplace_back(env);
#ifdef RPROCTEE_BUILD_FIRMWARE_DIR
  dirs.emplace_back(RPROCTEE_BUILD_FIRMWARE_DIR);
#endif
  dirs.push_back(executable_dir() / ".." / "share" / "rproctee" / "firmware");
  std::string tried;
  for (const auto& d : dirs) {
    const auto candidate = d / file;
    if (std::filesystem::is_regular_file(candidate)) return candidate.lexically_normal().string();
    tried += (tried.empty() ? "" : ", ") + d.lexically_normal().string();
  }
  return make_error(TeeCode::kItemNotFound,
                    "the bundled demo {} is not in {} (build the `rproctee_demo_firmware` target, "
                    "which needs arm-none-eabi-gcc, or name an IMAGE)",
                    file, tried);
}

}  // namespace rproctee::cli
