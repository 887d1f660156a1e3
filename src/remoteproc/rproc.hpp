// The normal-world remoteproc core (Linux drivers/remoteproc/remoteproc_core.c semantics): the
// only place that changes a processor's state. States, refcounted boot and shutdown, crash
// handling and recovery, coredumps, subdevices, resource-table handling. Backends (TEE, ELF)
// are RprocOps. Every operation returns 0 or a negative errno, as the kernel does, and logs why.
//
// Two pitfalls of the Linux core are absent: a failed recovery leaves the processor offline
// with no reference held (so `start` works), and recovery restarts exactly the image that was
// running (it never mixes a replaced firmware file with the old resource table). And a firmware
// that crashes again and again during its boot (within kQuickCrash of its start, before it sent
// the host anything) does not keep the host busy: from the second such crash in a row, recovery
// waits (kFirstBackoff, doubling up to kMaxBackoff) and says so in the log; a stop during the
// wait cancels it. A crash after the firmware talked to the host is recovered at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "image/resource_table.hpp"
#include "remoteproc/kernel_log.hpp"
#include "remoteproc/virtio.hpp"

namespace rproctee::remoteproc {

enum class RprocState { kOffline, kSuspended, kRunning, kCrashed, kDeleted, kAttached, kDetached };
/// The sysfs strings: "offline", "suspended", "running", "crashed", "deleted", "attached",
/// "detached".
std::string_view state_name(RprocState state);

enum class CrashType : uint32_t { kMmuFault = 0, kWatchdog = 1, kFatalError = 2 };
std::string_view crash_type_name(CrashType type);

enum class CoredumpMode { kDisabled, kEnabled, kInline };
std::string_view coredump_mode_name(CoredumpMode mode);

struct Firmware {
  std::string name;
  std::vector<uint8_t> data;
};

/// A trace buffer declared by the resource table (debugfs traceN).
struct TraceBuffer {
  std::string name;
  uint32_t da = 0, len = 0;
  const uint8_t* va = nullptr;
};

class Rproc;

/// Started and stopped with the processor (the vdev; rpmsg joins later).
class Subdevice {
 public:
  virtual ~Subdevice() = default;
  virtual int prepare() { return 0; }
  virtual int start() { return 0; }
  virtual void stop(bool crashed) { (void)crashed; }
  virtual void unprepare() {}
  /// A vring interrupt from the processor; true when the vring `notifyid` is this device's.
  virtual bool vring_interrupt(uint32_t notifyid) {
    (void)notifyid;
    return false;
  }
};

/// What a vendor resource handler answers (Linux RSC_HANDLED / RSC_IGNORED), or -errno.
inline constexpr int kRscHandled = 0;
inline constexpr int kRscIgnored = 1;

/// What a backend provides (Linux struct rproc_ops, reduced).
class RprocOps {
 public:
  virtual ~RprocOps() = default;
  virtual int prepare(Rproc&) { return 0; }
  virtual void unprepare(Rproc&) {}
  /// Reads the resource table of `fw` into Rproc::set_cached_table (none is fine).
  virtual int parse_fw(Rproc& rproc, const Firmware& fw) = 0;
  /// A vendor resource (type 128..511): `rsc` is the table from just after the entry's type
  /// word to its end. kRscHandled, kRscIgnored (the core logs it and goes on), or -errno (the
  /// boot fails) — Linux rproc_ops.handle_rsc.
  virtual int handle_rsc(Rproc&, uint32_t type, std::span<uint8_t> rsc) {
    (void)type;
    (void)rsc;
    return kRscIgnored;
  }
  virtual int load(Rproc& rproc, const Firmware& fw) = 0;
  /// The resource table in device memory after load, or nullptr when there is none.
  virtual int find_loaded_rsc_table(Rproc& rproc, const Firmware& fw, uint8_t*& table) = 0;
  virtual int start(Rproc& rproc) = 0;
  virtual int stop(Rproc& rproc) = 0;
  /// After a failed boot or a shutdown: the backend lets go of the firmware.
  virtual void release_fw(Rproc&) {}
  /// A core dump of the processor while its memories still hold the firmware.
  virtual int coredump(Rproc& rproc, std::vector<uint8_t>& out);
  /// Notifies the processor that vring `vqid` has new buffers (mailbox vq1).
  virtual void kick(Rproc&, int vqid) { (void)vqid; }
  /// A reader's way to take the processor's interrupts on its own thread (see
  /// remoteproc::InterruptWaiter); empty when this platform cannot.
  virtual InterruptWaiter interrupt_waiter() { return {}; }
  /// The processor is going away: stop delivering its interrupts (sends still work).
  virtual void quiesce() {}
};

/// What the core needs from the outside world.
struct RprocEnvironment {
  KernelLog* log = nullptr;
  /// request_firmware: the file's bytes, or -errno.
  std::function<int(const std::string& name, Firmware& out)> request_firmware;
  /// devcoredump: a core dump to publish as a file.
  std::function<void(Rproc& rproc, std::vector<uint8_t> dump)> publish_coredump;
  /// How long recovery waits for an inline dump to be consumed.
  std::function<void(Rproc& rproc)> wait_inline_dump;
};

class Rproc {
 public:
  /// A crash this soon after the start, before any vring interrupt, counts towards the back-off.
  static constexpr std::chrono::milliseconds kQuickCrash{1000};
  static constexpr std::chrono::milliseconds kFirstBackoff{100}, kMaxBackoff{5000};

