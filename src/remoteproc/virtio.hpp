// What a virtio device of a remote processor is made of, as its driver (the rpmsg bus) sees
// it: the status bits, the vrings placed by remoteproc, and device memory mapped here. No
// dependency on the remoteproc core: rpmsg drives a virtio device through these alone
// (rpmsg/virtio_port.hpp), as Linux's virtio_rpmsg_bus knows virtio, not remoteproc.
#pragma once

#include <cstdint>
#include <string>

namespace rproctee::remoteproc {

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
