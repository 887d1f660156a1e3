// The simulated SoC: one MemoryRegion per reserved-memory region of the platform layout,
// one IPCC per mailbox controller the processors use, and the reset / hold-boot control of
// each remote processor. The emulated cores attach here, each with the models of the
// platform's peripheral map (soc/peripheral_models.hpp), whose serial ports and pins come out
// through BoardOutputs (soc/board_io.hpp).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/result.hpp"
#include "dt/layout.hpp"
#include "soc/board_io.hpp"
#include "soc/core_control.hpp"
#include "soc/cortex_m_core.hpp"
#include "soc/gdb_server.hpp"
#include "soc/ipcc.hpp"
#include "soc/memory_region.hpp"
#include "soc/mmio_device.hpp"
#include "soc/usart.hpp"

namespace rproctee::soc {

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
  /// Creates every region of the layout (zero-filled memfds) and a HeldCore per processor.
  static Result<std::unique_ptr<Soc>> create(const dt::Layout& layout);

  const dt::Layout& layout() const { return layout_; }
  /// Region by index in layout().regions.
  MemoryRegion& region(size_t index) { return regions_[index]; }
  const MemoryRegion& region(size_t index) const { return regions_[index]; }
  size_t region_count() const { return regions_.size(); }
  /// The core of processor `index` (in layout().processors).
  CoreControl& core(size_t processor_index) { return *cores_[processor_index]; }
  /// The IPCC at `base`, or nullptr when no processor's mailboxes use one there.
  Ipcc* ipcc(uint64_t base);

  /// Stops processor `processor_index`'s core and resets its mailboxes.
  void stop_core(size_t processor_index);
  /// Replaces a core's model (an attached doorbell moves to the new one).
  void set_core(size_t processor_index, std::unique_ptr<CoreControl> core);
  /// Lets processor `processor_index`'s core serve `doorbell` itself, now and after a
  /// set_core (soc/core_doorbell.hpp); false when its model cannot.
  bool attach_doorbell(size_t processor_index, CoreDoorbell* doorbell);
  /// Returns once no core uses the processor's doorbell.
  void detach_doorbell(size_t processor_index);

  /// Replaces every processor's core by an emulated Cortex-M (soc/cortex_m_core.hpp) that sees
  /// the processor's memories at their device addresses, its IPCC (on the NVIC inputs of
  /// `rproctee,ipcc-interrupts`), its watchdog and the models of the platform's peripheral
  /// map (soc/peripheral_models.hpp); the other peripherals get `unmodelled`.
  using CrashObserver = std::function<void(size_t processor_index, const CrashReport&)>;
  struct Emulation {
    uint64_t clock_hz = 64'000'000;
    /// Told of each crash (on the core's thread) after it was recorded.
    CrashObserver on_crash;
    UnmodelledPolicy unmodelled = UnmodelledPolicy::kFault;
    BoardOutputs outputs;
    /// --gdb: a gdb server per core on 127.0.0.1, processor i on gdb_port + i (0: any free
    /// port); none when unset.
    std::optional<uint16_t> gdb_port;
    /// --gdb-wait: every start halts at the reset vector until a debugger resumes the core.
    bool gdb_wait = false;
  };
  Status emulate_cores(Emulation emulation);

  /// The gdb servers --gdb started: processor name and TCP port.
  struct GdbEndpoint {
    std::string processor;
    uint16_t port = 0;
  };
  std::vector<GdbEndpoint> gdb_endpoints() const;

  /// Bytes typed on the board's serial console: they reach every USART whose receiver is
  /// enabled. False when none listens.
  bool serial_input(std::span<const uint8_t> bytes);

  /// The crashes of a processor's core so far: `generation` counts them, `last` is the newest.
  struct CrashRecord {
    uint32_t generation = 0;
    CrashReport last;
  };
  CrashRecord crashes(size_t processor_index) const;
  /// Records a crash of processor `processor_index` and wakes whoever waits on its mailboxes.
  void record_crash(size_t processor_index, CrashReport report);

 private:
  explicit Soc(dt::Layout layout) : layout_(std::move(layout)) {}
  dt::Layout layout_;
  // Declaration order is teardown order reversed: cores go first (they map the regions and
  // drive the IPCC devices), then the devices, then the memories.
  std::vector<MemoryRegion> regions_;
  std::vector<std::unique_ptr<Ipcc>> ipccs_;
  std::vector<std::unique_ptr<MmioDevice>> core_devices_;
  std::vector<Usart*> usarts_;
  mutable std::mutex crash_mutex_;
  std::vector<CrashRecord> crashes_;
  std::vector<std::unique_ptr<CoreControl>> cores_;
  std::vector<CoreDoorbell*> doorbells_;  // by processor: attached by their owners
  std::vector<std::unique_ptr<GdbServer>> gdb_servers_;  // before the cores they debug
  std::vector<GdbEndpoint> gdb_endpoints_;
};

}  // namespace rproctee::soc