  Rproc(int index, std::string name, std::unique_ptr<RprocOps> ops, RprocEnvironment env,
        std::vector<MemoryMapping> carveouts, std::string default_firmware);
  ~Rproc();
  Rproc(const Rproc&) = delete;
  Rproc& operator=(const Rproc&) = delete;

  // --- what sysfs and debugfs call (0 or -errno) ---
  int boot();
  int shutdown();
  int detach();
  /// rproc_report_crash: handled asynchronously by the processor's crash worker.
  void report_crash(CrashType type);
  int trigger_recovery();
  int set_firmware(std::string name);
  int set_recovery_disabled(bool disabled);
  int set_coredump(CoredumpMode mode);

  RprocState state() const;
  std::string firmware() const;
  bool recovery_disabled() const;
  CoredumpMode coredump_mode() const;
  uint32_t crash_count() const;
  int power() const;
  int index() const { return index_; }
  const std::string& name() const { return name_; }
  /// "remoteproc0".
  std::string dev_name() const;
  /// A copy of the resource table in use (the loaded one while running, with the addresses
  /// assigned and the vdev status); empty when no firmware with a table is booted.
  std::vector<uint8_t> table_snapshot() const;
  std::vector<TraceBuffer> traces() const;
  /// When the last boot parsed the firmware (with the TEE backend: authenticated and loaded
  /// it) and started the core; a CLI reports these.
  struct BootTimes {
    std::chrono::steady_clock::time_point parse_begin, parse_end, start_begin, start_end;
  };
  BootTimes boot_times() const;
  /// Waits until the crash worker is idle (tests, shutdown).
  void flush_crash_work();

  // --- what backends (from parse_fw, with the lock held) and subdevices use ---
  void set_cached_table(std::vector<uint8_t> table);
  /// The resource table currently in use (loaded one while running, else the cached copy).
  std::span<uint8_t> table();
  uint8_t* da_to_va(uint64_t da, uint64_t len);
  uint8_t* pa_to_va(uint64_t pa, uint64_t len);
  const std::vector<MemoryMapping>& carveouts() const { return carveouts_; }
  const MemoryMapping* find_carveout(const std::string& name) const;
  void add_subdevice(std::unique_ptr<Subdevice> subdevice);
  /// rproc_vq_interrupt: the processor signalled vring `notifyid`; false when none has it.
  bool vq_interrupt(uint32_t notifyid);
  uint64_t vq_interrupts() const { return vq_interrupts_; }
  /// Tells the processor that vring `notifyid` has new buffers (ops->kick).
  void kick(uint32_t notifyid);
  /// ops->interrupt_waiter: a reader waiting for the remote's answer takes the interrupt
  /// itself.
  InterruptWaiter interrupt_waiter() { return ops_->interrupt_waiter(); }
  KernelLog& log() { return *env_.log; }
  template <typename... Args>
  void info(fmt::format_string<Args...> f, Args&&... a) {
    env_.log->write("remoteproc " + dev_name(), fmt::format(f, std::forward<Args>(a)...));
  }

