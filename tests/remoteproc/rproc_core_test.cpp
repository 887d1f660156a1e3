// Unit tests of the normal-world remoteproc core (remoteproc::Rproc) with a fake backend: a
// FakeOps that records every call (and a subdevice it declares, as a resource handler would)
// and fails any operation on demand, and a fake environment (request_firmware from a map,
// published core dumps collected, an in-memory kernel log). Device memory is real buffers.
//
// What is checked: the state strings; boot order and refcounting; that a failure at every step
// undoes everything (offline, power 0, release_fw once, prepare/unprepare and subdevice
// prepare/unprepare balanced, a later boot works); crash handling and recovery in every
// coredump mode, with recovery restarting the very bytes that were running (not the file as it
// is now) and a failed recovery leaving a processor that `boot()` really starts again (the two
// Linux pitfalls of shared/spec/remoteproc.md); the resource table (traces, carveouts, devmem,
// vdev vrings placed in their regions and the resolved table copied to the loaded one); the
// bounds of da_to_va / pa_to_va.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "image/resource_table.hpp"
#include "remoteproc/debugfs.hpp"
#include "remoteproc/devcoredump.hpp"
#include "remoteproc/firmware_loader.hpp"
#include "remoteproc/kernel_log.hpp"
#include "remoteproc/rproc.hpp"
#include "remoteproc/vdev.hpp"
#include "support/rsc_builder.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using remoteproc::CoredumpMode;
using remoteproc::CrashType;
using remoteproc::Firmware;
using remoteproc::KernelLog;
using remoteproc::MemoryMapping;
using remoteproc::Rproc;
using remoteproc::RprocEnvironment;
using remoteproc::RprocOps;
using remoteproc::RprocState;
using remoteproc::Subdevice;
using Bytes = std::vector<uint8_t>;
using Calls = std::vector<std::string>;

// The fake SoC: an IPC region (resource table, trace buffer), two vring regions, the vring
// buffers, and an M4-style region seen by the core at da 0 but at pa 0x38000000.
constexpr uint64_t kIpcDa = 0x10000000, kIpcSize = 0x10000;
constexpr uint64_t kVring0Da = 0x10010000, kVring1Da = 0x10011000, kVringSize = 0x1000;
constexpr uint64_t kBufferDa = 0x10012000, kBufferSize = 0x4000;
constexpr uint64_t kRetramDa = 0x0, kRetramPa = 0x38000000, kRetramSize = 0x1000;
constexpr uint32_t kTraceDa = 0x10001000, kTraceLen = 0x100;

/// Everything the fake backend and its subdevice saw, shared with the test.
struct Recorder {
  mutable std::mutex mutex;
  Calls calls;    // since the last take(); a failed call is recorded with a trailing '!'
  Calls history;  // every call since the start
  std::map<std::string, int> fail;  // operation -> errno it returns until erased
  std::vector<Bytes> parsed, loaded;
  bool loaded_table = true;  // find_loaded_rsc_table returns the copy in the IPC region
  Bytes dump = {0xC0, 0xDE, 0xD0, 0x0D};
  int subdevices_alive = 0;
  int vendor_verdict = remoteproc::kRscIgnored;    // what handle_rsc answers
  std::vector<std::pair<uint32_t, Bytes>> vendor;  // the vendor resources it was offered

  int call(const std::string& op) {
    std::lock_guard lock(mutex);
    const auto it = fail.find(op);
    const int err = it == fail.end() ? 0 : it->second;
    calls.push_back(err ? op + "!" : op);
    history.push_back(calls.back());
    return err;
  }
  void set_fail(const std::string& op, int err) {
    std::lock_guard lock(mutex);
    if (err)
      fail[op] = err;
    else
      fail.erase(op);
  }
  Calls take() {
    std::lock_guard lock(mutex);
    return std::exchange(calls, {});
  }
  /// Successful calls of `op` since the start.
  size_t count(const std::string& op) const {
    std::lock_guard lock(mutex);
    return static_cast<size_t>(std::count(history.begin(), history.end(), op));
  }
};

class FakeSubdevice final : public Subdevice {
 public:
  explicit FakeSubdevice(std::shared_ptr<Recorder> rec) : rec_(std::move(rec)) {
    std::lock_guard lock(rec_->mutex);
    ++rec_->subdevices_alive;
  }
  ~FakeSubdevice() override {
    std::lock_guard lock(rec_->mutex);
    --rec_->subdevices_alive;
  }
  int prepare() override { return rec_->call("sub.prepare"); }
  int start() override { return rec_->call("sub.start"); }
  void stop(bool crashed) override { rec_->call(crashed ? "sub.stop(crashed)" : "sub.stop"); }
  void unprepare() override { rec_->call("sub.unprepare"); }

 private:
  std::shared_ptr<Recorder> rec_;
};

/// A fake firmware file: "FW" + a tag byte + 0, then the resource table (possibly empty).
Bytes fake_image(char tag, const Bytes& table) {
  Bytes b(4 + table.size(), 0);
  b[0] = 'F';
  b[1] = 'W';
  b[2] = static_cast<uint8_t>(tag);
  std::copy(table.begin(), table.end(), b.begin() + 4);
  return b;
}

/// The backend: the resource table comes from the firmware bytes (as the TEE and ELF backends
/// read it from the image), and a subdevice is declared at parse time.
class FakeOps final : public RprocOps {
 public:
  explicit FakeOps(std::shared_ptr<Recorder> rec) : rec_(std::move(rec)) {}
  int prepare(Rproc&) override { return rec_->call("prepare"); }
  void unprepare(Rproc&) override { rec_->call("unprepare"); }
  int parse_fw(Rproc& rproc, const Firmware& fw) override {
    if (int err = rec_->call("parse_fw"); err) return err;
    {
      std::lock_guard lock(rec_->mutex);
      rec_->parsed.push_back(fw.data);
    }
    if (fw.data.size() < 4) return -EINVAL;
    rproc.set_cached_table(Bytes(fw.data.begin() + 4, fw.data.end()));
    rproc.add_subdevice(std::make_unique<FakeSubdevice>(rec_));
    return 0;
  }
  int handle_rsc(Rproc&, uint32_t type, std::span<uint8_t> rsc) override {
    if (int err = rec_->call("handle_rsc"); err) return err;
    std::lock_guard lock(rec_->mutex);
    rec_->vendor.emplace_back(type, Bytes(rsc.begin(), rsc.end()));
    return rec_->vendor_verdict;
  }
  int load(Rproc&, const Firmware& fw) override {
    if (int err = rec_->call("load"); err) return err;
    std::lock_guard lock(rec_->mutex);
    rec_->loaded.push_back(fw.data);
    return 0;
  }
  int find_loaded_rsc_table(Rproc& rproc, const Firmware& fw, uint8_t*& table) override {
    if (int err = rec_->call("find_loaded_rsc_table"); err) return err;
    std::lock_guard lock(rec_->mutex);
    const uint64_t size = fw.data.size() - 4;
    table = rec_->loaded_table && size ? rproc.da_to_va(kIpcDa, size) : nullptr;
    return 0;
  }
  int start(Rproc&) override { return rec_->call("start"); }
  int stop(Rproc&) override { return rec_->call("stop"); }
  void release_fw(Rproc&) override { rec_->call("release_fw"); }
  int coredump(Rproc&, Bytes& out) override {
    if (int err = rec_->call("coredump"); err) return err;
    std::lock_guard lock(rec_->mutex);
    out = rec_->dump;
    return 0;
  }

 private:
  std::shared_ptr<Recorder> rec_;
};

/// The demo table of these tests: carveout "ipc" (addresses to assign), a devmem, the trace
/// buffer in the IPC region, an rpmsg vdev with two vrings placed by the host.
Bytes table_a(uint32_t trace_da = kTraceDa) {
  RscTableBuilder b;
  b.add_carveout(image::rsc::kAddrAny, image::rsc::kAddrAny, 0x1000, 0, "ipc");
  b.add_devmem(0x40000000, 0x40000000, 0x1000, 0, "mmio");
  b.add_trace(trace_da, kTraceLen, "trace-a");
  b.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0);
  return b.build();
}

/// Offset of the vdev status byte in `table`.
uint32_t vdev_status_offset(const Bytes& table) {
  auto parsed = image::parse_resource_table(table);
  for (const auto& e : parsed->entries)
    if (const auto* v = std::get_if<image::RscVdev>(&e.body)) return v->status_offset;
  return 0;
}

