// The emulated core's virtual time, in processor clock cycles: it follows the host's monotonic
// clock at the nominal clock frequency (running or sleeping in WFI alike), so reading it costs
// a clock_gettime and no hook has to count instructions. It stands still while a debugger
// holds the core halted. SysTick, the DWT cycle counter, the timers and the watchdog all read
// it through the core.
//
// Threading: the core's thread changes it (restart, pause, resume, skip_to); other threads
// read it only under the core's lock.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>

namespace rproctee::soc {

class VirtualClock {
 public:
  using Host = std::chrono::steady_clock;
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

  explicit VirtualClock(uint64_t clock_hz) : hz_(clock_hz) { restart(); }

  /// Cycle 0 is now (a reset).
  void restart() {
    origin_ = Host::now();
    paused_ = false;
  }
  /// The cycles since restart(), minus the time spent paused.
  uint64_t now() const { return paused_ ? frozen_ : to_cycles(Host::now() - origin_); }

  /// A debugger halted the core: time stands still until resume().
  void pause() {
    if (paused_) return;
    frozen_ = now();
    paused_ = true;
  }
  void resume() {
    if (!paused_) return;
    origin_ = Host::now() - to_host(frozen_);
    paused_ = false;
  }
  /// The clock reads at least `cycles` from now on (a sleep until a deadline that the host's
  /// timer ended a little early).
  void skip_to(uint64_t cycles) {
    if (cycles == kNever || now() >= cycles) return;
    if (paused_)
      frozen_ = cycles;
    else
      origin_ = Host::now() - to_host(cycles);
  }
  /// The host time at which the clock reads `cycles` (time_point::max() for kNever).
  Host::time_point when(uint64_t cycles) const {
    if (cycles == kNever || paused_) return Host::time_point::max();
    return origin_ + to_host(cycles);
  }

 private:
  static constexpr uint64_t kNsPerSecond = 1'000'000'000;
  static constexpr uint64_t kFarSeconds = uint64_t{1} << 32;  // "never" for a host timer
  // Whole seconds and the rest apart, so that neither product overflows 64 bits.
  uint64_t to_cycles(Host::duration d) const {
    const auto ns = static_cast<uint64_t>(
        std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()));
    return ns / kNsPerSecond * hz_ + ns % kNsPerSecond * hz_ / kNsPerSecond;
  }
  // Rounded up: at the returned host time the clock reads at least `cycles`.
  Host::duration to_host(uint64_t cycles) const {
    if (cycles / hz_ > kFarSeconds) return std::chrono::seconds(kFarSeconds);
    const uint64_t ns = cycles / hz_ * kNsPerSecond + (cycles % hz_ * kNsPerSecond + hz_ - 1) / hz_;
    return std::chrono::duration_cast<Host::duration>(
        std::chrono::nanoseconds(static_cast<int64_t>(ns)));
  }

  uint64_t hz_;
  Host::time_point origin_;  // the host time of cycle 0 (moved forward by pauses)
  bool paused_ = false;
  uint64_t frozen_ = 0;  // the reading while paused
};

}  // namespace rproctee::soc
