#include "soc/hsem.hpp"

namespace rproctee::soc {

namespace {
constexpr uint32_t kIer = 0x0, kIcr = 0x4, kIsr = 0x8, kMisr = 0xC;
constexpr uint32_t kKeyShift = 16;
constexpr uint32_t kSemaphoreMask = (1u << Hsem::kSemaphores) - 1;
// SECCFGR 0x200, PRIVCFGR 0x210, C1..C3CIDCFGR 0x220..0x228, G0..G3CIDCFGR 0x240..0x24C.
constexpr uint32_t kConfigOffsets[] = {0x200, 0x210, 0x220, 0x224, 0x228, 0x240, 0x244, 0x248};
constexpr uint32_t kOwnLockId = Hsem::kCoreId << Hsem::kLockIdShift;

int config_index(uint32_t offset) {
  for (int i = 0; i < 8; ++i)
    if (kConfigOffsets[i] == offset) return i;
  return -1;
}
}  // namespace

Hsem::CoreInterrupts* Hsem::bank(uint32_t offset, uint32_t& reg) {
  const uint32_t base = offset >= kSecure ? kSecure : kCxIer;
  if (offset < kCxIer || offset >= base + 3 * kCoreStride) return nullptr;
  reg = (offset - base) % kCoreStride;
  return &irq_[(offset - base) / kCoreStride + (base == kSecure ? 3 : 0)];
}

uint32_t Hsem::read32(uint32_t offset) {
  if (offset < kR + 4 * kSemaphores) return r_[offset / 4];
  if (offset >= kRlr && offset < kRlr + 4 * kSemaphores) {
    uint32_t& r = r_[(offset - kRlr) / 4];
    if (!(r & kLock)) r = kLock | kPriv | kOwnLockId;  // one-step take, PROCID 0
    return r;
  }
  uint32_t reg = 0;
  if (CoreInterrupts* b = bank(offset, reg)) {
    switch (reg) {
      case kIer:
        return b->ier;
      case kIsr:
        return b->isr;
      case kMisr:
        return b->isr & b->ier;
      default:
        return 0;  // ICR is write-only
    }
  }
  if (offset == kKeyr) return key_ << kKeyShift;
  if (const int i = config_index(offset); i >= 0) return config_[static_cast<size_t>(i)];
  return 0;
}

void Hsem::write32(uint32_t offset, uint32_t value) {
  if (offset < kR + 4 * kSemaphores) {
    uint32_t& r = r_[offset / 4];
    const uint32_t own = (value & (kProcIdMask | kSec | kPriv)) | kOwnLockId;
    if (value & kLock) {
      if (!(r & kLock)) r = own | kLock;  // taken by someone else: unchanged
    } else if ((r & kLock) &&
               (r & (kProcIdMask | kLockIdMask)) == (own & (kProcIdMask | kLockIdMask))) {
      release(offset / 4);
    }
  } else if (offset == kCr) {
    if ((value >> kKeyShift) == key_ && (value & kLockIdMask) == kOwnLockId)
      for (uint32_t i = 0; i < kSemaphores; ++i)
        if ((r_[i] & kLock) && (r_[i] & kLockIdMask) == kOwnLockId) release(i);
  } else if (offset == kKeyr) {
    key_ = value >> kKeyShift;
  } else if (uint32_t reg = 0; CoreInterrupts* b = bank(offset, reg)) {
    if (reg == kIer) b->ier = value & kSemaphoreMask;
    if (reg == kIcr) b->isr &= ~value;
  } else if (const int i = config_index(offset); i >= 0) {
    config_[static_cast<size_t>(i)] = value;
  } else {
    return;
  }
  if (listener_) listener_();
}

void Hsem::release(uint32_t index) {
  r_[index] = 0;
  for (CoreInterrupts& b : irq_) b.isr |= 1u << index;  // every core is told
}

uint32_t Hsem::irq_lines() const {
  const CoreInterrupts& own = irq_[kCoreId - 1];
  return (own.isr & own.ier) ? 1u : 0u;
}

void Hsem::reset() {
  r_ = {};
  irq_ = {};
  key_ = 0;
  config_ = {};
}

}  // namespace rproctee::soc
