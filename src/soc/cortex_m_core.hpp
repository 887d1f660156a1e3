// The emulated Cortex-M33 of the simulated SoC, on Unicorn 2: the memories are shared with the
// host (uc_mem_map_ptr on the memfd mappings), peripherals are MMIO devices, and the System
// Control Space (soc/scs.hpp) with exception entry/return is modelled here because Unicorn has
// none. The core runs on its own thread between start() and stop() or a crash.
//
// Threading: start/stop/running/registers may be called from any thread (not concurrently
// with each other for start/stop). Devices report interrupt lines from any thread through
// their listener; the core leaves the engine at the next translated block (a per-core timer
// thread does the same at SysTick, watchdog and timer deadlines). The crash callback runs on the
// core's thread, once per run, after running() turned false; it must not call stop()/start()
// synchronously (stop() called there returns at once without joining).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "dt/peripheral_map.hpp"
#include "soc/core_control.hpp"
#include "soc/debug_target.hpp"
#include "soc/dwt.hpp"
#include "soc/iwdg.hpp"
#include "soc/mmio_device.hpp"
#include "soc/scs.hpp"

struct uc_struct;

namespace rproctee::soc {

/// One memory as the processor sees it: device address, the host mapping, size (4 KiB aligned).
struct CoreMemory {
  uint32_t da = 0;
  uint8_t* host = nullptr;
  uint64_t size = 0;
};

/// What an access to a peripheral without a model gets.
enum class UnmodelledPolicy {
  kFault,   ///< a bus fault: the core crashes, the message names the peripheral
  kIgnore,  ///< reads as zero, writes are dropped, one warning per peripheral and run
};

struct CortexMOptions {
  /// Nominal processor clock: SysTick, DWT CYCCNT, the timers and the watchdog count at this
  /// rate of virtual time, which follows the host's monotonic clock (soc/virtual_clock.hpp).
  uint64_t clock_hz = 64'000'000;
  /// Base address of the independent watchdog (soc/iwdg.hpp) in the core's address space;
  /// 0: the core has none. Its expiry is a kWatchdog crash.
  uint32_t watchdog_base = 0;
  /// The peripherals the core can address but nothing models (named in messages), and what
  /// an access to one gets.
  dt::PeripheralMap unmodelled;
  UnmodelledPolicy unmodelled_policy = UnmodelledPolicy::kFault;
  /// Told once per run and peripheral of an access --unmodelled ignore let through (on the
  /// core's thread).
  std::function<void(const std::string&)> on_warning;
  /// --gdb-wait: every start halts at the reset vector until a debugger attaches and
  /// resumes the core.
  bool wait_for_debugger = false;
};

class CortexMCore final : public CoreControl, public DebugTarget {
 public:
  using CrashCallback = std::function<void(const CrashReport&)>;

  /// Maps `memories` and `devices` (plus the SCS at 0xE000E000) into a new Unicorn engine.
  static Result<std::unique_ptr<CortexMCore>> create(std::vector<CoreMemory> memories,
                                                     std::vector<MmioMapping> devices,
                                                     CrashCallback on_crash,
                                                     CortexMOptions options = {});
  ~CortexMCore() override;
  CortexMCore(const CortexMCore&) = delete;
  CortexMCore& operator=(const CortexMCore&) = delete;

  /// Resets the core and its devices and runs it on its own thread from the vector table at
  /// `boot_address` (SP = word 0, PC = word 1, VTOR = boot_address). `secure_boot`: the core
  /// starts in the Secure state (exception returns use the Secure EXC_RETURN values); no
  /// memory is partitioned.
  Status start(uint32_t boot_address, bool secure_boot) override;
  /// Stops the core (also from WFI or a busy loop); returns once its thread has ended.
  void stop() override;
  bool running() const override { return running_.load(); }
  /// r0-r15, xPSR, orig_r0 as last seen (updated whenever the core leaves the emulator loop,
  /// kept after a crash or a stop).
  ArmRegisters registers() const override;
  /// While the core runs, its thread serves the normal world's doorbell itself: WFI sleeps on
  /// the doorbell and the core's own wake word at once, and the block hook compares the
  /// doorbell word (soc/core_doorbell.hpp). False without futex_waitv (Linux < 5.16).
  bool attach_doorbell(CoreDoorbell* doorbell) override;
  void detach_doorbell() override;
  /// Number of exceptions taken since start (tests, statistics).
  uint64_t exceptions_taken() const { return exceptions_taken_.load(); }
  /// Number of SYSRESETREQ resets since start.
  uint64_t resets() const { return resets_.load(); }

  // DebugTarget (soc/debug_target.hpp): the gdb server's view of the core. Its hooks are in
  // the engine only while a debugger has breakpoints or watchpoints (and for one step).
  DebugStop debug_attach() override;
  void debug_detach() override;
  void debug_interrupt() override;
  void debug_resume(bool step) override;
  std::optional<DebugStop> debug_wait_stop(std::chrono::milliseconds timeout) override;
  void debug_kill() override;
  std::optional<DebugRegisters> debug_read_registers() override;
  bool debug_write_register(size_t index, uint64_t value) override;
  size_t debug_read_memory(uint32_t address, std::span<uint8_t> out) override;
  bool debug_write_memory(uint32_t address, std::span<const uint8_t> bytes) override;
  bool debug_set_breakpoint(uint32_t address, bool insert) override;
  bool debug_set_watchpoint(WatchKind kind, uint32_t address, uint32_t length,
                            bool insert) override;

 private:
  struct Impl;
  explicit CortexMCore(std::unique_ptr<Impl> impl);
  void run();
  /// Halts a running core for the debugger and waits until it is (`lock` holds the core's
  /// mutex).
  void halt_and_wait(std::unique_lock<std::mutex>& lock);
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> exceptions_taken_{0}, resets_{0};
};

}  // namespace rproctee::soc
