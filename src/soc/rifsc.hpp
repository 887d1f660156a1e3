// The STM32MP2 resource isolation framework controller (RIFSC) as the remote core sees it
// (ST's CMSIS RISC_TypeDef layout): SECCFGRx, PRIVCFGRx, the per-peripheral CIDCFGR and SEMCR,
// RIMC. The registers read back what was written; their reset state leaves every peripheral
// non-secure, unprivileged and without CID filtering, which CubeMP2's resource manager accepts.
// Taking a peripheral's semaphore (PER[n].SEMCR.SEMMUTEX) records the core's CID (CID2).
#pragma once

#include "soc/register_file.hpp"

namespace rproctee::soc {

class Rifsc final : public RegisterFile {
 public:
  static constexpr uint32_t kPerCidcfgr = 0x100, kPerSemcr = 0x104, kPeripherals = 128;
  explicit Rifsc(uint32_t size) : RegisterFile(size) {}

 private:
  uint32_t on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) override {
    if (offset >= kPerSemcr && offset < kPerSemcr + 8 * kPeripherals &&
        (offset - kPerSemcr) % 8 == 0)
      return rif_semaphore_write(old, value, kRemoteCoreCid);
    return (old & ~mask) | (value & mask);
  }
};

}  // namespace rproctee::soc
