// The Cortex-M33 debug blocks below the SCS that firmware touches: the DWT (0xE0001000) with
// its cycle counter, which HAL and RTOS code use for microsecond delays and profiling
// (CYCCNT counts processor cycles while DWT_CTRL.CYCCNTENA and DEMCR.TRCENA are set), and
// the ITM (0xE0000000) and FPB (0xE0002000), whose registers read as zero: no trace port, no
// breakpoint unit, so ITM_SendChar returns at once. Pure state, serialised by the core.
#pragma once

#include <cstdint>

namespace rproctee::soc {

class DebugBlocks {
 public:
  static constexpr uint32_t kBase = 0xE0000000, kSize = 0x3000;
  static constexpr uint32_t kDwtCtrl = 0x1000, kDwtCyccnt = 0x1004;
  static constexpr uint32_t kCycCntEna = 1u << 0;
  /// DWT_CTRL.NUMCOMP: the Cortex-M33 has four comparators (none is modelled).
  static constexpr uint32_t kNumComp = 4u << 28;

  void reset() { ctrl_ = 0, cyccnt_ = 0, counting_since_ = 0; }
  /// `trace_enabled`: DEMCR.TRCENA. `now`: virtual time in processor cycles.
  uint32_t read(uint32_t offset, bool trace_enabled, uint64_t now) const;
  void write(uint32_t offset, uint32_t value, bool trace_enabled, uint64_t now);
  /// DEMCR.TRCENA is about to change from `was_enabled`: the count freezes or resumes.
  void retime(bool was_enabled, uint64_t now);

 private:
  bool counting(bool trace_enabled) const { return trace_enabled && (ctrl_ & kCycCntEna); }
  uint32_t ctrl_ = 0;
  uint32_t cyccnt_ = 0;          // the count when counting started (or stopped)
  uint64_t counting_since_ = 0;  // virtual time counting started
};

}  // namespace rproctee::soc
