#include "dt/presets.hpp"

#include "common/file_input.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

extern const unsigned char rproctee_dtb_stm32mp25_m33[];
extern const std::size_t rproctee_dtb_stm32mp25_m33_size;
extern const unsigned char rproctee_dtb_stm32mp21_m33[];
extern const std::size_t rproctee_dtb_stm32mp21_m33_size;
extern const unsigned char rproctee_dtb_stm32mp15_m4[];
extern const std::size_t rproctee_dtb_stm32mp15_m4_size;
extern const unsigned char rproctee_dtb_stm32mp25_dual[];
extern const std::size_t rproctee_dtb_stm32mp25_dual_size;
extern const unsigned char rproctee_dtb_stm32mp25_elf[];
extern const std::size_t rproctee_dtb_stm32mp25_elf_size;

namespace rproctee::dt {

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::span<const Preset> presets() {
  static const Preset kPresets[] = {
      {"stm32mp25",
       "STM32MP25-like SoC, Cortex-M33 (v22 st,rproc-tee binding)",
       {rproctee_dtb_stm32mp25_m33, rproctee_dtb_stm32mp25_m33_size}},
      {"stm32mp21",
       "STM32MP215 SoC (STM32MP215F-DK memory layout), Cortex-M33 (v22 st,rproc-tee binding)",
       {rproctee_dtb_stm32mp21_m33, rproctee_dtb_stm32mp21_m33_size}},
      {"stm32mp15",
       "STM32MP15-like SoC, Cortex-M4 (v16 st,stm32mp1-m4-tee binding)",
       {rproctee_dtb_stm32mp15_m4, rproctee_dtb_stm32mp15_m4_size}},
      {"stm32mp25-dual",
       "STM32MP25-like SoC with two remote processors (ids 0 and 1)",
       {rproctee_dtb_stm32mp25_dual, rproctee_dtb_stm32mp25_dual_size}},
      {"stm32mp25-elf",
       "STM32MP25-like SoC whose M33 is loaded by the normal world (no TEE)",
       {rproctee_dtb_stm32mp25_elf, rproctee_dtb_stm32mp25_elf_size}},
  };
  return kPresets;
}

Result<DeviceTree> load_preset(std::string_view name) {
  if (name == "stm32mp25-m33") name = "stm32mp25";
  if (name == "stm32mp21-m33") name = "stm32mp21";
  if (name == "stm32mp15-m4") name = "stm32mp15";
  std::string names;
  for (const Preset& p : presets()) {
    if (p.name == name)
      return DeviceTree::from_blob(std::vector<uint8_t>(p.dtb.begin(), p.dtb.end()),
                                   fmt::format("preset {}", p.name));
    names += fmt::format("{}{}", names.empty() ? "" : ", ", p.name);
  }
  return make_error(TeeCode::kItemNotFound, "no platform preset named \"{}\" (presets: {})", name,
                    names);
}

Result<DeviceTree> load_device_tree_file(const std::string& path) {
  RPROCTEE_ASSIGN(std::vector<uint8_t> bytes,
                  read_regular_file(path, kMaxDeviceTreeFile, "device tree"));
  if (!path.ends_with(".dts")) return DeviceTree::from_blob(std::move(bytes), path);

  // A source file: preprocess and compile it the way the build compiles the presets.
  const auto dir = std::filesystem::path(path).parent_path();
  const std::string inc = shell_quote(dir.empty() ? "." : dir.string());
  const std::string cmd = fmt::format(
      "cpp -nostdinc -undef -x assembler-with-cpp -I {0} {1} | dtc -q -I dts -O dtb -i {0} - 2>&1",
      inc, shell_quote(path));
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return make_error(TeeCode::kGeneric, "cannot run dtc for {}", path);
  // Reserved once: a tree may hold a secure node's key, which must not be left behind in
  // buffers a growing vector gives back.
  std::vector<uint8_t> dtb;
  dtb.reserve(kMaxDeviceTreeFile);
  char buf[4096];
  for (size_t n;
       (n = std::fread(buf, 1, sizeof buf, pipe)) > 0 && dtb.size() <= kMaxDeviceTreeFile;)
    dtb.insert(dtb.end(), buf, buf + n);
  ::explicit_bzero(buf, sizeof buf);
  const int status = ::pclose(pipe);
  if (dtb.size() > kMaxDeviceTreeFile)
    return make_error(TeeCode::kBadParameters, "{}: dtc made a tree over the {}-byte limit", path,
                      kMaxDeviceTreeFile);
  if (status != 0)
    return make_error(TeeCode::kBadFormat, "{}: dtc failed: {}", path,
                      std::string(dtb.begin(), dtb.end()));
  return DeviceTree::from_blob(std::move(dtb), path);
}

}  // namespace rproctee::dt