class RprocCore : public ::testing::Test {
 protected:
  void SetUp() override {
    set_file("fw.bin", fake_image('A', table_a()));
    rproc_ = make();
    // The kernel's default is "disabled" (InitialState); these tests look at the dumps.
    ASSERT_EQ(rproc_->set_coredump(CoredumpMode::kEnabled), 0);
  }

  /// The fake SoC's memory regions, as the platform would describe them.
  std::vector<MemoryMapping> regions() {
    return {
        {"ipc", kIpcDa, kIpcDa, kIpcSize, ipc_.data()},
        {"vdev0vring0", kVring0Da, kVring0Da, kVringSize, vring0_.data()},
        {"vdev0vring1", kVring1Da, kVring1Da, kVringSize, vring1_.data()},
        {"vdev0buffer", kBufferDa, kBufferDa, kBufferSize, buffer_.data()},
        {"retram", kRetramDa, kRetramPa, kRetramSize, retram_.data()},
    };
  }

  std::unique_ptr<Rproc> make(std::string firmware = "fw.bin") {
    return make(std::move(firmware), regions());
  }
  std::unique_ptr<Rproc> make(std::string firmware, std::vector<MemoryMapping> carveouts) {
    RprocEnvironment env;
    env.log = &log_;
    env.request_firmware = [this](const std::string& name, Firmware& out) {
      std::lock_guard lock(env_mutex_);
      ++requests_;
      auto it = files_.find(name);
      if (it == files_.end()) return -ENOENT;
      out.name = name;
      out.data = it->second;
      return 0;
    };
    env.publish_coredump = [this](Rproc&, Bytes dump) {
      std::lock_guard lock(env_mutex_);
      dumps_.push_back(std::move(dump));
    };
    env.wait_inline_dump = [this](Rproc&) {
      std::unique_lock lock(env_mutex_);
      ++inline_waits_;
      inline_cv_.wait(lock, [&] { return !hold_inline_; });
    };
    return std::make_unique<Rproc>(0, "m4", std::make_unique<FakeOps>(rec_), std::move(env),
                                   std::move(carveouts), std::move(firmware));
  }

  void set_file(const std::string& name, Bytes data) {
    std::lock_guard lock(env_mutex_);
    files_[name] = std::move(data);
  }
  int requests() {
    std::lock_guard lock(env_mutex_);
    return requests_;
  }
  std::vector<Bytes> dumps() {
    std::lock_guard lock(env_mutex_);
    return dumps_;
  }
  int inline_waits() {
    std::lock_guard lock(env_mutex_);
    return inline_waits_;
  }
  void crash(CrashType type = CrashType::kWatchdog) {
    rproc_->report_crash(type);
    rproc_->flush_crash_work();
  }
  /// Boots and forgets the calls of the boot.
  void boot_ok() {
    ASSERT_EQ(rproc_->boot(), 0) << log_.contents();
    ASSERT_EQ(rproc_->state(), RprocState::kRunning);
    rec_->take();
  }
  /// No resource of a boot is left: offline, no reference, nothing parsed or declared.
  void expect_clean_offline() {
    EXPECT_EQ(rproc_->state(), RprocState::kOffline);
    EXPECT_EQ(rproc_->power(), 0);
    EXPECT_TRUE(rproc_->traces().empty());
    EXPECT_EQ(remoteproc::debugfs_resource_table(*rproc_), "No resource table found\n");
    EXPECT_TRUE(rproc_->table().empty());
    EXPECT_EQ(rec_->subdevices_alive, 0);
    EXPECT_EQ(rec_->count("prepare"), rec_->count("unprepare"));
    EXPECT_EQ(rec_->count("sub.prepare"), rec_->count("sub.unprepare"));
    EXPECT_EQ(rec_->count("start"), rec_->count("stop"));
  }

  Bytes ipc_ = Bytes(kIpcSize), vring0_ = Bytes(kVringSize), vring1_ = Bytes(kVringSize);
  Bytes buffer_ = Bytes(kBufferSize), retram_ = Bytes(kRetramSize);
  KernelLog log_{false};
  std::shared_ptr<Recorder> rec_ = std::make_shared<Recorder>();
  std::mutex env_mutex_;
  std::condition_variable inline_cv_;
  bool hold_inline_ = false;
  std::map<std::string, Bytes> files_;
  int requests_ = 0, inline_waits_ = 0;
  std::vector<Bytes> dumps_;
  std::unique_ptr<Rproc> rproc_;  // last: destroyed first
};

// --- names ---------------------------------------------------------------------------------

TEST(RprocNames, StateCrashAndCoredumpStrings) {
  using remoteproc::coredump_mode_name;
  using remoteproc::crash_type_name;
  using remoteproc::state_name;
  EXPECT_EQ(state_name(RprocState::kOffline), "offline");
  EXPECT_EQ(state_name(RprocState::kSuspended), "suspended");
  EXPECT_EQ(state_name(RprocState::kRunning), "running");
  EXPECT_EQ(state_name(RprocState::kCrashed), "crashed");
  EXPECT_EQ(state_name(RprocState::kDeleted), "deleted");
  EXPECT_EQ(state_name(RprocState::kAttached), "attached");
  EXPECT_EQ(state_name(RprocState::kDetached), "detached");
  EXPECT_EQ(crash_type_name(CrashType::kMmuFault), "mmufault");
  EXPECT_EQ(crash_type_name(CrashType::kWatchdog), "watchdog");
  EXPECT_EQ(crash_type_name(CrashType::kFatalError), "fatal error");
  EXPECT_EQ(coredump_mode_name(CoredumpMode::kDisabled), "disabled");
  EXPECT_EQ(coredump_mode_name(CoredumpMode::kEnabled), "enabled");
  EXPECT_EQ(coredump_mode_name(CoredumpMode::kInline), "inline");
}

TEST_F(RprocCore, InitialState) {
  EXPECT_EQ(rproc_->state(), RprocState::kOffline);
  EXPECT_EQ(rproc_->power(), 0);
  EXPECT_EQ(rproc_->firmware(), "fw.bin");
  EXPECT_EQ(rproc_->dev_name(), "remoteproc0");
  EXPECT_EQ(rproc_->name(), "m4");
  EXPECT_FALSE(rproc_->recovery_disabled());
  EXPECT_EQ(make()->coredump_mode(), CoredumpMode::kDisabled);  // rproc_alloc's kzalloc
  EXPECT_EQ(rproc_->crash_count(), 0u);
  EXPECT_TRUE(rec_->take().empty());
}

// --- boot and shutdown ----------------------------------------------------------------------

TEST_F(RprocCore, BootRunsEveryStepInOrder) {
  ASSERT_EQ(rproc_->boot(), 0) << log_.contents();
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(rproc_->power(), 1);
  EXPECT_EQ(requests(), 1);
  EXPECT_EQ(rec_->take(), (Calls{"prepare", "parse_fw", "load", "find_loaded_rsc_table",
                                 "sub.prepare", "start", "sub.start"}));
  ASSERT_EQ(rec_->loaded.size(), 1u);
  EXPECT_EQ(rec_->loaded[0], fake_image('A', table_a()));
  const std::string log = log_.contents();
  EXPECT_NE(log.find("remoteproc remoteproc0: powering up m4"), std::string::npos) << log;
  EXPECT_NE(log.find("Booting fw image fw.bin, size"), std::string::npos) << log;
  EXPECT_NE(log.find("remote processor m4 is now up"), std::string::npos) << log;
}

TEST_F(RprocCore, ShutdownUndoesTheBootInReverse) {
  boot_ok();
  ASSERT_EQ(rproc_->shutdown(), 0);
  EXPECT_EQ(rec_->take(), (Calls{"sub.stop", "stop", "sub.unprepare", "release_fw", "unprepare"}));
  expect_clean_offline();
  EXPECT_NE(log_.contents().find("stopped remote processor m4"), std::string::npos);
}

TEST_F(RprocCore, BootIsRefcounted) {
  ASSERT_EQ(rproc_->boot(), 0);
  ASSERT_EQ(rproc_->boot(), 0);  // no -EBUSY since Linux 5.19: one more user
  EXPECT_EQ(rproc_->power(), 2);
  EXPECT_EQ(rec_->count("start"), 1u);
  EXPECT_EQ(requests(), 1);  // the second user does not even read the file
  EXPECT_NE(log_.contents().find("powered up already (2 users)"), std::string::npos);

  ASSERT_EQ(rproc_->shutdown(), 0);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(rproc_->power(), 1);
  EXPECT_EQ(rec_->count("stop"), 0u);

  ASSERT_EQ(rproc_->shutdown(), 0);
  EXPECT_EQ(rproc_->state(), RprocState::kOffline);
  EXPECT_EQ(rproc_->power(), 0);
  EXPECT_EQ(rec_->count("stop"), 1u);

  EXPECT_EQ(rproc_->shutdown(), -EINVAL);  // not running
  EXPECT_EQ(rproc_->power(), 0);
  EXPECT_EQ(rec_->count("stop"), 1u);
  expect_clean_offline();
}

