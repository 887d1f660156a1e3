// An STM32 timer (TIM1..TIM20, ST's CMSIS TIM_TypeDef layout) as the remote core sees it, for
// what a HAL time base or a periodic interrupt uses: the counter counts up at the timer clock
// divided by PSC + 1 while CR1.CEN is set, wraps at ARR and raises the update flag (SR.UIF,
// write 0 to clear; not with CR1.UDIS), one-pulse mode stops it (CR1.OPM); EGR.UG restarts it,
// loads PSC and raises UIF unless CR1.URS. The interrupt line is UIF & DIER.UIE. The timer
// clock is the core clock (the reset clock tree runs every bus at HSI without division).
// Capture/compare, slave modes and DMA requests are registers without effect.
#pragma once

#include <cstdint>
#include <functional>

#include "soc/register_file.hpp"

namespace rproctee::soc {

class Timer final : public RegisterFile {
 public:
  static constexpr uint32_t kCr1 = 0x00, kDier = 0x0C, kSr = 0x10, kEgr = 0x14, kCnt = 0x24,
                            kPsc = 0x28, kArr = 0x2C;
  static constexpr uint32_t kCen = 1u << 0, kUdis = 1u << 1, kUrs = 1u << 2, kOpm = 1u << 3,
                            kUif = 1u << 0, kUie = 1u << 0, kUg = 1u << 0;

  explicit Timer(uint32_t size);

  uint32_t irq_lines() const override { return (at(kSr) & kUif) && (at(kDier) & kUie) ? 1 : 0; }
  void set_irq_listener(std::function<void()> changed) override { listener_ = std::move(changed); }
  void reset() override;
  void advance(uint64_t now) override;
  uint64_t deadline() const override;

 private:
  uint32_t on_read(uint32_t offset, uint32_t stored) override;
  uint32_t on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) override;
  void after_write(uint32_t offset) override;
  uint64_t tick_cycles() const { return uint64_t{prescaler_} + 1; }
  uint64_t period() const { return tick_cycles() * (uint64_t{at(kArr)} + 1); }
  void restart(uint64_t at_count);
  bool running() const { return at(kCr1) & kCen; }

  std::function<void()> listener_;
  uint64_t now_ = 0;
  uint64_t origin_ = 0;     // virtual time at which the counter was 0 in this period
  uint32_t prescaler_ = 0;  // the active prescaler (PSC is loaded at update events)
};

}  // namespace rproctee::soc
