#include "soc/exti.hpp"

namespace rproctee::soc {

namespace {

/// The bank (0..2) of a per-bank register at `offset`, when it is `reg` of that bank.
bool is_bank_register(uint32_t offset, uint32_t reg) {
  return offset < Exti::kBanks * Exti::kBankStride && offset % Exti::kBankStride == reg;
}

}  // namespace

uint32_t Exti::irq_lines() const {
  const uint32_t pending = at(kRpr1) | at(kFpr1);
  return pending & at(kC2imr1) & ((1u << kGpioLines) - 1);
}

uint32_t Exti::on_read(uint32_t offset, uint32_t stored) {
  return is_bank_register(offset, kSwier1) ? 0 : stored;  // the trigger reads as zero
}

uint32_t Exti::on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) {
  if (is_bank_register(offset, kRpr1) || is_bank_register(offset, kFpr1))
    return old & ~value;  // write 1 to clear
  if (is_bank_register(offset, kSwier1)) {
    at(offset - kSwier1 + kRpr1) |= value;  // a software trigger is a rising edge
    return 0;
  }
  return (old & ~mask) | (value & mask);
}

void Exti::after_write(uint32_t offset) {
  (void)offset;
  if (listener_) listener_();
}

}  // namespace rproctee::soc
