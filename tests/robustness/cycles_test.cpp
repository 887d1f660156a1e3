// Load over time: thousands of boot/stop cycles and a hundred crash/recovery cycles of the demo
// firmware on the emulated core. At the end the descriptor count is what it was after the
// first cycle, the resident memory has not crept up, the memories are zero once stopped, and
// the firmware still answers. RPROCTEE_CYCLES overrides the number of boot/stop cycles,
// RPROCTEE_CRASH_CYCLES that of crash/recovery cycles.
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "robustness/walk_support.hpp"
#include "support/demo_system.hpp"

namespace rproctee::test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr int kBootCycles = 200, kCrashCycles = 20;
#else
constexpr int kBootCycles = 1000, kCrashCycles = 100;
#endif

long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

/// The resident size once the allocator has given its free pages back. glibc keeps freed
/// memory in its arenas, and the test's own copies of the kernel log (up to 1 MiB each, made
/// while waiting for a recovery) raise the heap's top: neither is memory the process holds.
long held_kib() {
  ::malloc_trim(0);
  return resident_kib();
}

/// After a stop the core's engine worker closes the run's engine and builds the next one
/// (~5 ms): both measures are taken with it idle, so they count the same engines.
void settle() {
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

using Cycles = DemoSystemTest;

TEST_F(Cycles, BootStopCyclesLeaveNoDescriptorOrMemoryBehind) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));  // the first cycle warms every cache
  ASSERT_EQ(rproc().shutdown(), 0);
  settle();
  const size_t fds = open_descriptors();
  const long rss = resident_kib(), held = held_kib();
  const int cycles =
      static_cast<int>(std::max<uint64_t>(1, env_number("RPROCTEE_CYCLES", kBootCycles)));
  for (int i = 0; i < cycles; ++i) {
    ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign")) << "cycle " << i;
    if (i % 100 == 0) {  // now and then: the firmware really runs and answers
      auto channel = TtyChannel();
      ASSERT_NE(channel, nullptr) << "cycle " << i;
      ASSERT_EQ(Exchange(*channel, text_bytes("cycle")), text_bytes("cycle")) << "cycle " << i;
    }
    ASSERT_EQ(rproc().shutdown(), 0) << "cycle " << i << "\n" << Log();
  }
  EXPECT_TRUE(machine_->memories_zero());
  settle();
  EXPECT_EQ(open_descriptors(), fds);
  const long grown = resident_kib() - rss, held_grown = held_kib() - held;
  std::cout << "boot/stop cycles: " << cycles << ", descriptors " << fds << " -> "
            << open_descriptors() << ", resident memory grew by " << grown << " KiB (" << held_grown
            << " KiB once free pages are given back)\n";
  RecordProperty("cycles", cycles);
  RecordProperty("rss_growth_kib", static_cast<int>(grown));
  RecordProperty("held_growth_kib", static_cast<int>(held_grown));
#if !defined(__SANITIZE_ADDRESS__)
  // A fresh emulator per run keeps this flat; Unicorn's translation buffer grew by about 32 KiB
  // per boot before (recycled only when 1 GiB full). Under ASan freed memory sits in the
  // quarantine (256 MiB), so resident size says nothing there: LeakSanitizer checks at exit.
  EXPECT_LT(grown, 16 * 1024) << "resident memory crept up over " << cycles << " cycles";
  EXPECT_LT(held_grown, 4 * 1024) << "memory held crept up over " << cycles << " cycles";
#endif
}

TEST_F(Cycles, CrashRecoveryCyclesLeaveNoDescriptorBehind) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(rproc().set_coredump(remoteproc::CoredumpMode::kDisabled), 0);  // dumps: elsewhere
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  const int cycles =
      static_cast<int>(std::max<uint64_t>(2, env_number("RPROCTEE_CRASH_CYCLES", kCrashCycles)));
  size_t fds = 0;
  long rss = 0, held = 0;
  for (int i = 0; i < cycles; ++i) {
    if (i == 1) {  // after one crash and recovery: every cache warm, as for the boot cycles
      settle();
      fds = open_descriptors();
      rss = resident_kib();
      held = held_kib();
    }
    ASSERT_TRUE(channel->send(text_bytes("fault"))) << "cycle " << i;
    ASSERT_TRUE(RecoveredFrom(static_cast<uint32_t>(i + 1))) << "cycle " << i << "\n" << Log();
    channel = TtyChannel();  // the recovered firmware announces a new one
    ASSERT_NE(channel, nullptr) << "cycle " << i;
  }
  EXPECT_EQ(rproc().crash_count(), static_cast<uint32_t>(cycles));
  settle();
  const long grown = resident_kib() - rss, held_grown = held_kib() - held;
  EXPECT_EQ(Exchange(*channel, text_bytes("still here")), text_bytes("still here"));
  const size_t fds_after = open_descriptors();  // compared in the same state: running
  EXPECT_EQ(fds_after, fds);
  ASSERT_EQ(rproc().shutdown(), 0);
  EXPECT_TRUE(machine_->memories_zero());
  std::cout << "crash/recovery cycles: " << cycles << ", descriptors " << fds << " -> " << fds_after
            << ", resident memory grew by " << grown << " KiB (" << held_grown
            << " KiB once free pages are given back)\n";
  RecordProperty("crash_cycles", cycles);
  RecordProperty("crash_rss_growth_kib", static_cast<int>(grown));
  RecordProperty("crash_held_growth_kib", static_cast<int>(held_grown));
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(grown, 16 * 1024) << "resident memory crept up over " << cycles << " crash cycles";
  EXPECT_LT(held_grown, 4 * 1024) << "memory held crept up over " << cycles << " crash cycles";
#endif
}

}  // namespace
}  // namespace rproctee::test