TEST_F(RprocCore, ShutdownWhenOfflineIsInvalid) {
  EXPECT_EQ(rproc_->shutdown(), -EINVAL);
  EXPECT_EQ(rproc_->power(), 0);
  EXPECT_TRUE(rec_->take().empty());
}

TEST_F(RprocCore, DetachOfAProcessorThatWasNotAttachedIsInvalid) {
  EXPECT_EQ(rproc_->detach(), -EINVAL);
  boot_ok();
  EXPECT_EQ(rproc_->detach(), -EINVAL);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_TRUE(rec_->take().empty());
}

TEST_F(RprocCore, BootAndShutdownRepeat) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(rproc_->boot(), 0) << i;
    ASSERT_EQ(rproc_->shutdown(), 0) << i;
  }
  EXPECT_EQ(rec_->count("start"), 20u);
  expect_clean_offline();
}

TEST_F(RprocCore, MissingFirmwareFileFailsBeforeTheBackend) {
  ASSERT_EQ(rproc_->set_firmware("missing.bin"), 0);
  EXPECT_EQ(rproc_->boot(), -ENOENT);
  EXPECT_TRUE(rec_->take().empty());
  expect_clean_offline();
  EXPECT_NE(log_.contents().find("Direct firmware load for missing.bin failed with error -2"),
            std::string::npos)
      << log_.contents();
  ASSERT_EQ(rproc_->set_firmware("fw.bin"), 0);
  EXPECT_EQ(rproc_->boot(), 0);
}

TEST_F(RprocCore, FailureOfPrepareLeavesNothingBehind) {
  rec_->set_fail("prepare", -ENODEV);
  EXPECT_EQ(rproc_->boot(), -ENODEV);
  EXPECT_EQ(rec_->take(), (Calls{"prepare!"}));
  EXPECT_EQ(rproc_->state(), RprocState::kOffline);
  EXPECT_EQ(rproc_->power(), 0);
  EXPECT_EQ(rec_->subdevices_alive, 0);
  rec_->set_fail("prepare", 0);
  ASSERT_EQ(rproc_->boot(), 0);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
}

// A failure at each step of the boot: everything is undone, release_fw is called exactly once,
// the errno is the backend's, and the next boot works.
class RprocCoreBootFailure : public RprocCore, public ::testing::WithParamInterface<std::string> {};

TEST_P(RprocCoreBootFailure, UndoesEverythingAndTheNextBootWorks) {
  const std::string op = GetParam();
  rec_->set_fail(op, -ENOEXEC);
  EXPECT_EQ(rproc_->boot(), -ENOEXEC);
  const Calls calls = rec_->take();
  SCOPED_TRACE(::testing::PrintToString(calls));
  EXPECT_NE(std::find(calls.begin(), calls.end(), op + "!"), calls.end());
  // Nothing of the boot remains (counts taken over this boot's calls).
  auto n = [&](const std::string& c) { return std::count(calls.begin(), calls.end(), c); };
  EXPECT_EQ(n("release_fw"), 1);
  EXPECT_EQ(n("prepare"), 1);
  EXPECT_EQ(n("unprepare"), 1);
  EXPECT_EQ(n("sub.prepare"), n("sub.unprepare"));
  EXPECT_EQ(n("start"), n("stop"));
  EXPECT_EQ(n("sub.start"), n("sub.stop(crashed)") + n("sub.stop"));
  EXPECT_EQ(rproc_->state(), RprocState::kOffline);
  EXPECT_EQ(rproc_->power(), 0);
  EXPECT_TRUE(rproc_->traces().empty());
  EXPECT_EQ(remoteproc::debugfs_resource_table(*rproc_), "No resource table found\n");
  EXPECT_EQ(rec_->subdevices_alive, 0);
  // The vdev's status went back to 0 in the loaded table (if it ever got there).
  EXPECT_EQ(ipc_[vdev_status_offset(table_a())], 0);
  EXPECT_NE(log_.contents().find("Failed to boot m4: -8"), std::string::npos) << log_.contents();
  // Still offline: shutdown is refused, and a later boot really starts.
  EXPECT_EQ(rproc_->shutdown(), -EINVAL);
  rec_->set_fail(op, 0);
  const size_t starts = rec_->count("start");
  ASSERT_EQ(rproc_->boot(), 0) << log_.contents();
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(rproc_->power(), 1);
  EXPECT_EQ(rec_->count("start"), starts + 1);
  ASSERT_EQ(rproc_->traces().size(), 1u);
  ASSERT_EQ(rproc_->shutdown(), 0);
  expect_clean_offline();
}

INSTANTIATE_TEST_SUITE_P(RprocEveryStep, RprocCoreBootFailure,
                         ::testing::Values("parse_fw", "load", "find_loaded_rsc_table",
                                           "sub.prepare", "start", "sub.start"),
                         [](const auto& p) {
                           std::string s = p.param;
                           for (char& c : s)
                             if (c == '.') c = '_';
                           return s;
                         });

TEST_F(RprocCore, FailedStopKeepsTheProcessorRunningAndReferenced) {
  boot_ok();
  rec_->set_fail("stop", -EIO);
  EXPECT_EQ(rproc_->shutdown(), -EIO);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(rproc_->power(), 1);
  EXPECT_EQ(rec_->count("release_fw"), 0u);
  rec_->set_fail("stop", 0);
  ASSERT_EQ(rproc_->shutdown(), 0);
  EXPECT_EQ(rproc_->state(), RprocState::kOffline);
  EXPECT_EQ(rproc_->power(), 0);
  EXPECT_EQ(rec_->count("release_fw"), 1u);
  EXPECT_EQ(rec_->count("unprepare"), 1u);
}

TEST_F(RprocCore, DestroyingARunningProcessorShutsItDown) {
  boot_ok();
  rproc_.reset();
  EXPECT_EQ(rec_->take(), (Calls{"sub.stop", "stop", "sub.unprepare", "release_fw", "unprepare"}));
  EXPECT_EQ(rec_->subdevices_alive, 0);
}

// --- attributes ----------------------------------------------------------------------------

TEST_F(RprocCore, FirmwareNameChangesOnlyWhileOffline) {
  boot_ok();
  EXPECT_EQ(rproc_->set_firmware("other.bin"), -EBUSY);
  EXPECT_EQ(rproc_->firmware(), "fw.bin");
  ASSERT_EQ(rproc_->shutdown(), 0);
  EXPECT_EQ(rproc_->set_firmware(""), -EINVAL);
  EXPECT_EQ(rproc_->set_firmware("\n"), -EINVAL);
  EXPECT_EQ(rproc_->set_firmware("a\nb"), -EINVAL);
  EXPECT_EQ(rproc_->firmware(), "fw.bin");
  ASSERT_EQ(rproc_->set_firmware("other.bin\n"), 0);  // one trailing newline accepted
  EXPECT_EQ(rproc_->firmware(), "other.bin");

  // The next boot reads the new name.
  set_file("other.bin", fake_image('B', table_a(kTraceDa + 0x200)));
  ASSERT_EQ(rproc_->boot(), 0);
  ASSERT_EQ(rproc_->traces().size(), 1u);
  EXPECT_EQ(rproc_->traces()[0].da, kTraceDa + 0x200);
}

TEST_F(RprocCore, CoredumpAndRecoverySettings) {
  for (auto mode : {CoredumpMode::kDisabled, CoredumpMode::kInline, CoredumpMode::kEnabled}) {
    ASSERT_EQ(rproc_->set_coredump(mode), 0);
    EXPECT_EQ(rproc_->coredump_mode(), mode);
  }
  ASSERT_EQ(rproc_->set_recovery_disabled(true), 0);
  EXPECT_TRUE(rproc_->recovery_disabled());
  boot_ok();
  ASSERT_EQ(rproc_->set_coredump(CoredumpMode::kInline), 0);  // allowed while running
  crash();
  ASSERT_EQ(rproc_->state(), RprocState::kCrashed);
  EXPECT_EQ(rproc_->set_coredump(CoredumpMode::kDisabled), -EBUSY);
  EXPECT_EQ(rproc_->coredump_mode(), CoredumpMode::kInline);
  ASSERT_EQ(rproc_->set_recovery_disabled(false), 0);  // allowed while crashed
  EXPECT_FALSE(rproc_->recovery_disabled());
}

