// The STM32MP2 reset and clock controller (RCC) as the remote core sees it: the register
// layout of the STM32MP21 / STM32MP25 (TF-A's stm32mp2{1,5}_rcc.h, ST's CMSIS headers).
//
// The clock tree is in its reset state, every flexgen channel on HSI (64 MHz) divided by one,
// the PLLs off: CMSIS SystemCoreClockUpdate and HAL_RCC_GetFreq compute a 64 MHz core clock,
// which is the emulated core's virtual clock. Everything a driver polls after a change is ready
// at once: oscillator ready flags follow their enables (OCENSETR/OCENCLRR -> OCRDYR, BDCR LSE
// and LSI), PLLRDY follows PLLEN, the divider ready bits are set, the crossbar and divider
// busy flags clear. Peripheral clock/reset enables (xxxCFGR) and the RIF registers read back
// what was written; a RIF semaphore (R[n].SEMCR) taken by the core holds the core's CID.
// Changing the clock tree changes the registers, not the speed of the emulated core.
#pragma once

#include "soc/register_file.hpp"

namespace rproctee::soc {

class Rcc final : public RegisterFile {
 public:
  enum class Variant { kMp21, kMp25 };
  Rcc(Variant variant, uint32_t size);

  static constexpr uint32_t kSize = 0x10000;
  // Registers common to both parts.
  static constexpr uint32_t kResourceCid = 0x030, kBdcr = 0x440, kLsmcuDivr = 0x4D0,
                            kMuxSelCfgr = 0x1000, kXbarCfgr = 0x1018, kPreDivCfgr = 0x1118,
                            kPreDivSr1 = 0x1218, kPreDivSr2 = 0x121C, kFinDivCfgr = 0x1224,
                            kFinDivSr1 = 0x1324, kFinDivSr2 = 0x1328, kPll4Cfgr1 = 0x1360,
                            kPllStride = 0x28;
  static constexpr uint32_t kChannels = 64, kResources = 114;

 private:
  uint32_t on_read(uint32_t offset, uint32_t stored) override;
  uint32_t on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) override;
  bool is_pll_cfgr1(uint32_t offset) const;
  bool has_ready_bit(uint32_t offset) const;

  const Variant variant_;
  const uint32_t ocensetr_, ocenclrr_, ocrdyr_;
};

}  // namespace rproctee::soc
