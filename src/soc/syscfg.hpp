// The STM32MP2 system configuration controller (SYSCFG) as the remote core sees it: BOOTSR
// (offset 0) reports the boot pins, read-only; the other registers read back what was written.
// The boot pins say "boot from flash", not one of the two development modes (BOOT[3:0] 0011 or
// 1100): ST's firmware then expects the Cortex-A side to have configured the clocks and the
// resource isolation, which is what the simulated board does.
#pragma once

#include "soc/register_file.hpp"

namespace rproctee::soc {

class Syscfg final : public RegisterFile {
 public:
  static constexpr uint32_t kBootsr = 0x00;
  static constexpr uint32_t kBootPins = 0x0;  // BOOT[3:0]
  explicit Syscfg(uint32_t size) : RegisterFile(size) { set_reset_values({{kBootsr, kBootPins}}); }

 private:
  uint32_t on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) override {
    return offset == kBootsr ? old : (old & ~mask) | (value & mask);
  }
};

}  // namespace rproctee::soc
