// The STM32MP2 power controller (PWR) as the remote core sees it: its registers read back what
// was written (ST's CMSIS PWR_TypeDef layout), and the supply monitors are ready as soon as
// they are enabled: CR1's VDDIO3/VDDIO4/USB33/UCPD/A RDY bits (16..20) follow their VMEN bits
// (0..4), so a driver that enables one and polls its ready flag (the USB-PD stack's UCPDRDY)
// goes on.
#pragma once

#include "soc/register_file.hpp"

namespace rproctee::soc {

class Pwr final : public RegisterFile {
 public:
  static constexpr uint32_t kCr1 = 0x00;
  explicit Pwr(uint32_t size) : RegisterFile(size) {}

 private:
  uint32_t on_read(uint32_t offset, uint32_t stored) override;
};

}  // namespace rproctee::soc