// --- crash and recovery --------------------------------------------------------------------

class RprocCoreCoredumpMode : public RprocCore,
                              public ::testing::WithParamInterface<CoredumpMode> {};

TEST_P(RprocCoreCoredumpMode, CrashDumpsThenRecoversTheProcessor) {
  const CoredumpMode mode = GetParam();
  ASSERT_EQ(rproc_->set_coredump(mode), 0);
  boot_ok();
  crash(CrashType::kMmuFault);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning) << log_.contents();
  EXPECT_EQ(rproc_->crash_count(), 1u);
  EXPECT_EQ(rproc_->power(), 1);
  // The dump comes before the stop (the secure world wipes memory on STOP); the same image is
  // then parsed, loaded and started again.
  Calls expected = {"sub.stop(crashed)"};
  if (mode != CoredumpMode::kDisabled) expected.push_back("coredump");
  for (const char* c : {"stop", "sub.unprepare", "release_fw", "unprepare", "prepare", "parse_fw",
                        "load", "find_loaded_rsc_table", "sub.prepare", "start", "sub.start"})
    expected.push_back(c);
  EXPECT_EQ(rec_->take(), expected);
  const auto d = dumps();
  if (mode == CoredumpMode::kDisabled) {
    EXPECT_TRUE(d.empty());
  } else {
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0], rec_->dump);
  }
  EXPECT_EQ(inline_waits(), mode == CoredumpMode::kInline ? 1 : 0);
  const std::string log = log_.contents();
  EXPECT_NE(log.find("crash detected in m4: type mmufault"), std::string::npos) << log;
  EXPECT_NE(log.find("handling crash #1 in m4 (mmufault)"), std::string::npos) << log;
  EXPECT_NE(log.find("recovery of m4 done"), std::string::npos) << log;
  // The recovered processor is a normal running one.
  ASSERT_EQ(rproc_->traces().size(), 1u);
  ASSERT_EQ(rproc_->shutdown(), 0);
  expect_clean_offline();
}

INSTANTIATE_TEST_SUITE_P(RprocModes, RprocCoreCoredumpMode,
                         ::testing::Values(CoredumpMode::kDisabled, CoredumpMode::kEnabled,
                                           CoredumpMode::kInline),
                         [](const auto& p) {
                           return std::string(remoteproc::coredump_mode_name(p.param));
                         });

TEST_F(RprocCore, RecoveryRestartsTheImageThatWasRunningNotTheFileAsItIsNow) {
  const Bytes a = fake_image('A', table_a());
  const Bytes b = fake_image('B', table_a(kTraceDa + 0x400));
  boot_ok();
  set_file("fw.bin", b);  // replaced on disk while the processor runs
  crash();
  ASSERT_EQ(rproc_->state(), RprocState::kRunning) << log_.contents();
  EXPECT_EQ(requests(), 1);  // recovery never re-reads the file
  ASSERT_EQ(rec_->parsed.size(), 2u);
  ASSERT_EQ(rec_->loaded.size(), 2u);
  EXPECT_EQ(rec_->parsed[1], a);
  EXPECT_EQ(rec_->loaded[1], a);
  // The resource table is the old image's too (never the new file's table with the old image).
  ASSERT_EQ(rproc_->traces().size(), 1u);
  EXPECT_EQ(rproc_->traces()[0].da, kTraceDa);

  // A second crash still restarts A; only a fresh boot picks up B.
  crash();
  EXPECT_EQ(rec_->loaded.back(), a);
  EXPECT_EQ(rproc_->crash_count(), 2u);
  ASSERT_EQ(rproc_->shutdown(), 0);
  ASSERT_EQ(rproc_->boot(), 0);
  EXPECT_EQ(requests(), 2);
  EXPECT_EQ(rec_->loaded.back(), b);
  ASSERT_EQ(rproc_->traces().size(), 1u);
  EXPECT_EQ(rproc_->traces()[0].da, kTraceDa + 0x400);
}

TEST_F(RprocCore, WithRecoveryDisabledACrashStaysUntilRecoveryIsTriggered) {
  ASSERT_EQ(rproc_->set_recovery_disabled(true), 0);
  ASSERT_EQ(rproc_->boot(), 0);
  ASSERT_EQ(rproc_->boot(), 0);  // two users
  rec_->take();
  crash(CrashType::kFatalError);
  EXPECT_EQ(rproc_->state(), RprocState::kCrashed);
  EXPECT_EQ(rproc_->crash_count(), 1u);
  EXPECT_TRUE(rec_->take().empty());  // nothing stopped, nothing dumped yet
  EXPECT_TRUE(dumps().empty());

  // Later reports while crashed are ignored.
  crash(CrashType::kMmuFault);
  crash(CrashType::kWatchdog);
  EXPECT_EQ(rproc_->crash_count(), 1u);
  EXPECT_EQ(rproc_->state(), RprocState::kCrashed);

  // While crashed: boot only takes one more reference (rproc_boot's power > 1: nothing
  // started), shutdown is refused (only a running or attached processor can be stopped, as
  // in Linux); the references are kept.
  EXPECT_EQ(rproc_->boot(), 0);
  EXPECT_EQ(rproc_->power(), 3);
  EXPECT_EQ(rproc_->shutdown(), -EINVAL);
  EXPECT_EQ(rproc_->set_firmware("x"), -EBUSY);
  EXPECT_EQ(rproc_->power(), 3);
  EXPECT_TRUE(rec_->take().empty());

  ASSERT_EQ(rproc_->trigger_recovery(), 0);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(rproc_->power(), 3);
  EXPECT_EQ(rec_->count("start"), 2u);  // the boot and the recovery
  EXPECT_EQ(dumps().size(), 1u);
  // Recovery when not crashed does nothing.
  rec_->take();
  EXPECT_EQ(rproc_->trigger_recovery(), 0);
  EXPECT_TRUE(rec_->take().empty());
  ASSERT_EQ(rproc_->shutdown(), 0);
  ASSERT_EQ(rproc_->shutdown(), 0);
  ASSERT_EQ(rproc_->shutdown(), 0);
  expect_clean_offline();
}

