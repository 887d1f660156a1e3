// What a virtio device of a remote processor is made of, as its driver (the rpmsg bus) sees
// it: the status bits, the vrings placed by remoteproc, and device memory mapped here. No
// dependency on the remoteproc core: rpmsg drives a virtio device through these alone
// (rpmsg/virtio_port.hpp), as Linux's virtio_rpmsg_bus knows virtio, not remoteproc.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/shared_words.hpp"

namespace rproctee::remoteproc {

/// Something that waits on the calling thread, until `deadline`, for the processor's next
/// interrupts and handles them there (vring_interrupt), as the interrupt thread would. It
/// returns early once `own` no longer holds `own_seen`: the thread that handed the waiter what
/// it waits for (the interrupt thread may take an interrupt first) bumps that word
/// (LocalWakeWord::bump_and_wake). False when it cannot wait (not listening; a kernel without
/// futex_waitv). It stays safe to call after the processor is gone (then false).
using InterruptWaiter = std::function<bool(std::chrono::steady_clock::time_point deadline,
                                           const LocalWakeWord& own, uint32_t own_seen)>;

/// Virtio status bits (virtio spec 2.1).
inline constexpr uint8_t kVirtioAcknowledge = 1;
inline constexpr uint8_t kVirtioDriver = 2;
inline constexpr uint8_t kVirtioDriverOk = 4;

/// Bytes of a split virtqueue with `num` entries and used-ring alignment `align`.
uint64_t vring_size(uint32_t num, uint32_t align);

/// A vring as remoteproc placed it: device address, size, and where this process sees it.
struct Vring {
  uint32_t da = 0, num = 0, align = 0, notifyid = 0;
  uint8_t* va = nullptr;
};

/// Device memory the normal world can reach: a mapped region of the SoC.
struct MemoryMapping {
  std::string name;  // the reserved-memory name ("vdev0buffer")
  uint64_t da = 0, pa = 0, size = 0;
  uint8_t* va = nullptr;
};

}  // namespace rproctee::remoteproc
