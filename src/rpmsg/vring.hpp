// The driver's (host's) side of one split virtqueue in shared memory, legacy layout:
//   desc  at 0:                 {u64 addr; u32 len; u16 flags; u16 next}[num]
//   avail at 16*num:            u16 flags; u16 idx; u16 ring[num]
//   used  at align_up(avail end, align): u16 flags; u16 idx; {u32 id; u32 len}[num]
// The host writes desc and avail and only reads used. used.idx and the used entries are
// written by the firmware, so pending() refuses an index that ran ahead by more than num and
// pop_used() returns the raw id for the caller to check against what it posted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "common/result.hpp"

namespace rproctee::rpmsg {

inline constexpr uint16_t kDescFlagNext = 1;
inline constexpr uint16_t kDescFlagWrite = 2;  // the device writes this buffer (RX)
// Notification suppression (legacy layout): hints each side gives the other.
inline constexpr uint16_t kUsedFlagNoNotify = 1;      // the device needs no kick now
inline constexpr uint16_t kAvailFlagNoInterrupt = 1;  // the driver needs no interrupt now

struct VringLayout {
  uint32_t num = 0, align = 0;
  uint64_t avail = 0, used = 0, size = 0;

  /// The layout, or nullopt unless num is a power of two in [1, 32768] (the free-running
  /// u16 indices wrap correctly only then) and align a non-zero power of two.
  static std::optional<VringLayout> of(uint32_t num, uint32_t align);
};

struct UsedElem {
  uint32_t id = 0, len = 0;
};

class DriverVring {
 public:
  /// `memory` holds at least layout.size bytes, 4-byte aligned.
  DriverVring(std::span<uint8_t> memory, VringLayout layout);

  /// Zeroes the whole vring: no descriptor, nothing available, nothing used.
  void reset();
  /// Writes descriptor `id` (< num) and makes it available to the device.
  void post(uint16_t id, uint64_t addr, uint32_t len, uint16_t flags);
  /// How many used entries the device has published since the last pop; an error when
  /// used.idx moved by more than num (the vring is then unusable, as Linux's BAD_RING).
  Result<uint32_t> pending() const;
  /// Consumes the next used entry (call only while pending() > 0).
  UsedElem pop_used();
  /// After post(): whether the device asked to be kicked (VRING_USED_F_NO_NOTIFY clear). A
  /// full barrier comes first, so a device that asks again either sees the new buffers or is
  /// kicked.
  bool device_wants_kick() const;
  /// Asks the device for interrupts on this ring, or not (VRING_AVAIL_F_NO_INTERRUPT), then a
  /// full barrier: a caller asking again re-checks pending() after this.
  void want_interrupts(bool wanted);

  uint32_t num() const { return layout_.num; }
  uint16_t last_used() const { return last_used_; }

 private:
  std::span<uint8_t> mem_;
  VringLayout layout_;
  uint16_t avail_idx_ = 0;  // our own copy: never read back from shared memory
  uint16_t last_used_ = 0;
};

/// 16-bit index loads and stores on shared memory, single-copy atomic with acquire/release
/// ordering so the other side never sees a torn index or an index before the entry.
uint16_t load_index(const uint8_t* p);
void store_index(uint8_t* p, uint16_t value);

}  // namespace rproctee::rpmsg