// A firmware that crashes right after every start: the first crash is recovered at once, each
// following one waits twice as long (and says so), so the host does not spin on it.
TEST_F(RprocCore, CrashesRightAfterEachStartBackOffAndSaySo) {
  boot_ok();
  crash(CrashType::kMmuFault);  // 1st quick crash: at once
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(log_.contents().find("recovery in"), std::string::npos) << log_.contents();
  const auto t0 = std::chrono::steady_clock::now();
  crash(CrashType::kMmuFault);  // 2nd: 100 ms
  crash(CrashType::kMmuFault);  // 3rd: 200 ms
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(rproc_->crash_count(), 3u);
  EXPECT_GE(waited, std::chrono::milliseconds(300));  // the back-off itself, not a speed
  const std::string log = log_.contents();
  EXPECT_NE(log.find("m4 crashed 2 times in a row during its boot (within 1000 ms of its start): "
                     "recovery in 100 ms"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("m4 crashed 3 times in a row during its boot (within 1000 ms of its start): "
                     "recovery in 200 ms"),
            std::string::npos)
      << log;
  EXPECT_EQ(Rproc::kMaxBackoff, std::chrono::milliseconds(5000));
}

TEST_F(RprocCore, ACrashAfterTheFirmwareTalkedToTheHostIsRecoveredAtOnce) {
  boot_ok();
  crash(CrashType::kMmuFault);
  rproc_->vq_interrupt(0);  // the restarted firmware signalled a vring: it got past its boot
  crash(CrashType::kMmuFault);
  rproc_->vq_interrupt(1);
  crash(CrashType::kMmuFault);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(rproc_->crash_count(), 3u);
  EXPECT_EQ(log_.contents().find("recovery in"), std::string::npos) << log_.contents();
}

TEST_F(RprocCore, ACrashLongAfterTheStartIsRecoveredAtOnce) {
  boot_ok();
  crash(CrashType::kMmuFault);
  std::this_thread::sleep_for(Rproc::kQuickCrash + std::chrono::milliseconds(50));
  crash(CrashType::kMmuFault);  // not quick: the count starts over
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(log_.contents().find("recovery in"), std::string::npos) << log_.contents();
}

// A stop while the recovery waits cancels it: offline, nothing left, no shutdown request to a
// crashed firmware.
TEST_F(RprocCore, AStopDuringTheBackOffCancelsTheRecovery) {
  boot_ok();
  crash(CrashType::kMmuFault);
  rproc_->report_crash(CrashType::kMmuFault);  // the 2nd quick one: 100 ms of waiting
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (log_.contents().find("recovery in 100 ms") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << log_.contents();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(rproc_->state(), RprocState::kCrashed);
  const size_t starts = rec_->count("start");
  ASSERT_EQ(rproc_->shutdown(), 0);
  rproc_->flush_crash_work();
  EXPECT_EQ(rec_->count("start"), starts);  // not restarted
  EXPECT_NE(log_.contents().find("recovery of m4 cancelled: stopped"), std::string::npos)
      << log_.contents();
  expect_clean_offline();
  ASSERT_EQ(rproc_->boot(), 0);  // and it boots again
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
}

TEST_F(RprocCore, CrashReportsWhileOfflineAreIgnored) {
  crash();
  EXPECT_EQ(rproc_->state(), RprocState::kOffline);
  EXPECT_EQ(rproc_->crash_count(), 0u);
  EXPECT_TRUE(rec_->take().empty());
}

TEST_F(RprocCore, FailedRecoveryLeavesAnOfflineProcessorThatBootStartsAgain) {
  ASSERT_EQ(rproc_->boot(), 0);
  ASSERT_EQ(rproc_->boot(), 0);  // two users: the failed recovery drops both references
  rec_->take();
  rec_->set_fail("load", -EIO);
  crash();
  EXPECT_EQ(rproc_->state(), RprocState::kOffline) << log_.contents();
  EXPECT_EQ(rproc_->power(), 0);
  EXPECT_EQ(rproc_->crash_count(), 1u);
  EXPECT_NE(log_.contents().find("recovery of m4 failed: -5"), std::string::npos)
      << log_.contents();
  expect_clean_offline();
  EXPECT_EQ(rproc_->shutdown(), -EINVAL);

  // Linux pitfall 1: there, power stays 1 and this boot is a silent no-op.
  rec_->set_fail("load", 0);
  rec_->take();
  ASSERT_EQ(rproc_->boot(), 0);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(rproc_->power(), 1);
  EXPECT_EQ(requests(), 2);  // a fresh boot reads the file
  EXPECT_EQ(rec_->take(), (Calls{"prepare", "parse_fw", "load", "find_loaded_rsc_table",
                                 "sub.prepare", "start", "sub.start"}));
  ASSERT_EQ(rproc_->shutdown(), 0);
  expect_clean_offline();
}

TEST_F(RprocCore, FailedTriggeredRecoveryReturnsTheError) {
  ASSERT_EQ(rproc_->set_recovery_disabled(true), 0);
  boot_ok();
  crash();
  ASSERT_EQ(rproc_->state(), RprocState::kCrashed);
  rec_->set_fail("start", -ETIMEDOUT);
  EXPECT_EQ(rproc_->trigger_recovery(), -ETIMEDOUT);
  expect_clean_offline();
  rec_->set_fail("start", 0);
  ASSERT_EQ(rproc_->boot(), 0);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
}

TEST_F(RprocCore, AFailingCoredumpDoesNotStopTheRecovery) {
  boot_ok();
  rec_->set_fail("coredump", -ENOMEM);
  crash();
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_TRUE(dumps().empty());
  EXPECT_NE(log_.contents().find("coredump failed: -12"), std::string::npos);
}

TEST_F(RprocCore, StateIsReadableWhileAnInlineDumpIsPending) {
  ASSERT_EQ(rproc_->set_coredump(CoredumpMode::kInline), 0);
  boot_ok();
  {
    std::lock_guard lock(env_mutex_);
    hold_inline_ = true;
  }
  rproc_->report_crash(CrashType::kWatchdog);
  // Wait until the worker is inside the inline wait.
  for (int i = 0; i < 5000 && inline_waits() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(inline_waits(), 1);
  // A reader of `state` (cat /sys/class/remoteproc/remoteproc0/state) is not held up by the
  // dump waiting to be read (Linux reads the state without the lock).
  auto state = std::async(std::launch::async, [&] { return rproc_->state(); });
  const bool answered = state.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
  {
    std::lock_guard lock(env_mutex_);
    hold_inline_ = false;
  }
  inline_cv_.notify_all();
  rproc_->flush_crash_work();
  ASSERT_TRUE(answered) << "state() blocked while the inline coredump was pending";
  EXPECT_EQ(state.get(), RprocState::kCrashed);
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
}

TEST_F(RprocCore, ReportsWhileACrashIsHandledAreTheSameCrash) {
  ASSERT_EQ(rproc_->set_coredump(CoredumpMode::kInline), 0);
  boot_ok();
  {
    std::lock_guard lock(env_mutex_);
    hold_inline_ = true;
  }
  rproc_->report_crash(CrashType::kWatchdog);
  for (int i = 0; i < 5000 && inline_waits() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(inline_waits(), 1);
  // The watchdog and an MMU fault fire again while the first report is being handled: the
  // first report moved the processor to crashed, later ones are ignored (one recovery).
  rproc_->report_crash(CrashType::kWatchdog);
  rproc_->report_crash(CrashType::kMmuFault);
  {
    std::lock_guard lock(env_mutex_);
    hold_inline_ = false;
  }
  inline_cv_.notify_all();
  rproc_->flush_crash_work();
  EXPECT_EQ(rproc_->state(), RprocState::kRunning);
  EXPECT_EQ(rproc_->crash_count(), 1u) << log_.contents();
  EXPECT_EQ(rec_->count("start"), 2u);  // the boot and one recovery
  EXPECT_EQ(dumps().size(), 1u);
}

TEST_F(RprocCore, CrashesRacingBootAndShutdownLeaveAConsistentProcessor) {
  std::atomic<bool> done{false};
  std::thread crasher([&] {
    while (!done) {
      rproc_->report_crash(CrashType::kWatchdog);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  int unexpected = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int i = 0; (i < 300 || rproc_->crash_count() < 3) && unexpected == 0 &&
                  std::chrono::steady_clock::now() < deadline;
       ++i) {
    const int b = rproc_->boot();
    EXPECT_TRUE(b == 0 || b == -EBUSY) << b;  // -EBUSY: a crash is being handled
    const int s = rproc_->shutdown();
    EXPECT_TRUE(s == 0 || s == -EINVAL) << s;  // -EINVAL: offline or crashed
    unexpected += (b != 0 && b != -EBUSY) + (s != 0 && s != -EINVAL);
  }
  done = true;
  crasher.join();
  ASSERT_EQ(unexpected, 0);
  EXPECT_GT(rproc_->crash_count(), 0u);
  rproc_->flush_crash_work();
  // Bring it to a known state: whatever references are left are dropped.
  if (rproc_->state() == RprocState::kCrashed) {
    ASSERT_EQ(rproc_->trigger_recovery(), 0);
  }
  while (rproc_->power() > 0) {
    ASSERT_EQ(rproc_->shutdown(), 0);
  }
  expect_clean_offline();
  ASSERT_EQ(rproc_->boot(), 0);
  ASSERT_EQ(rproc_->shutdown(), 0);
}

// --- resource table ------------------------------------------------------------------------

TEST_F(RprocCore, TraceBufferOfTheTable) {
  boot_ok();
  const auto traces = rproc_->traces();
  ASSERT_EQ(traces.size(), 1u);
  EXPECT_EQ(traces[0].name, "trace-a");
  EXPECT_EQ(traces[0].da, kTraceDa);
  EXPECT_EQ(traces[0].len, kTraceLen);
  EXPECT_EQ(traces[0].va, ipc_.data() + (kTraceDa - kIpcDa));
  EXPECT_NE(log_.contents().find("trace0 added: da 0x10001000, len 0x100"), std::string::npos);
}

TEST_F(RprocCore, ResolvedTableIsCopiedToTheLoadedOne) {
  const Bytes table = table_a();
  boot_ok();
  // While running, the table in use is the loaded copy in device memory.
  const auto now = rproc_->table();
  ASSERT_EQ(now.data(), ipc_.data());
  ASSERT_EQ(now.size(), table.size());
  auto parsed = image::parse_resource_table(now);
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto& carveout = std::get<image::RscCarveout>(parsed->entries[0].body);
  EXPECT_EQ(carveout.da, kIpcDa);  // FW_RSC_ADDR_ANY resolved to the region
  EXPECT_EQ(carveout.pa, kIpcDa);
  const auto& vdev = std::get<image::RscVdev>(parsed->entries[3].body);
  ASSERT_EQ(vdev.vrings.size(), 2u);
  EXPECT_EQ(vdev.vrings[0].da, kVring0Da);
  EXPECT_EQ(vdev.vrings[1].da, kVring1Da);
  EXPECT_EQ(vdev.status, remoteproc::kVirtioAcknowledge);
  ASSERT_EQ(rproc_->shutdown(), 0);
  // Stopped: status cleared in device memory, no table in use.
  EXPECT_EQ(ipc_[vdev.status_offset], 0);
  EXPECT_TRUE(rproc_->table().empty());
}

TEST_F(RprocCore, WithoutALoadedTableTheCachedCopyIsUsed) {
  rec_->loaded_table = false;
  boot_ok();
  const auto now = rproc_->table();
  ASSERT_EQ(now.size(), table_a().size());
  EXPECT_NE(now.data(), ipc_.data());
  EXPECT_TRUE(std::all_of(ipc_.begin(), ipc_.end(), [](uint8_t b) { return b == 0; }));
}

TEST_F(RprocCore, ResourceTableAndCarveoutDumps) {
  EXPECT_EQ(remoteproc::debugfs_resource_table(*rproc_), "No resource table found\n");
  boot_ok();
  const std::string dump = remoteproc::debugfs_resource_table(*rproc_);
  // rproc_rsc_table_show()'s format strings, byte for byte (blank line after each entry and
  // vring, the reserved fields, guest features, the vring's physical address).
  for (const char* part :
       {"Entry 0 is of type carveout\n  Device Address 0x10000000\n  Physical Address "
        "0x10000000\n  Length 0x1000 Bytes\n  Flags 0x0\n  Reserved (should be zero) [0]\n"
        "  Name ipc\n\n"
        "Entry 1 is of type devmem\n  Device Address 0x40000000\n  Physical Address "
        "0x40000000\n  Length 0x1000 Bytes\n  Flags 0x0\n  Reserved (should be zero) [0]\n"
        "  Name mmio\n\n"
        "Entry 2 is of type trace\n  Device Address 0x10001000\n  Length 0x100 Bytes\n"
        "  Reserved (should be zero) [0]\n  Name trace-a\n\n"
        "Entry 3 is of type vdev\n  ID 7\n  Notify ID 0\n  Device features 0x1\n"
        "  Guest features 0x0\n  Config length 0x0\n  Status 0x1\n  Number of vrings 2\n  Reserved "
        "(should be zero) [0][0]\n\n"
        "  Vring 0\n    Device Address 0x10010000\n    Alignment 16\n    Number of buffers 16\n"
        "    Notify ID 0\n    Physical Address 0x0\n\n"
        "  Vring 1\n    Device Address 0x10011000\n    Alignment 16\n    Number of buffers 16\n"
        "    Notify ID 1\n    Physical Address 0x0\n\n"})
    EXPECT_NE(dump.find(part), std::string::npos) << "missing:\n" << part << "\nin:\n" << dump;
  EXPECT_EQ(dump.rfind("Entry 0 is of type carveout\n", 0), 0u) << dump;
  EXPECT_TRUE(dump.ends_with("Notify ID 1\n    Physical Address 0x0\n\n")) << dump;

  // rproc_carveouts_show(): %pK is our mapping, %pad the physical address as a 64-bit
  // dma_addr_t, 0x%x the device address, 0x%zx the length; a blank line after each.
  std::string want;
  for (const auto& m : regions())
    want += fmt::format(
        "Carveout memory entry:\n\tName: {}\n\tVirtual address: {:016x}\n\tDMA address: "
        "0x{:016x}\n\tDevice address: 0x{:x}\n\tLength: 0x{:x} Bytes\n\n",
        m.name, reinterpret_cast<uintptr_t>(m.va), m.pa, m.da, m.size);
  EXPECT_EQ(remoteproc::debugfs_carveout_memories(*rproc_), want);
  EXPECT_NE(want.find("\tName: retram\n\tVirtual address: "), std::string::npos);
  EXPECT_NE(want.find("\tDMA address: 0x0000000038000000\n\tDevice address: 0x0\n"
                      "\tLength: 0x1000 Bytes\n\n"),
            std::string::npos);
  ASSERT_EQ(rproc_->shutdown(), 0);
  EXPECT_EQ(remoteproc::debugfs_resource_table(*rproc_), "No resource table found\n");
}

TEST_F(RprocCore, FirmwareWithoutATableBootsWithoutResources) {
  set_file("fw.bin", fake_image('N', {}));
  boot_ok();
  EXPECT_TRUE(rproc_->traces().empty());
  EXPECT_EQ(remoteproc::debugfs_resource_table(*rproc_), "No resource table found\n");
  EXPECT_NE(log_.contents().find("no resource table: booting without resources"),
            std::string::npos);
  ASSERT_EQ(rproc_->shutdown(), 0);
  expect_clean_offline();
}

TEST_F(RprocCore, VendorEntriesAreIgnored) {
  RscTableBuilder b;
  b.add_raw(200, Bytes(8, 0));
  b.add_trace(kTraceDa, kTraceLen, "t");
  set_file("fw.bin", fake_image('V', b.build()));
  boot_ok();
  EXPECT_EQ(rproc_->traces().size(), 1u);
  EXPECT_NE(log_.contents().find("unsupported resource type 200"), std::string::npos);
}

struct BadTable {
  std::string name;
  Bytes table;
  int err;
  std::string log;
};

void PrintTo(const BadTable& t, std::ostream* os) {
  *os << t.name;
}

class RprocCoreBadTable : public RprocCore, public ::testing::WithParamInterface<BadTable> {};

TEST_P(RprocCoreBadTable, BootFailsCleanly) {
  set_file("fw.bin", fake_image('X', GetParam().table));
  EXPECT_EQ(rproc_->boot(), GetParam().err);
  EXPECT_NE(log_.contents().find(GetParam().log), std::string::npos) << log_.contents();
  EXPECT_EQ(rec_->count("release_fw"), 1u);
  EXPECT_EQ(rec_->count("load"), 0u);  // refused before anything is loaded
  expect_clean_offline();
}

std::vector<BadTable> bad_tables() {
  std::vector<BadTable> out;
  out.push_back({"TraceOutsideEveryMapping",
                 RscTableBuilder().add_trace(0x20000000, 0x100, "t").build(), -EINVAL,
                 "trace t: da 0x20000000 len 0x100 is not in memory the normal world can read"});
  out.push_back({"TraceCrossingTheEndOfItsRegion",
                 RscTableBuilder().add_trace(kIpcDa + kIpcSize - 0x80, 0x100, "t").build(), -EINVAL,
                 "is not in memory the normal world can read"});
  out.push_back({"CarveoutWithoutRegion",
                 RscTableBuilder().add_carveout(0xFFFFFFFF, 0xFFFFFFFF, 0x100, 0, "nope").build(),
                 -ENOMEM, "carveout nope: da 0xffffffff len 0x100 has no matching memory region"});
  out.push_back({"CarveoutLargerThanItsRegion",
                 RscTableBuilder().add_carveout(0xFFFFFFFF, 0xFFFFFFFF, 0x20000, 0, "ipc").build(),
                 -ENOMEM, "has no matching memory region"});
  out.push_back({"CarveoutAtAnotherAddress",
                 RscTableBuilder().add_carveout(0x10008000, 0xFFFFFFFF, 0x100, 0, "ipc").build(),
                 -ENOMEM, "has no matching memory region"});
  {
    Bytes t = RscTableBuilder().add_trace(kTraceDa, 0x10, "t").build();
    t[0] = 2;  // version 2
    out.push_back({"Version2", t, -EINVAL, "invalid resource table"});
  }
  {
    Bytes t = RscTableBuilder().add_trace(kTraceDa, 0x10, "t").build();
    t[16] = 0xF0;  // offset[0] far outside the table
    out.push_back({"OffsetOutside", t, -EINVAL, "invalid resource table"});
  }
  out.push_back({"VringTooLargeForItsRegion",
                 RscTableBuilder().add_vdev(7, 0, 1, {{0xFFFFFFFF, 4096, 256, 0}}, 0).build(),
                 -ENOMEM, "needs a memory region named vdev0vring0"});
  out.push_back({"VringOutsideTheMappings",
                 RscTableBuilder().add_vdev(7, 0, 1, {{0x30000000, 16, 16, 0}}, 0).build(), -ENOMEM,
                 "vring0 at da 0x30000000 is not in memory the normal world can reach"});
  return out;
}

INSTANTIATE_TEST_SUITE_P(RprocTables, RprocCoreBadTable, ::testing::ValuesIn(bad_tables()),
                         [](const auto& p) { return p.param.name; });

// --- the handler table and the one unwind path ------------------------------------------

TEST_F(RprocCore, VendorResourcesGoToTheBackendOthersAreSkipped) {
  // As Linux's rproc_handle_resources: a vendor type (128..511) is offered to ops->handle_rsc
  // with the bytes after its type word; a type that is neither known nor vendor is skipped with
  // a warning; the known types go to their handlers.
  const Bytes vendor_body = {0xA1, 0xA2, 0xA3, 0xA4};
  set_file("fw.bin", fake_image('V', RscTableBuilder()
                                         .add_raw(128, vendor_body)
                                         .add_raw(5, Bytes(8, 0))
                                         .add_raw(511, Bytes(4, 0))
                                         .add_trace(kTraceDa, kTraceLen, "t")
                                         .build()));
  rec_->vendor_verdict = remoteproc::kRscHandled;
  boot_ok();
  ASSERT_EQ(rec_->vendor.size(), 2u);  // type 5 never reaches the backend
  EXPECT_EQ(rec_->vendor[0].first, 128u);
  ASSERT_GE(rec_->vendor[0].second.size(), vendor_body.size());
  EXPECT_TRUE(std::equal(vendor_body.begin(), vendor_body.end(), rec_->vendor[0].second.begin()));
  EXPECT_EQ(rec_->vendor[1].first, 511u);
  EXPECT_EQ(rproc_->traces().size(), 1u);
  const std::string log = log_.contents();
  EXPECT_NE(log.find("unsupported resource type 5 at offset"), std::string::npos) << log;
  EXPECT_EQ(log.find("unsupported resource type 128"), std::string::npos) << log;  // handled
  EXPECT_EQ(log.find("unsupported resource type 511"), std::string::npos) << log;
}

TEST_F(RprocCore, AVendorResourceTheBackendRefusesFailsTheBootCleanly) {
  set_file("fw.bin", fake_image('V', RscTableBuilder().add_raw(200, Bytes(8, 0)).build()));
  rec_->vendor_verdict = -EPROTO;
  EXPECT_EQ(rproc_->boot(), -EPROTO);
  EXPECT_NE(log_.contents().find("vendor resource type 200 at offset 0x14 refused: -71"),
            std::string::npos)
      << log_.contents();
  EXPECT_EQ(rec_->count("release_fw"), 1u);
  EXPECT_EQ(rec_->count("load"), 0u);
  expect_clean_offline();
}

TEST_F(RprocCore, ACarveoutOrVringAbove4GiBIsRefusedNotTruncated) {
  // The table's address fields are 32 bits: 0x1_1000_0000 would become 0x1000_0000, another
  // region's address. Linux casts with a warning; here the boot fails with EOVERFLOW.
  std::vector<MemoryMapping> high = regions();
  high[0].da = high[0].pa = uint64_t{1} << 32 | kIpcDa;  // "ipc" above 4 GiB
  rproc_ = make("fw.bin", high);
  set_file("fw.bin", fake_image('H', RscTableBuilder()
                                         .add_carveout(image::rsc::kAddrAny, image::rsc::kAddrAny,
                                                       0x1000, 0, "ipc")
                                         .build()));
  EXPECT_EQ(rproc_->boot(), -EOVERFLOW);
  EXPECT_NE(log_.contents().find("carveout ipc: EOVERFLOW: da 0x110000000 does not fit the "
                                 "resource table's 32-bit field"),
            std::string::npos)
      << log_.contents();
  EXPECT_EQ(rec_->count("load"), 0u);
  EXPECT_EQ(rec_->count("release_fw"), 1u);
  expect_clean_offline();

  high = regions();
  high[1].da = high[1].pa = uint64_t{1} << 32 | kVring0Da;  // "vdev0vring0" above 4 GiB
  rproc_ = make("fw.bin", high);
  set_file(
      "fw.bin",
      fake_image('H', RscTableBuilder().add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}}, 0).build()));
  EXPECT_EQ(rproc_->boot(), -EOVERFLOW);
  EXPECT_NE(log_.contents().find("vdev 0: vring0: EOVERFLOW: vring da 0x110010000 does not fit"),
            std::string::npos)
      << log_.contents();
  expect_clean_offline();
}

TEST_F(RprocCore, AFailureAtEveryStepOfABootOrARecoveryUnwindsOnce) {
  // The steps of rproc_fw_boot the fake backend can fail, a vendor resource's handler included.
  set_file("fw.bin", fake_image('U', RscTableBuilder()
                                         .add_raw(128, Bytes(4, 0))
                                         .add_trace(kTraceDa, kTraceLen, "t")
                                         .add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}}, 0)
                                         .build()));
  const char* steps[] = {"prepare",     "parse_fw", "handle_rsc", "load", "find_loaded_rsc_table",
                         "sub.prepare", "start",    "sub.start"};
  for (const std::string op : steps) {
    SCOPED_TRACE(op);
    const size_t prepared = op == "prepare" ? 0 : 1;  // a boot that prepared is unwound
    // A boot.
    rec_->set_fail(op, -ENOEXEC);
    EXPECT_EQ(rproc_->boot(), -ENOEXEC);
    Calls calls = rec_->take();
    EXPECT_EQ(static_cast<size_t>(std::count(calls.begin(), calls.end(), "release_fw")), prepared);
    expect_clean_offline();
    // A recovery: the crashed run is torn down (release_fw once), then its boot fails.
    rec_->set_fail(op, 0);
    boot_ok();
    rec_->set_fail(op, -ENOEXEC);
    crash();
    calls = rec_->take();
    EXPECT_EQ(static_cast<size_t>(std::count(calls.begin(), calls.end(), "release_fw")),
              1 + prepared);
    EXPECT_NE(log_.contents().find("recovery of m4 failed: -8"), std::string::npos);
    expect_clean_offline();
    rec_->set_fail(op, 0);
  }
  boot_ok();
  ASSERT_EQ(rproc_->shutdown(), 0);
  expect_clean_offline();
}

