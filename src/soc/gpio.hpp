// An STM32MP2 GPIO port (GPIOA..GPIOK, GPIOZ) as the remote core sees it (ST's CMSIS
// GPIO_TypeDef layout). Configuration registers read back what was written; ODR holds the
// output levels, BSRR sets (low half) and resets (high half) them, set winning, BRR resets;
// IDR reads the output level of output pins and the pull of the others (pull-up: 1), as a
// board with nothing wired to the pins would. Every change of an output pin's level is
// reported to `on_output` ("GPIOH", pin 12, level): the LED of a demo blinks in the log.
// Taking a pin's RIF semaphore (SEMCRn) records the core's CID.
#pragma once

#include <functional>
#include <string>

#include "soc/register_file.hpp"

namespace rproctee::soc {

class Gpio final : public RegisterFile {
 public:
  static constexpr uint32_t kModer = 0x00, kPupdr = 0x0C, kIdr = 0x10, kOdr = 0x14, kBsrr = 0x18,
                            kBrr = 0x28, kCidcfgr0 = 0x50, kSemcr0 = 0x54, kPins = 16;
  /// Every pin in analog mode, the STM32 reset state.
  static constexpr uint32_t kModerReset = 0xFFFFFFFF;
  using OutputListener = std::function<void(uint32_t pin, bool level)>;

  Gpio(uint32_t size, OutputListener on_output);

 private:
  uint32_t on_read(uint32_t offset, uint32_t stored) override;
  uint32_t on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) override;
  void set_outputs(uint32_t odr);
  bool is_output(uint32_t pin) const { return ((at(kModer) >> (2 * pin)) & 3) == 1; }

  OutputListener on_output_;
};

}  // namespace rproctee::soc
