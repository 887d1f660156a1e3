#include "soc/scb_config.hpp"

namespace rproctee::soc {

namespace {

constexpr uint32_t kNsacr = 0xD8C;
// MPU_RBAR at 0xD9C and MPU_RLAR right after it, then three aliases of the pair up to 0xDBC.
constexpr uint32_t kMpuType = 0xD90, kMpuCtrl = 0xD94, kMpuRnr = 0xD98, kMpuRbar = 0xD9C,
                   kMpuAliasEnd = 0xDBC, kMair0 = 0xDC0, kMair1 = 0xDC4;
constexpr uint32_t kSauCtrl = 0xDD0, kSauType = 0xDD4, kSauRnr = 0xDD8, kSauRbar = 0xDDC,
                   kSauRlar = 0xDE0, kSfsr = 0xDE4, kSfar = 0xDE8;
constexpr uint32_t kDhcsr = 0xDF0;
constexpr uint32_t kFpcar = 0xF38, kFpdscr = 0xF3C, kMvfr0 = 0xF40, kMvfr1 = 0xF44, kMvfr2 = 0xF48;
// Cortex-M33 with the single-precision FPU (Cortex-M33 TRM, "Floating-point unit").
constexpr uint32_t kMvfr0Value = 0x10110021, kMvfr1Value = 0x11000011, kMvfr2Value = 0x00000040;
constexpr uint32_t kTypeRegions = 8u << 8;  // MPU_TYPE.DREGION / SAU_TYPE.SREGION
constexpr uint32_t kRnrMask = 0xFF;

}  // namespace

void ScbConfig::reset() {
  mpu_ = sau_ = {};
  mpu_ctrl_ = mpu_rnr_ = mair0_ = mair1_ = 0;
  sau_ctrl_ = sau_rnr_ = sfsr_ = sfar_ = 0;
  nsacr_ = demcr_ = fpcar_ = fpdscr_ = 0;
  fpccr_ = kFpccrReset;
}

bool ScbConfig::owns(uint32_t offset) {
  return offset == kNsacr || (offset >= kMpuType && offset <= kSfar) || offset == kDhcsr ||
         offset == kDemcr || (offset >= kFpccr && offset <= kMvfr2);
}

uint32_t ScbConfig::read(uint32_t offset) const {
  // RBAR/RLAR at 0xD9C + 8 * alias: alias n addresses region (RNR & ~3) + n.
  if (offset >= kMpuRbar && offset <= kMpuAliasEnd) {
    const uint32_t alias = (offset - kMpuRbar) / 8;
    const uint32_t region = alias == 0 ? mpu_rnr_ : (mpu_rnr_ & ~3u) + alias;
    if (region >= kRegions) return 0;
    return (offset - kMpuRbar) % 8 == 0 ? mpu_[region].rbar : mpu_[region].rlar;
  }
  switch (offset) {
    case kNsacr:
      return nsacr_;
    case kMpuType:
      return kTypeRegions;
    case kMpuCtrl:
      return mpu_ctrl_;
    case kMpuRnr:
      return mpu_rnr_;
    case kMair0:
      return mair0_;
    case kMair1:
      return mair1_;
    case kSauCtrl:
      return sau_ctrl_;
    case kSauType:
      return kTypeRegions >> 8;  // SREGION is bits 7:0
    case kSauRnr:
      return sau_rnr_;
    case kSauRbar:
      return sau_rnr_ < kRegions ? sau_[sau_rnr_].rbar : 0;
    case kSauRlar:
      return sau_rnr_ < kRegions ? sau_[sau_rnr_].rlar : 0;
    case kSfsr:
      return sfsr_;
    case kSfar:
      return sfar_;
    case kDemcr:
      return demcr_;
    case kFpccr:
      return fpccr_;
    case kFpcar:
      return fpcar_;
    case kFpdscr:
      return fpdscr_;
    case kMvfr0:
      return kMvfr0Value;
    case kMvfr1:
      return kMvfr1Value;
    case kMvfr2:
      return kMvfr2Value;
    default:
      return 0;  // DHCSR: no debugger
  }
}

void ScbConfig::write(uint32_t offset, uint32_t value) {
  if (offset >= kMpuRbar && offset <= kMpuAliasEnd) {
    const uint32_t alias = (offset - kMpuRbar) / 8;
    const uint32_t region = alias == 0 ? mpu_rnr_ : (mpu_rnr_ & ~3u) + alias;
    if (region >= kRegions) return;
    ((offset - kMpuRbar) % 8 == 0 ? mpu_[region].rbar : mpu_[region].rlar) = value;
    return;
  }
  switch (offset) {
    case kNsacr:
      nsacr_ = value;
      break;
    case kMpuCtrl:
      mpu_ctrl_ = value & 7;
      break;
    case kMpuRnr:
      mpu_rnr_ = value & kRnrMask;
      break;
    case kMair0:
      mair0_ = value;
      break;
    case kMair1:
      mair1_ = value;
      break;
    case kSauCtrl:
      sau_ctrl_ = value & 3;
      break;
    case kSauRnr:
      sau_rnr_ = value & kRnrMask;
      break;
    case kSauRbar:
      if (sau_rnr_ < kRegions) sau_[sau_rnr_].rbar = value & ~0x1Fu;
      break;
    case kSauRlar:
      if (sau_rnr_ < kRegions) sau_[sau_rnr_].rlar = value & ~0x1Cu;
      break;
    case kSfsr:
      sfsr_ &= ~value;
      break;  // write one to clear
    case kSfar:
      sfar_ = value;
      break;
    case kDemcr:
      demcr_ = value;
      break;
    case kFpccr:
      fpccr_ = value;
      break;
    case kFpcar:
      fpcar_ = value & ~7u;
      break;
    case kFpdscr:
      fpdscr_ = value;
      break;
    default:
      break;  // read-only
  }
}

}  // namespace rproctee::soc
