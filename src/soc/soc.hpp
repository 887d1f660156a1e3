// The simulated SoC: one MemoryRegion per reserved-memory region of the platform description,
// one IPCC per mailbox controller the processors use, and the reset / hold-boot control of
// each remote processor. The emulated core attaches here.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/result.hpp"
#include "platform/description.hpp"
#include "soc/ipcc.hpp"
#include "soc/memory_region.hpp"

namespace rproctee::soc {

/// r0-r15, xPSR, orig_r0: the ARM elf_gregset_t layout used in core dumps.
using ArmRegisters = std::array<uint32_t, 18>;

/// What the platform service drives: hold-boot and reset of one core.
class CoreControl {
 public:
  virtual ~CoreControl() = default;
  /// Releases hold-boot: the core fetches its vector table at `boot_address` (da).
  virtual Status start(uint32_t boot_address, bool secure_boot) = 0;
  /// Asserts hold-boot and reset; returns once the core no longer runs.
  virtual void stop() = 0;
  virtual bool running() const = 0;
  /// The registers as last seen (for core dumps); zeros for a core that never ran.
  virtual ArmRegisters registers() const { return {}; }
};

/// A core without an emulator: it only records hold-boot/reset (before the CPU model exists,
/// and for unit tests of the layers above).
class HeldCore final : public CoreControl {
 public:
  Status start(uint32_t boot_address, bool secure_boot) override;
  void stop() override;
  bool running() const override { return running_; }
  uint32_t boot_address() const { return boot_address_; }
  bool secure_boot() const { return secure_boot_; }
  uint64_t starts() const { return starts_; }

 private:
  std::atomic<bool> running_{false};
  uint32_t boot_address_ = 0;
  bool secure_boot_ = false;
  uint64_t starts_ = 0;
};

class Soc {
 public:
  /// Creates every region of the description (zero-filled memfds) and a HeldCore per processor.
  static Result<std::unique_ptr<Soc>> create(const platform::Description& description);

  const platform::Description& description() const { return description_; }
  /// Region by index in description().regions.
  MemoryRegion& region(size_t index) { return regions_[index]; }
  const MemoryRegion& region(size_t index) const { return regions_[index]; }
  size_t region_count() const { return regions_.size(); }
  /// The core of processor `index` (in description().processors).
  CoreControl& core(size_t processor_index) { return *cores_[processor_index]; }
  /// The IPCC at `base`, or nullptr when no processor's mailboxes use one there.
  Ipcc* ipcc(uint64_t base);

  /// Replaces a core's model (the emulated CPU plugs in here).
  void set_core(size_t processor_index, std::unique_ptr<CoreControl> core);

 private:
  explicit Soc(platform::Description d) : description_(std::move(d)) {}
  platform::Description description_;
  std::vector<MemoryRegion> regions_;
  std::vector<std::unique_ptr<CoreControl>> cores_;
  std::vector<std::unique_ptr<Ipcc>> ipccs_;
};

}  // namespace rproctee::soc
