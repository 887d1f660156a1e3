#include "soc/gdb_target.hpp"

#include <fmt/format.h>

namespace rproctee::soc::gdb {

const std::array<RegisterInfo, kRegisterCount> kDebugRegisters = [] {
  using F = RegisterFeature;
  std::array<RegisterInfo, kRegisterCount> r{};
  static constexpr std::string_view kCore[] = {"r0", "r1", "r2", "r3",  "r4",  "r5", "r6",
                                               "r7", "r8", "r9", "r10", "r11", "r12"};
  size_t i = 0;
  for (std::string_view name : kCore) r[i++] = {name, 32, "uint32", F::kMProfile};
  r[i++] = {"sp", 32, "data_ptr", F::kMProfile};
  r[i++] = {"lr", 32, "int", F::kMProfile};
  r[i++] = {"pc", 32, "code_ptr", F::kMProfile};
  r[i++] = {"xpsr", 32, "int", F::kMProfile};
  static constexpr std::string_view kSystem[] = {"msp",     "psp",       "primask",
                                                 "basepri", "faultmask", "control"};
  for (std::string_view name : kSystem) r[i++] = {name, 32, "int", F::kMSystem};
  static constexpr std::string_view kDoubles[] = {"d0",  "d1",  "d2",  "d3", "d4",  "d5",
                                                  "d6",  "d7",  "d8",  "d9", "d10", "d11",
                                                  "d12", "d13", "d14", "d15"};
  for (std::string_view name : kDoubles) r[i++] = {name, 64, "ieee_double", F::kVfp};
  r[i++] = {"fpscr", 32, "int", F::kVfp};
  return r;
}();

std::string target_description_xml() {
  static constexpr std::pair<RegisterFeature, std::string_view> kFeatures[] = {
      {RegisterFeature::kMProfile, "org.gnu.gdb.arm.m-profile"},
      {RegisterFeature::kMSystem, "org.gnu.gdb.arm.m-system"},
      {RegisterFeature::kVfp, "org.gnu.gdb.arm.vfp"},
  };
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\">\n<architecture>arm</architecture>\n";
  for (const auto& [feature, name] : kFeatures) {
    xml += fmt::format("<feature name=\"{}\">\n", name);
    for (size_t n = 0; n < kDebugRegisters.size(); ++n) {
      const RegisterInfo& r = kDebugRegisters[n];
      if (r.feature != feature) continue;
      xml += fmt::format("  <reg name=\"{}\" bitsize=\"{}\" regnum=\"{}\" type=\"{}\"{}/>\n",
                         r.name, r.bits, n, r.type,
                         feature == RegisterFeature::kVfp ? " group=\"float\"" : "");
    }
    xml += "</feature>\n";
  }
  return xml + "</target>\n";
}

}  // namespace rproctee::soc::gdb