 private:
  // Every function below runs with lock_ held.
  int fw_boot(const Firmware& fw);          // rproc_fw_boot: undoes all it did when it fails
  int start_processor(const Firmware& fw);  // rproc_start: likewise
  int handle_resources();                   // rproc_handle_resources
  int handle_carveout(const image::RscEntry& entry);
  int handle_devmem(const image::RscEntry& entry);
  int handle_trace(const image::RscEntry& entry);
  int handle_vdev(const image::RscEntry& entry);
  int handle_vendor(const image::RscEntry& entry);
  int prepare_subdevices();  // each undoes its own partial work
  int start_subdevices();
  void stop_subdevices(bool crashed);
  void unprepare_subdevices();
  /// rproc_stop: subdevices stopped (then, after a crash, the core dump), the table pointer back
  /// to the cached copy, ops->stop, subdevices unprepared, offline. A failed ops->stop after a
  /// crash still goes on (the processor is given up); otherwise it returns at once.
  int stop_processor(bool crashed);
  /// What a boot holds besides the running processor: resources, the firmware, prepare.
  void release_boot();
  void take_coredump();
  void crash_worker();
  void handle_crash(CrashType type);
  /// How long recovery waits after this crash (0: at once); counts quick crashes.
  std::chrono::milliseconds recovery_delay();
  int boot_recovery();
  /// Stops a crashed processor whose recovery waits: offline, no reference held.
  int cancel_recovery_locked();

  const int index_;
  const std::string name_;
  std::unique_ptr<RprocOps> ops_;
  RprocEnvironment env_;
  std::vector<MemoryMapping> carveouts_;

  // Lock order: lock_ first. Boot, shutdown, recovery and vq_interrupt call the ops, the
  // subdevices (the rpmsg device and bus locks), and the environment with lock_ held; none of
  // these may call back into a method of this Rproc that takes lock_ (state(), name(),
  // dev_name(), info(), table(), da_to_va() and kick() do not). work_mutex_ is never held
  // when lock_ is taken: the crash worker takes lock_ only after letting go of work_mutex_
  // (cancelling a recovery takes work_mutex_ under lock_).
  mutable std::mutex lock_;                              // Linux rproc->lock
  std::atomic<RprocState> state_{RprocState::kOffline};  // written under lock_
  int power_ = 0;
  std::string firmware_;
  bool recovery_disabled_ = false;
  CoredumpMode coredump_ = CoredumpMode::kDisabled;  // rproc_alloc: dump_conf 0
  uint32_t crash_count_ = 0;
  std::vector<uint8_t> cached_table_;  // empty: no table (none, or nothing booted)
  uint8_t* loaded_table_ = nullptr;    // in device memory while running
  int vdev_count_ = 0;                 // vdevs declared by the table being handled
  std::vector<TraceBuffer> traces_;
  std::vector<std::unique_ptr<Subdevice>> subdevices_;
  std::optional<Firmware> running_fw_;  // what recovery restarts
  std::atomic<uint64_t> vq_interrupts_{0};
  BootTimes boot_times_;
  uint32_t quick_crashes_ = 0;  // boot crashes in a row (kQuickCrash, no vring interrupt)
  uint64_t vq_interrupts_at_start_ = 0;
  bool recovery_waiting_ = false;  // the crash worker waits out a back-off

  std::mutex work_mutex_;  // guards the crash work queue below
  std::condition_variable work_cv_;
  std::deque<CrashType> work_;
  bool work_busy_ = false;
  bool work_stop_ = false;
  bool recovery_cancelled_ = false;  // a stop ended the back-off
  std::thread worker_;
};

}  // namespace rproctee::remoteproc