// --- address translation -------------------------------------------------------------------

TEST_F(RprocCore, DaToVaStaysInsideOneMapping) {
  EXPECT_EQ(rproc_->da_to_va(kRetramDa, kRetramSize), retram_.data());
  EXPECT_EQ(rproc_->da_to_va(kRetramDa + 0xFFF, 1), retram_.data() + 0xFFF);
  EXPECT_EQ(rproc_->da_to_va(kRetramDa + 0xFFF, 2), nullptr);
  EXPECT_EQ(rproc_->da_to_va(kRetramDa, kRetramSize + 1), nullptr);
  EXPECT_EQ(rproc_->da_to_va(kIpcDa + 0x10, 0x20), ipc_.data() + 0x10);
  EXPECT_EQ(rproc_->da_to_va(kIpcDa - 1, 2), nullptr);
  // Lengths that overflow da + len.
  EXPECT_EQ(rproc_->da_to_va(kIpcDa + 0x800, UINT64_MAX), nullptr);
  EXPECT_EQ(rproc_->da_to_va(kIpcDa + 0x800, UINT64_MAX - 0x7FF), nullptr);
  EXPECT_EQ(rproc_->da_to_va(kIpcDa, uint64_t{1} << 63), nullptr);
  // Addresses outside every mapping (and far beyond 32 bits).
  EXPECT_EQ(rproc_->da_to_va(0x20000000, 1), nullptr);
  EXPECT_EQ(rproc_->da_to_va(UINT64_MAX, 1), nullptr);
  EXPECT_EQ(rproc_->da_to_va(uint64_t{1} << 32 | kIpcDa, 1), nullptr);
  // A range spanning two adjacent mappings belongs to neither.
  EXPECT_EQ(rproc_->da_to_va(kVring0Da + kVringSize - 8, 16), nullptr);
  // The physical address of the M4 region is not a device address.
  EXPECT_EQ(rproc_->da_to_va(kRetramPa, 1), nullptr);
}

