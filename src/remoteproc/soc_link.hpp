// The normal world's wires to the SoC (not TEE calls): the device tree the board hands it (the
// normal-world one, without the secure world's node), the memory regions the firewall lets it
// map, and for processors described without the TEE binding, their reset line. Over the same
// machine link, with the memfds passed by SCM_RIGHTS.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "dt/layout.hpp"
#include "protocol/transport.hpp"

namespace rproctee::remoteproc {

/// A region mapped into this process.
struct MappedRegion {
  std::string name;
  uint64_t pa = 0;
  uint64_t size = 0;
  uint8_t* va = nullptr;
};

class SocLink {
 public:
  /// Connects to the machine named like a TEE ("unix:PATH" or "inproc:NAME"), reads its
  /// normal-world device tree and maps every region the normal world may see.
  static Result<std::unique_ptr<SocLink>> connect(const std::string& machine_name);
  ~SocLink();

  /// The platform's hardware layout, from the normal-world device tree.
  const dt::Layout& layout() const { return layout_; }

  const std::vector<MappedRegion>& regions() const { return regions_; }
  /// The mapped region `name` at `pa` (names repeat across processors: vdev0vring0, ...).
  const MappedRegion* region(const std::string& name, uint64_t pa) const;

  /// Releases / asserts the reset of a processor the normal world controls (ELF mode):
  /// `processor` is its index in the platform description. ACCESS_DENIED for TEE processors.
  Status core_start(uint32_t processor, uint32_t boot_address);
  Status core_stop(uint32_t processor);

 private:
  SocLink() = default;
  Status core_control(uint32_t processor, uint32_t command, uint32_t boot_address);
  Status read_device_tree();
  Status map_regions();
  std::unique_ptr<protocol::Transport> transport_;
  dt::Layout layout_;
  std::vector<MappedRegion> regions_;
  std::mutex mutex_;  // several processors share the link
  uint32_t seq_ = 0;
};

}  // namespace rproctee::remoteproc
