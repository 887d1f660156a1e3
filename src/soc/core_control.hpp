// What the platform service drives on a remote core (hold-boot and reset), and how a core
// reports a crash: the interface between the secure world and whichever core model runs.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "protocol/machine_link.hpp"

namespace rproctee::soc {

class CoreDoorbell;

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
  /// Lets the core's own thread serve `doorbell` while it runs (soc/core_doorbell.hpp); false
  /// when this model cannot (the owner keeps serving it). `doorbell` stays valid until
  /// detach_doorbell() returns.
  virtual bool attach_doorbell(CoreDoorbell* /*doorbell*/) { return false; }
  /// Returns once the core's thread no longer uses the doorbell and has handed it back.
  virtual void detach_doorbell() {}
};

using protocol::crash_kind_name;
using protocol::CrashKind;

struct CrashReport {
  CrashKind kind = CrashKind::kBadAccess;
  uint32_t pc = 0;       ///< the faulting instruction
  uint32_t address = 0;  ///< the data address of a bad access (0 otherwise)
  std::string text;      ///< one line for the kernel log
};

}  // namespace rproctee::soc
