// The configuration registers of the Cortex-M33 System Control Space that CMSIS start-up code,
// RTOS ports and HALs write and read back, without an effect the emulation enforces: the MPU
// (8 regions, RBAR/RLAR and their aliases, MAIR0/1), the SAU (8 regions, no TrustZone split
// is emulated), NSACR, the debug registers DHCSR (no debugger attached) and DEMCR (TRCENA
// gates the DWT cycle counter), and the FPU's FPCCR / FPCAR / FPDSCR / MVFR0-2. Offsets from
// 0xE000E000. Memory protection is not enforced: an MPU fault never happens.
#pragma once

#include <array>
#include <cstdint>

namespace rproctee::soc {

class ScbConfig {
 public:
  static constexpr uint32_t kDemcr = 0xDFC, kFpccr = 0xF34;
  static constexpr uint32_t kTrcEna = 1u << 24;
  /// FPCCR reset: automatic and lazy state preservation enabled (ASPEN, LSPEN).
  static constexpr uint32_t kFpccrReset = 0xC0000000;

  ScbConfig() { reset(); }
  void reset();
  /// True for the offsets this block answers.
  static bool owns(uint32_t offset);
  uint32_t read(uint32_t offset) const;
  void write(uint32_t offset, uint32_t value);
  bool trace_enabled() const { return demcr_ & kTrcEna; }

 private:
  static constexpr uint32_t kRegions = 8;
  struct Region {
    uint32_t rbar = 0, rlar = 0;
  };
  std::array<Region, kRegions> mpu_{}, sau_{};
  uint32_t mpu_ctrl_ = 0, mpu_rnr_ = 0, mair0_ = 0, mair1_ = 0;
  uint32_t sau_ctrl_ = 0, sau_rnr_ = 0, sfsr_ = 0, sfar_ = 0;
  uint32_t nsacr_ = 0, demcr_ = 0, fpccr_ = 0, fpcar_ = 0, fpdscr_ = 0;
};

}  // namespace rproctee::soc
