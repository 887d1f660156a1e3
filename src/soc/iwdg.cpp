#include "soc/iwdg.hpp"

#include <algorithm>
#include <limits>

namespace rproctee::soc {

void Iwdg::reset() {
  started_ = unlocked_ = false;
  pr_ = 0;
  rlr_ = 0xFFF;
  refreshed_at_ = 0;
}

uint32_t Iwdg::read(uint32_t offset) const {
  switch (offset) {
    case kPR:
      return pr_;
    case kRLR:
      return rlr_;
    default:  // KR is write-only; SR: no update in progress (writes take effect at once)
      return 0;
  }
}

void Iwdg::write(uint32_t offset, uint32_t value, uint64_t now) {
  switch (offset) {
    case kKR:
      switch (value & 0xFFFF) {
        case kKeyUnlock:
          unlocked_ = true;
          break;
        case kKeyStart:
          if (!started_) refreshed_at_ = now;
          started_ = true;
          unlocked_ = false;
          break;
        case kKeyRefresh:
          refreshed_at_ = now;
          unlocked_ = false;  // as on the part: a reload write-protects PR and RLR again
          break;
        default:
          unlocked_ = false;
          break;
      }
      break;
    case kPR:
      if (unlocked_) pr_ = std::min<uint32_t>(value & 7, 6);  // 6 and 7 both divide by 256
      break;
    case kRLR:
      if (unlocked_) rlr_ = value & 0xFFF;
      break;
    default:
      break;
  }
}

uint64_t Iwdg::period_cycles() const {
  const uint64_t lsi_ticks = (uint64_t{rlr_} + 1) * (4ull << pr_);
  return lsi_ticks * core_clock_hz_ / kLsiHz;
}

uint64_t Iwdg::deadline() const {
  return started_ ? refreshed_at_ + period_cycles() : std::numeric_limits<uint64_t>::max();
}

double Iwdg::timeout_ms() const {
  return static_cast<double>((uint64_t{rlr_} + 1) * (4ull << pr_)) * 1000.0 / kLsiHz;
}

}  // namespace rproctee::soc
