#include "soc/rcc.hpp"

#include <algorithm>
#include <array>

namespace rproctee::soc {

namespace {

// OCENSETR / OCRDYR: HSI, MSI (STM32MP21), HSE and their kernel-clock enables.
constexpr uint32_t kHsiOn = 1u << 0, kHsiKerOn = 1u << 1, kMsiOn = 1u << 2, kHseOn = 1u << 8,
                   kHseKerOn = 1u << 9;
constexpr uint32_t kOscReadyMask = kHsiOn | kMsiOn | kHseOn;  // the RDY bits share the positions
// BDCR: LSE and LSI enables and ready flags.
constexpr uint32_t kLseOn = 1u << 0, kLseRdy = 1u << 2, kLsiOn = 1u << 9, kLsiRdy = 1u << 10;
// PLLxCFGR1.
constexpr uint32_t kPllEn = 1u << 8, kPllRdy = 1u << 24;
// XBARxCFGR: source HSI, channel enabled; STS (bit 7) is the busy flag of a change.
constexpr uint32_t kXbarHsiEnabled = 0x45, kXbarBusy = 1u << 7;
// FINDIVxCFGR: divider enabled, divide by one.
constexpr uint32_t kFinDivEnabledBy1 = 0x40;
// The ready bit of the bus dividers (APBxDIVR, TIMGxPRER, LSMCUDIVR).
constexpr uint32_t kDividerReady = 1u << 31;
constexpr uint32_t kSemcrOffset = 4;  // R[n].SEMCR follows R[n].CIDCFGR

// Offsets that differ between the parts (TF-A stm32mp21_rcc.h / stm32mp25_rcc.h).
constexpr std::array<uint32_t, 9> kMp21Dividers = {0x4AC, 0x4B0, 0x4B4, 0x4B8, 0x4BC,
                                                   0x4C0, 0x4C8, 0x4CC, 0x4D0};
constexpr std::array<uint32_t, 8> kMp25Dividers = {0x4B4, 0x4B8, 0x4BC, 0x4C0,
                                                   0x4C4, 0x4C8, 0x4CC, 0x4D0};
constexpr uint32_t kPll2Cfgr1 = 0x590, kPll3Cfgr1 = 0x5B8;  // the Cortex-A side's PLLs

}  // namespace

Rcc::Rcc(Variant variant, uint32_t size)
    : RegisterFile(size),
      variant_(variant),
      ocensetr_(variant == Variant::kMp21 ? 0x490 : 0x49C),
      ocenclrr_(ocensetr_ + 4),
      ocrdyr_(ocensetr_ + 8) {
  std::vector<std::pair<uint32_t, uint32_t>> values = {
      {ocensetr_, kHsiOn | kHsiKerOn | kHseOn | kHseKerOn}, {kBdcr, kLseOn | kLsiOn}};
  for (uint32_t ch = 0; ch < kChannels; ++ch) {
    values.emplace_back(kXbarCfgr + 4 * ch, kXbarHsiEnabled);
    values.emplace_back(kFinDivCfgr + 4 * ch, kFinDivEnabledBy1);
  }
  set_reset_values(std::move(values));
}

bool Rcc::is_pll_cfgr1(uint32_t offset) const {
  if (offset == kPll2Cfgr1 || (offset == kPll3Cfgr1 && variant_ == Variant::kMp25)) return true;
  return offset >= kPll4Cfgr1 && offset <= kPll4Cfgr1 + 4 * kPllStride &&
         (offset - kPll4Cfgr1) % kPllStride == 0;
}

bool Rcc::has_ready_bit(uint32_t offset) const {
  if (variant_ == Variant::kMp21)
    return std::find(kMp21Dividers.begin(), kMp21Dividers.end(), offset) != kMp21Dividers.end();
  return std::find(kMp25Dividers.begin(), kMp25Dividers.end(), offset) != kMp25Dividers.end();
}

uint32_t Rcc::on_read(uint32_t offset, uint32_t stored) {
  if (offset == ocrdyr_) return at(ocensetr_) & kOscReadyMask;
  if (offset == ocenclrr_) return at(ocensetr_);
  if (offset == kBdcr)
    return (stored & ~(kLseRdy | kLsiRdy)) | ((stored & kLseOn) ? kLseRdy : 0) |
           ((stored & kLsiOn) ? kLsiRdy : 0);
  if (offset >= kPreDivSr1 && offset <= kPreDivSr2) return 0;  // no divider change pending
  if (offset >= kFinDivSr1 && offset <= kFinDivSr2) return 0;
  if (offset >= kXbarCfgr && offset < kXbarCfgr + 4 * kChannels) return stored & ~kXbarBusy;
  if (is_pll_cfgr1(offset)) return (stored & ~kPllRdy) | ((stored & kPllEn) ? kPllRdy : 0);
  if (has_ready_bit(offset)) return stored | kDividerReady;
  return stored;
}

uint32_t Rcc::on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) {
  if (offset == ocensetr_) return old | value;  // write 1 to enable
  if (offset == ocenclrr_) {
    at(ocensetr_) &= ~value;  // write 1 to disable
    return 0;
  }
  if (offset == ocrdyr_) return old;  // read-only
  const uint32_t semcr_first = kResourceCid + kSemcrOffset;
  if (offset >= semcr_first && offset < semcr_first + 8 * kResources &&
      (offset - semcr_first) % 8 == 0)
    return rif_semaphore_write(old, value, kRemoteCoreCid);
  return (old & ~mask) | (value & mask);
}

}  // namespace rproctee::soc
