// An STM32MP2 extended interrupt and event controller (EXTI1, EXTI2) as the remote core sees it
// (ST's CMSIS EXTI_TypeDef layout). Configuration registers read back what was written (edge
// selection, EXTICR port selection, the CPU masks). A software trigger (SWIERx) or an edge makes
// a line pending in RPRx / FPRx (write 1 to clear); lines 0..15 (the GPIO lines) raise the
// remote core's interrupt n when pending and unmasked in C2IMR1 (the Cortex-M33 is CPU2).
#pragma once

#include <functional>

#include "soc/register_file.hpp"

namespace rproctee::soc {

class Exti final : public RegisterFile {
 public:
  static constexpr uint32_t kRtsr1 = 0x00, kFtsr1 = 0x04, kSwier1 = 0x08, kRpr1 = 0x0C,
                            kFpr1 = 0x10, kBankStride = 0x20, kBanks = 3, kExticr = 0x60,
                            kC2imr1 = 0xC0;
  static constexpr uint32_t kGpioLines = 16;
  explicit Exti(uint32_t size) : RegisterFile(size) {}

  uint32_t irq_lines() const override;
  void set_irq_listener(std::function<void()> changed) override { listener_ = std::move(changed); }

 private:
  uint32_t on_read(uint32_t offset, uint32_t stored) override;
  uint32_t on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) override;
  void after_write(uint32_t offset) override;
  std::function<void()> listener_;
};

}  // namespace rproctee::soc
