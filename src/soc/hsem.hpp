// The STM32MP25 hardware semaphore block (HSEM) as the remote core sees it (ST's CMSIS
// HSEM_TypeDef layout; the Cortex-M33 is core 2). Sixteen semaphores:
//   take, 2 steps: write R[i] = PROCID | LOCKID | LOCK; it succeeds when R[i] reads it back;
//   take, 1 step:  read RLR[i]: locks it for the reader (PROCID 0) when free;
//   release:       write R[i] with LOCK clear, same LOCKID and PROCID;
//   release all:   write CR = KEY << 16 | COREID << 8 with KEY matching KEYR.
// The hardware fills in the LOCKID of the accessing core (2) whatever was written. Each
// release sets the semaphore's bit in every core's ISR (write 1 to ICR clears it); the core's
// interrupt line is C2ISR & C2IER (MISR). Security and CID filtering are not enforced.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "soc/mmio_device.hpp"

namespace rproctee::soc {

class Hsem final : public MmioDevice {
 public:
  static constexpr uint32_t kSemaphores = 16, kCoreId = 2;
  static constexpr uint32_t kR = 0x000, kRlr = 0x080, kCxIer = 0x100, kCoreStride = 0x10,
                            kSecure = 0x180, kCr = 0x230, kKeyr = 0x234;
  // R / RLR bits.
  static constexpr uint32_t kProcIdMask = 0xFF, kLockIdShift = 8, kLockIdMask = 0xF00,
                            kSec = 1u << 12, kPriv = 1u << 13, kLock = 1u << 31;

  uint32_t read32(uint32_t offset) override;
  void write32(uint32_t offset, uint32_t value) override;
  uint32_t irq_lines() const override;
  void set_irq_listener(std::function<void()> changed) override { listener_ = std::move(changed); }
  void reset() override;

 private:
  void release(uint32_t index);
  /// IER/ICR/ISR/MISR of core `core` (0..2), non-secure or secure bank.
  struct CoreInterrupts {
    uint32_t ier = 0, isr = 0;
  };
  CoreInterrupts* bank(uint32_t offset, uint32_t& reg);

  std::array<uint32_t, kSemaphores> r_{};
  std::array<CoreInterrupts, 6> irq_{};  // C1..C3, SC1..SC3
  uint32_t key_ = 0;
  std::array<uint32_t, 8> config_{};  // SECCFGR, PRIVCFGR, CIDCFGRs: read back
  std::function<void()> listener_;
};

}  // namespace rproctee::soc
