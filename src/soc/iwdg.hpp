// The STM32 independent watchdog (IWDG) of the simulated SoC, seen by the remote core: the
// register layout of the real part (KR, PR, RLR, SR), counting down on its own 32 kHz clock
// (LSI). Pure state like the SCS: the core serialises every call and supplies the virtual time
// in processor clock cycles (the host's clock, soc/virtual_clock.hpp).
//
// Once started (KR = 0xCCCC) it cannot be stopped, only refreshed (KR = 0xAAAA); PR and RLR
// are writable after KR = 0x5555. Expiry resets the remote processor on a board; here the core
// reports a watchdog crash to the normal world, as stm32_rproc's "wdg" interrupt does.
#pragma once

#include <cstdint>

namespace rproctee::soc {

class Iwdg {
 public:
  static constexpr uint32_t kKR = 0x00, kPR = 0x04, kRLR = 0x08, kSR = 0x0C, kSize = 0x400;
  static constexpr uint32_t kKeyUnlock = 0x5555, kKeyStart = 0xCCCC, kKeyRefresh = 0xAAAA;
  static constexpr uint32_t kLsiHz = 32'000;

  explicit Iwdg(uint64_t core_clock_hz) : core_clock_hz_(core_clock_hz) { reset(); }

  /// Power-on state: stopped, PR = 0 (/4), RLR = 0xFFF, registers locked.
  void reset();
  uint32_t read(uint32_t offset) const;
  void write(uint32_t offset, uint32_t value, uint64_t now);

  bool started() const { return started_; }
  /// The virtual time (cycles) at which the counter reaches zero, or UINT64_MAX when stopped.
  uint64_t deadline() const;
  bool expired(uint64_t now) const { return started_ && now >= deadline(); }
  /// The current timeout in milliseconds ((RLR + 1) * 4 * 2^PR / 32 kHz).
  double timeout_ms() const;

 private:
  uint64_t period_cycles() const;
  const uint64_t core_clock_hz_;
  bool started_ = false, unlocked_ = false;
  uint32_t pr_ = 0, rlr_ = 0xFFF;
  uint64_t refreshed_at_ = 0;  // virtual time of the last reload
};

}  // namespace rproctee::soc
