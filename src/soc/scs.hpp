// The System Control Space of an Armv8-M Mainline core (0xE000E000..0xE000EFFF): the NVIC,
// the System Control Block and SysTick, which Unicorn does not model. Pure state: the core
// (soc/cortex_m_core.cpp) serialises every call, supplies the virtual time (processor clock
// cycles) and does the exception entry and return this model decides on.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "soc/scb_config.hpp"

namespace rproctee::soc {

class Scs {
 public:
  static constexpr uint32_t kBase = 0xE000E000, kSize = 0x1000;
  /// External interrupts (the Armv8-M maximum).
  static constexpr uint32_t kIrqs = 480;
  /// Implemented priority bits (STM32MP2's Cortex-M33: 4, the upper nibble).
  static constexpr uint32_t kPriorityMask = 0xF0;
  static constexpr uint32_t kCpuidCortexM33 = 0x410FD210;
  // Exception numbers.
  static constexpr uint32_t kNmi = 2, kHardFault = 3, kMemManage = 4, kBusFault = 5,
                            kUsageFault = 6, kSvcall = 11, kPendSv = 14, kSysTick = 15,
                            kFirstIrq = 16;
  // CFSR / HFSR bits set by faults.
  static constexpr uint32_t kCfsrIbusErr = 1u << 8, kCfsrPreciseErr = 1u << 9,
                            kCfsrBfarValid = 1u << 15, kCfsrUndefInstr = 1u << 16,
                            kCfsrInvState = 1u << 17;
  static constexpr uint32_t kHfsrVectTbl = 1u << 1, kHfsrForced = 1u << 30,
                            kHfsrDebugEvt = 1u << 31;

  explicit Scs(uint64_t clock_hz) : clock_hz_(clock_hz) { reset(0); }

  /// Cold/warm reset state, the vector table at `vtor`.
  void reset(uint32_t vtor);

  /// A register access of `size` bytes (1, 2 or 4) at `offset` from kBase, at time `now`.
  uint32_t read(uint32_t offset, unsigned size, uint64_t now);
  void write(uint32_t offset, uint32_t value, unsigned size, uint64_t now);

  /// The level of external interrupt input `irq` (level-sensitive: pending while high and
  /// not active).
  void set_line(uint32_t irq, bool level);
  /// Makes exception `exception` pending (SVCall, PendSV, ...).
  void set_pending(uint32_t exception);

  /// The priority the processor runs at: active exceptions' group priorities, boosted by
  /// PRIMASK / BASEPRI / FAULTMASK; 256 when nothing boosts it.
  int execution_priority(bool primask, uint32_t basepri, bool faultmask) const;
  struct Pending {
    uint32_t exception = 0;
    int group_priority = 0;
  };
  /// The pending, enabled exception that would be taken first (ignoring the current
  /// execution priority).
  std::optional<Pending> best_pending() const;
  /// Exception entry: clears its pending state and marks it active.
  void activate(uint32_t exception);
  /// Exception return.
  void deactivate(uint32_t exception);

  /// Runs SysTick up to virtual time `now` (pends its exception on wrap when TICKINT).
  void advance(uint64_t now);
  /// The virtual time of the next SysTick exception request, or UINT64_MAX.
  uint64_t next_deadline() const;

  /// Records a fault taken to HardFault (CFSR bits, HFSR bits, fault address for BFAR).
  void record_fault(uint32_t cfsr, uint32_t hfsr, std::optional<uint32_t> bfar);
  /// True once after AIRCR.SYSRESETREQ was written with the key.
  bool take_reset_request();
  uint32_t vtor() const { return vtor_; }
  /// DEMCR.TRCENA (the DWT cycle counter counts only with it).
  bool trace_enabled() const { return config_.trace_enabled(); }
  uint32_t cfsr() const { return cfsr_; }
  uint32_t hfsr() const { return hfsr_; }

 private:
  static constexpr uint32_t kWords = kIrqs / 32;
  int priority(uint32_t exception) const;
  uint32_t group_mask() const;
  uint32_t pending_word(uint32_t word) const;
  bool system_enabled(uint32_t exception) const;
  uint32_t read32(uint32_t offset, uint64_t now);
  void write32(uint32_t offset, uint32_t value, uint64_t now);
  uint32_t icsr() const;
  uint32_t shcsr() const;
  uint32_t systick_current(uint64_t now) const;

  const uint64_t clock_hz_;
  // External interrupts, bit n of word w = IRQ 32w+n.
  std::array<uint32_t, kWords> enabled_{}, latched_{}, level_{}, active_irq_{};
  std::array<uint8_t, kIrqs> irq_priority_{};
  // System exceptions 1..15: bit e.
  uint32_t sys_pending_ = 0, sys_active_ = 0;
  std::array<uint8_t, 16> sys_priority_{};  // SHPR bytes, index = exception number
  uint32_t vtor_ = 0, prigroup_ = 0, scr_ = 0, ccr_ = 0, shcsr_enables_ = 0;
  uint32_t cfsr_ = 0, hfsr_ = 0, mmfar_ = 0, bfar_ = 0, cpacr_ = 0;
  bool reset_request_ = false;
  ScbConfig config_;  // MPU, SAU, FPU and debug registers
  // SysTick: counts down one per cycle; next_zero_ = time it reaches 0 (when enabled).
  bool st_enabled_ = false, st_tickint_ = false, st_countflag_ = false;
  uint32_t st_reload_ = 0, st_stopped_value_ = 0;
  uint64_t st_next_zero_ = 0;
};

}  // namespace rproctee::soc
