#include "soc/dwt.hpp"

namespace rproctee::soc {

uint32_t DebugBlocks::read(uint32_t offset, bool trace_enabled, uint64_t now) const {
  switch (offset) {
    case kDwtCtrl:
      return kNumComp | ctrl_;
    case kDwtCyccnt:
      return counting(trace_enabled) ? cyccnt_ + static_cast<uint32_t>(now - counting_since_)
                                     : cyccnt_;
    default:
      return 0;  // ITM, FPB and the other DWT registers: RAZ
  }
}

void DebugBlocks::retime(bool was_enabled, uint64_t now) {
  cyccnt_ = read(kDwtCyccnt, was_enabled, now);
  counting_since_ = now;
}

void DebugBlocks::write(uint32_t offset, uint32_t value, bool trace_enabled, uint64_t now) {
  retime(trace_enabled, now);  // the count so far, then the new setting
  switch (offset) {
    case kDwtCtrl:
      ctrl_ = value & kCycCntEna;
      break;
    case kDwtCyccnt:
      cyccnt_ = value;
      break;
    default:
      break;  // WI
  }
}

}  // namespace rproctee::soc