TEST_F(RprocCore, PaToVaUsesPhysicalAddresses) {
  EXPECT_EQ(rproc_->pa_to_va(kRetramPa + 0x10, 0x10), retram_.data() + 0x10);
  EXPECT_EQ(rproc_->pa_to_va(kRetramPa, kRetramSize), retram_.data());
  EXPECT_EQ(rproc_->pa_to_va(kRetramPa + 1, kRetramSize), nullptr);
  EXPECT_EQ(rproc_->pa_to_va(kRetramPa + 8, UINT64_MAX - 4), nullptr);
  EXPECT_EQ(rproc_->pa_to_va(kRetramDa, 1), nullptr);   // da 0 is not pa 0
  EXPECT_EQ(rproc_->pa_to_va(kIpcDa, 4), ipc_.data());  // da == pa there
  EXPECT_EQ(rproc_->pa_to_va(UINT64_MAX, 1), nullptr);
  EXPECT_EQ(rproc_->pa_to_va(uint64_t{1} << 32 | kRetramPa, 1), nullptr);
}

TEST_F(RprocCore, FindCarveoutByName) {
  const MemoryMapping* m = rproc_->find_carveout("vdev0buffer");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->da, kBufferDa);
  EXPECT_EQ(m->va, buffer_.data());
  EXPECT_EQ(rproc_->find_carveout("vdev1buffer"), nullptr);
}

