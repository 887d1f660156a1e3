// The target description gdb reads with qXfer:features:read:target.xml: an M-profile core
// (org.gnu.gdb.arm.m-profile), its system registers (org.gnu.gdb.arm.m-system) and its
// floating-point registers (org.gnu.gdb.arm.vfp). The register numbers of g/G/p/P are the
// indices in kDebugRegisters.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace rproctee::soc::gdb {

enum class RegisterFeature { kMProfile, kMSystem, kVfp };

struct RegisterInfo {
  std::string_view name;
  unsigned bits;
  std::string_view type;  ///< gdb's type name
  RegisterFeature feature;
};

inline constexpr size_t kRegisterCount = 17 + 6 + 16 + 1;
/// r0-r12, sp, lr, pc, xpsr; msp, psp, primask, basepri, faultmask, control; d0-d15, fpscr.
extern const std::array<RegisterInfo, kRegisterCount> kDebugRegisters;

/// The whole target.xml.
std::string target_description_xml();

}  // namespace rproctee::soc::gdb
