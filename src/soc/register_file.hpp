// The common part of the simple peripheral models (RCC, PWR, SYSCFG, RIFSC, EXTI, GPIO,
// timers): a block of 32-bit registers that read back what was written, with reset values,
// and two hooks for the registers that do more (ready flags, write-1-to-clear, set/reset).
// Narrow stores change only their bytes, as on the AHB/APB register files of the STM32.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "soc/mmio_device.hpp"

namespace rproctee::soc {

class RegisterFile : public MmioDevice {
 public:
  /// `size`: bytes of the block (the peripheral's address range); reads beyond the registers
  /// a model knows return what was stored there (0 after reset), as RAZ/WI would for 0.
  explicit RegisterFile(uint32_t size) : regs_(size / 4) {}

  uint32_t read32(uint32_t offset) final;
  void write32(uint32_t offset, uint32_t value) final { write_masked(offset, value, ~0u); }
  void write_masked(uint32_t offset, uint32_t value, uint32_t mask) final;
  void reset() override;

 protected:
  /// The value a read returns; `stored` is the register's content.
  virtual uint32_t on_read(uint32_t offset, uint32_t stored) { return (void)offset, stored; }
  /// What a store of `value` to the bytes `mask` selects leaves in the register (`old`: its
  /// content before). The default merges the bytes.
  virtual uint32_t on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) {
    return (void)offset, (old & ~mask) | (value & mask);
  }
  /// Called after each write (side effects on other registers, interrupt lines).
  virtual void after_write(uint32_t offset) { (void)offset; }

  /// Reset values other than zero, applied by reset().
  void set_reset_values(std::vector<std::pair<uint32_t, uint32_t>> values);
  bool has(uint32_t offset) const { return offset / 4 < regs_.size(); }
  uint32_t& at(uint32_t offset) { return regs_[offset / 4]; }
  uint32_t at(uint32_t offset) const { return regs_[offset / 4]; }

 private:
  std::vector<uint32_t> regs_;
  std::vector<std::pair<uint32_t, uint32_t>> reset_values_;
};

/// RIF semaphore registers (SEMCR of RCC, GPIO, RIFSC resources): writing SEMMUTEX takes the
/// semaphore for the writing CID when it is free, writing 0 releases it when the writer owns
/// it. Returns the register's new content.
uint32_t rif_semaphore_write(uint32_t current, uint32_t value, uint32_t cid);

/// The CID of the remote core on STM32MP2 (Cortex-M33: CID2).
inline constexpr uint32_t kRemoteCoreCid = 2;

}  // namespace rproctee::soc