// --- the core's environment: firmware lookup, core dumps, log --------------------------------

TEST(RprocFirmwareLoader, LooksUpNamesInTheSearchPathInOrder) {
  TempDir a, b;
  write_bytes(b / "fw.bin", {1, 2, 3});
  write_bytes(a / "both.bin", {0xA});
  write_bytes(b / "both.bin", {0xB});
  std::filesystem::create_directories(a.path() / "sub");
  write_bytes(a / "sub/nested.bin", {7});
  std::filesystem::create_directories(a.path() / "dir.bin");  // a folder is not a file
  write_bytes(b / "dir.bin", {9});
  remoteproc::FirmwareLoader loader({a.path().string(), b.path().string()});
  Firmware fw;
  ASSERT_EQ(loader.request("fw.bin", fw), 0);
  EXPECT_EQ(fw.name, "fw.bin");
  EXPECT_EQ(fw.data, (Bytes{1, 2, 3}));
  ASSERT_EQ(loader.request("both.bin", fw), 0);
  EXPECT_EQ(fw.data, Bytes{0xA});  // the first folder wins
  ASSERT_EQ(loader.request("sub/nested.bin", fw), 0);
  EXPECT_EQ(fw.data, Bytes{7});
  ASSERT_EQ(loader.request("dir.bin", fw), 0);
  EXPECT_EQ(fw.data, Bytes{9});
  EXPECT_EQ(loader.request("missing.bin", fw), -ENOENT);
}

TEST(RprocFirmwareLoader, NamesNeverEscapeTheFolders) {
  TempDir root;
  std::filesystem::create_directories(root.path() / "fw");
  write_bytes(root / "secret.bin", {0x5});
  remoteproc::FirmwareLoader loader({(root.path() / "fw").string()});
  Firmware fw;
  EXPECT_EQ(loader.request("../secret.bin", fw), -EINVAL);
  EXPECT_EQ(loader.request("a/../../secret.bin", fw), -EINVAL);
  EXPECT_EQ(loader.request(root / "secret.bin", fw), -EINVAL);  // absolute
  EXPECT_EQ(loader.request("", fw), -EINVAL);
  EXPECT_TRUE(fw.data.empty());
}

TEST(RprocDevcoredump, PublishReadConsumeDismiss) {
  remoteproc::DevcoredumpStore store;
  const int n = store.publish("remoteproc0", {1, 2, 3});
  EXPECT_EQ(n, 1);
  EXPECT_EQ(store.list(), std::vector<int>{1});
  ASSERT_NE(store.get(n), nullptr);
  EXPECT_EQ(*store.get(n), (Bytes{1, 2, 3}));
  EXPECT_EQ(store.device(n), "remoteproc0");
  EXPECT_EQ(store.get(2), nullptr);
  EXPECT_EQ(store.device(2), "");
  // Not consumed yet: an inline wait times out; once consumed it returns at once.
  EXPECT_FALSE(store.wait_consumed("remoteproc0", std::chrono::milliseconds(20)));
  store.consumed(n);
  EXPECT_TRUE(store.wait_consumed("remoteproc0", std::chrono::milliseconds(0)));
  // Another device's dump is not waited for.
  EXPECT_TRUE(store.wait_consumed("remoteproc1", std::chrono::milliseconds(0)));
  EXPECT_TRUE(store.dismiss(n));
  EXPECT_FALSE(store.dismiss(n));
  EXPECT_TRUE(store.list().empty());
}

TEST(RprocDevcoredump, AWaitEndsWhenTheDumpIsReadOrDismissedMeanwhile) {
  remoteproc::DevcoredumpStore store;
  for (bool dismiss : {false, true}) {
    const int n = store.publish("remoteproc0", {1});
    std::thread reader([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (dismiss)
        store.dismiss(n);
      else
        store.consumed(n);
    });
    EXPECT_TRUE(store.wait_consumed("remoteproc0", std::chrono::seconds(10))) << dismiss;
    reader.join();
  }
}

TEST(RprocDevcoredump, KeepsTheLastEight) {
  remoteproc::DevcoredumpStore store;
  for (int i = 0; i < 10; ++i) store.publish("remoteproc0", Bytes(1, static_cast<uint8_t>(i)));
  EXPECT_EQ(store.list(), (std::vector<int>{3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(store.get(1), nullptr);
  EXPECT_EQ(*store.get(10), Bytes{9});
}

TEST(RprocKernelLog, LinesLikeDmesgAndBounded) {
  KernelLog log(false);
  log.write("remoteproc remoteproc0", "powering up m33");
  log.log("remoteproc remoteproc1", "{} is {}", "state", 7);
  const std::string text = log.contents();
  // "[    0.000012] remoteproc remoteproc0: powering up m33\n"
  ASSERT_GE(text.size(), 15u);
  EXPECT_EQ(text[0], '[');
  EXPECT_EQ(text.substr(13, 2), "] ");
  EXPECT_NE(text.find("] remoteproc remoteproc0: powering up m33\n"), std::string::npos) << text;
  EXPECT_NE(text.find("] remoteproc remoteproc1: state is 7\n"), std::string::npos) << text;
  // The buffer keeps the last 1 MiB, whole lines only.
  const std::string line(1000, 'x');
  for (int i = 0; i < 1500; ++i) log.write("d", fmt::format("{:04} {}", i, line));
  const std::string bounded = log.contents();
  EXPECT_LE(bounded.size(), size_t{1} << 20);
  EXPECT_GT(bounded.size(), (size_t{1} << 20) - 2000);
  EXPECT_EQ(bounded[0], '[');
  EXPECT_EQ(bounded.back(), '\n');
  EXPECT_NE(bounded.find("1499 x"), std::string::npos);
  EXPECT_EQ(bounded.find("powering up"), std::string::npos);
}

// The ring wraps many times with lines of every size: what it holds is always exactly the
// newest whole lines that fit in 1 MiB, in order. Each line is "[" 12 characters "] d: " the
// payload "\n", so its size is known without reading it.
TEST(RprocKernelLog, RingKeepsTheNewestWholeLinesAcrossWraps) {
  KernelLog log(false);
  const auto payload = [](int i) {
    return fmt::format("{:05} {}", i, std::string(static_cast<size_t>(i * 7919 % 1500), 'y'));
  };
  for (int i = 0; i < 6000; ++i) {
    log.write("d", payload(i));
    if (i % 997 != 0 && i != 5999) continue;
    size_t first = static_cast<size_t>(i) + 1, bytes = 0;  // the oldest line that fits
    while (first > 0 && bytes + 19 + payload(static_cast<int>(first) - 1).size() <= (1u << 20))
      bytes += 19 + payload(static_cast<int>(--first)).size();
    std::string want_tail;
    const std::string text = log.contents();
    ASSERT_EQ(text.size(), bytes) << "after line " << i;
    size_t at = 0;
    for (size_t k = first; k <= static_cast<size_t>(i); ++k) {
      const std::string line = "] d: " + payload(static_cast<int>(k)) + "\n";
      ASSERT_EQ(text.compare(at + 13, line.size(), line), 0) << "line " << k << " after " << i;
      at += 13 + line.size();
    }
  }
}

TEST(RprocKernelLog, ASmallCapacityKeepsOnlyTheNewestWholeLines) {
  KernelLog log(false, 100);  // room for two 36-byte lines, not three
  for (int i = 0; i < 50; ++i) log.write("d", fmt::format("line {:012}", i));
  const std::string text = log.contents();
  EXPECT_EQ(text.size(), 2u * 36) << text;
  EXPECT_EQ(text.find("line 000000000048\n"), 18u) << text;
  EXPECT_TRUE(text.ends_with("] d: line 000000000049\n")) << text;
  EXPECT_EQ(text.front(), '[') << text;
}

}  // namespace
}  // namespace rproctee::test
