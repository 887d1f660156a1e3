#include "soc/timer.hpp"

namespace rproctee::soc {

namespace {
constexpr uint32_t kArrReset = 0xFFFF;
constexpr uint32_t kCounterMask = 0xFFFF;  // 16-bit counters: enough for a time base
}  // namespace

Timer::Timer(uint32_t size) : RegisterFile(size) {
  set_reset_values({{kArr, kArrReset}});
}

void Timer::reset() {
  RegisterFile::reset();
  now_ = origin_ = 0;
  prescaler_ = 0;
}

void Timer::restart(uint64_t at_count) {
  origin_ = now_ - at_count * tick_cycles();
}

void Timer::advance(uint64_t now) {
  if (now < now_) return;
  now_ = now;
  if (!running() || now_ < origin_ + period()) return;
  // One or more update events went by: the flag is set once, the counter phase kept.
  const uint64_t periods = (now_ - origin_) / period();
  if (!(at(kCr1) & kUdis)) at(kSr) |= kUif;
  prescaler_ = at(kPsc) & 0xFFFF;
  if (at(kCr1) & kOpm) {
    at(kCr1) &= ~kCen;
    origin_ = now_;
    return;
  }
  origin_ += periods * period();
}

uint64_t Timer::deadline() const {
  if (!running() || !(at(kDier) & kUie)) return kNever;
  return origin_ + period();
}

uint32_t Timer::on_read(uint32_t offset, uint32_t stored) {
  if (offset == kCnt)
    return running() ? static_cast<uint32_t>((now_ - origin_) / tick_cycles()) & kCounterMask
                     : stored;
  if (offset == kEgr) return 0;
  return stored;
}

uint32_t Timer::on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) {
  switch (offset) {
    case kSr:
      return old & (value | ~mask);  // write 0 to clear
    case kEgr:
      if (value & kUg) {
        prescaler_ = at(kPsc) & 0xFFFF;
        origin_ = now_;
        if (!(at(kCr1) & kUrs)) at(kSr) |= kUif;
      }
      return 0;
    case kCnt:
      restart(value & kCounterMask);
      return value & kCounterMask;
    case kCr1: {
      const uint32_t cr1 = (old & ~mask) | (value & mask);
      if ((cr1 & kCen) && !(old & kCen)) restart(at(kCnt));  // counting from the held value
      if (!(cr1 & kCen) && (old & kCen))
        at(kCnt) = static_cast<uint32_t>((now_ - origin_) / tick_cycles()) & kCounterMask;
      return cr1;
    }
    default:
      return (old & ~mask) | (value & mask);
  }
}

void Timer::after_write(uint32_t offset) {
  (void)offset;
  if (listener_) listener_();
}

}  // namespace rproctee::soc
