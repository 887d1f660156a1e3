// The whole system with firmware that really runs: the demo firmware (firmware/, signed at
// build time with the development key) authenticated and loaded by the TA, executed by the
// emulated Cortex-M core, talking to the normal world's rpmsg host over the IPCC and vrings.
//
// Covered: boot to the trace banner and a stop the firmware acknowledges (memories wiped
// after); the OpenAMP ping (every payload size 1..496 echoed byte-exact, 497 refused); a fault
// -> crashed -> core dump (opened by gdb-multiarch at the faulting function) -> recovery that
// re-authenticates -> the firmware answers again; the watchdog variant; a STOP of a core
// spinning in a busy loop; the multi-image (TF-M-like + application) boot; the M4 preset; the
// vendor ELF (ST's OpenAMP TTY echo) signed with a test key: loaded, resource table parsed.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "common/fault_injection.hpp"
#include "common/shared_words.hpp"
#include "protocol/mailbox_page.hpp"
#include "remoteproc/platform_driver.hpp"
#include "rpmsg/bus.hpp"
#include "rpmsg/channel.hpp"
#include "rpmsg/rpmsg_device.hpp"
#include "soc/cortex_m_core.hpp"
#include "support/demo_system.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using namespace std::chrono_literals;
using remoteproc::RprocState;

using DemoFirmwareRun = DemoSystemTest;

TEST_F(DemoFirmwareRun, BootsToTheTraceBannerAndAcknowledgesTheShutdown) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  EXPECT_TRUE(TraceShows("rproctee demo firmware 1.0.0 on cortex-m33 (demo-m33)\n")) << Trace();
  EXPECT_TRUE(machine_->machine().soc().core(0).running());
  ASSERT_NE(TtyChannel(), nullptr);
  EXPECT_TRUE(TraceShows("rpmsg: announced \"rpmsg-tty\" at 0x400")) << Trace();
  // The stop rings the shutdown channel: the firmware clears it (no warning), the core stops
  // and the secure world wipes every memory of the processor.
  ASSERT_EQ(rproc().shutdown(), 0);
  EXPECT_EQ(Log().find("shutdown without ack"), std::string::npos) << Log();
  EXPECT_FALSE(machine_->machine().soc().core(0).running());
  EXPECT_TRUE(machine_->memories_zero());
}

TEST_F(DemoFirmwareRun, EchoesEveryPayloadSizeByteExact) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  const uint64_t interrupts_before = rproc().vq_interrupts();
  for (size_t size = 1; size <= 496; ++size) {
    Bytes payload(size);
    for (size_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(0x80 + i * 7 + size);
    ASSERT_EQ(Exchange(*channel, payload), payload) << "payload of " << size << " bytes";
  }
  // Both directions of the IPCC carried them: the firmware signalled its vrings back.
  EXPECT_GE(rproc().vq_interrupts() - interrupts_before, 496u);
  EXPECT_FALSE(channel->send(Bytes(497, 0x55)));  // one byte over the rpmsg payload limit
  const auto stats = channel->stats();
  EXPECT_EQ(stats.tx_messages, 496u);
  EXPECT_EQ(stats.rx_messages, 496u);
  EXPECT_EQ(Exchange(*channel, text_bytes("version")),
            text_bytes("rproctee demo firmware 1.0.0 on cortex-m33 (demo-m33)"));
}

// Thousands of back-to-back exchanges: every echo comes back on its own (an interrupt line
// sampled out of order once left an echo waiting for the next message: a lost wakeup).
TEST_F(DemoFirmwareRun, BackToBackExchangesNeverWaitForTheNextMessage) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  for (uint32_t i = 0; i < 3000; ++i) {
    const Bytes payload = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8), 0xA5};
    ASSERT_TRUE(channel->send(payload));
    const auto echo = channel->receive(5s);
    ASSERT_TRUE(echo.has_value()) << "exchange " << i << " got no echo within 5 s";
    ASSERT_EQ(*echo, payload) << "exchange " << i;
  }
}

// A pipelined stream (8 messages in flight, fewer than the 16 TX buffers, so that no sender
// waits): every echo comes back once and in order, and notification suppression keeps the
// firmware from ringing a doorbell per buffer: returned TX buffers ring vq1 never (the host
// asks for those interrupts only while a sender waits), echoes ring vq0 at most once each.
TEST_F(DemoFirmwareRun, PipelinedEchoRingsNoDoorbellPerBuffer) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  soc::Ipcc* ipcc = machine_->machine().soc().ipcc(0x40490000);
  ASSERT_NE(ipcc, nullptr);
  const auto before = ipcc->host_view().rings;
  constexpr uint32_t kMessages = 512, kWindow = 8;
  std::counting_semaphore<kWindow> in_flight(kWindow);
  std::atomic<bool> failed{false};
  std::thread sender([&] {
    for (uint32_t seq = 0; seq < kMessages && !failed; ++seq) {
      while (!in_flight.try_acquire_for(10ms))
        if (failed) return;
      Bytes payload(496, 0x5a);
      std::memcpy(payload.data(), &seq, sizeof seq);
      if (!channel->send(payload)) failed = true;
    }
  });
  for (uint32_t seq = 0; seq < kMessages && !failed; ++seq) {
    const auto echo = channel->receive(5s);
    if (!echo || echo->size() != 496) {
      failed = true;
      ADD_FAILURE() << "echo " << seq << (echo ? " has the wrong size" : " never came");
      break;
    }
    uint32_t got = 0;
    std::memcpy(&got, echo->data(), sizeof got);
    if (got != seq) {
      failed = true;
      ADD_FAILURE() << "echo " << got << " where " << seq << " was due";
      break;
    }
    in_flight.release();
  }
  sender.join();
  EXPECT_FALSE(channel->receive(50ms).has_value()) << "an echo came twice";
  const auto after = ipcc->host_view().rings;
  EXPECT_EQ(after[1] - before[1], 0u) << "vq1 rung for returned TX buffers";
  EXPECT_LE(after[0] - before[0], kMessages);
  EXPECT_GT(after[0] - before[0], 0u);
}

/// Polls `done` for up to 10 s (the machine's threads act asynchronously).
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

/// Processor 0's mailbox page as the normal world maps it (read only unless `writable`).
class PageView {
 public:
  explicit PageView(machine::Machine& m, bool writable = false) {
    auto page = m.mailbox_page(0);
    if (!page) return;
    memory_ = ::mmap(nullptr, protocol::mailbox_page::kSize,
                     writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, page->fd, 0);
    ::close(page->fd);
    if (memory_ == MAP_FAILED) memory_ = nullptr;
  }
  ~PageView() {
    if (memory_) ::munmap(memory_, protocol::mailbox_page::kSize);
  }
  PageView(const PageView&) = delete;
  PageView& operator=(const PageView&) = delete;
  bool ok() const { return memory_ != nullptr; }
  uint32_t word(uint32_t offset) const {
    return __atomic_load_n(static_cast<const uint32_t*>(memory_) + offset / 4, __ATOMIC_SEQ_CST);
  }
  void set_word(uint32_t offset, uint32_t value) {
    __atomic_store_n(static_cast<uint32_t*>(memory_) + offset / 4, value, __ATOMIC_RELAXED);
  }

 private:
  void* memory_ = nullptr;
};

// While the emulated core runs, its own thread serves the normal world's doorbells (one thread
// hop from a ring to the firmware), and acknowledgements need no wake at all: the page says so
// with kAckWakes 0 (the demo firmware waits for no "free" interrupt). A stopped core hands the
// serving back to the machine's mailbox thread: every acknowledgement wakes it again.
TEST_F(DemoFirmwareRun, TheRunningCoreServesItsDoorbellAndHandsItBackWhenStopped) {
  if (!SharedWords::can_wait_either()) GTEST_SKIP() << "no futex_waitv (Linux < 5.16)";
  ASSERT_NO_FATAL_FAILURE(Start());
  PageView page(machine_->machine());
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.word(protocol::mailbox_page::kAckWakes), ~0u) << "no core runs yet";
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  EXPECT_TRUE(eventually([&] { return page.word(protocol::mailbox_page::kAckWakes) == 0; }));
  for (uint32_t i = 0; i < 200; ++i) {
    const Bytes payload = {static_cast<uint8_t>(i), 0x5a};
    ASSERT_EQ(Exchange(*channel, payload), payload) << "exchange " << i;
  }
  ASSERT_EQ(rproc().shutdown(), 0);
  EXPECT_EQ(Log().find("shutdown without ack"), std::string::npos) << Log();
  EXPECT_EQ(page.word(protocol::mailbox_page::kAckWakes), ~0u);
  // The machine's own thread serves again: a kick of the stopped processor still rings.
  soc::Ipcc* ipcc = machine_->machine().soc().ipcc(0x40490000);
  ASSERT_NE(ipcc, nullptr);
  rproc().kick(1);
  EXPECT_TRUE(eventually([&] { return (ipcc->read(soc::Ipcc::kC1TOC2SR) & 2u) != 0; }));
}

// A core held by the debugger does not serve: the IPCC still takes the normal world's
// doorbells (as the hardware does), through the machine's thread, and the core takes the
// serving back when it resumes.
TEST_F(DemoFirmwareRun, DoorbellsRungWhileTheDebuggerHoldsTheCoreStillReachTheIpcc) {
  if (!SharedWords::can_wait_either()) GTEST_SKIP() << "no futex_waitv (Linux < 5.16)";
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  PageView page(machine_->machine());
  ASSERT_TRUE(page.ok());
  auto* core = dynamic_cast<soc::CortexMCore*>(&machine_->machine().soc().core(0));
  ASSERT_NE(core, nullptr);
  core->debug_attach();  // halts the core
  EXPECT_EQ(page.word(protocol::mailbox_page::kAckWakes), ~0u);
  soc::Ipcc* ipcc = machine_->machine().soc().ipcc(0x40490000);
  ASSERT_NE(ipcc, nullptr);
  ASSERT_TRUE(channel->send(text_bytes("held")));  // kicks vq1 unless the firmware polls
  rproc().kick(1);
  EXPECT_TRUE(eventually([&] { return (ipcc->read(soc::Ipcc::kC1TOC2SR) & 2u) != 0; }));
  core->debug_detach();  // resumes
  EXPECT_EQ(channel->receive(10s), text_bytes("held"));
  EXPECT_TRUE(eventually([&] { return page.word(protocol::mailbox_page::kAckWakes) == 0; }));
  EXPECT_EQ(Exchange(*channel, text_bytes("after")), text_bytes("after"));
}

// The running core's thread reads the words the normal world writes: garbage in them (a
// doorbell count that never settles, channel bits beyond the processor's, sleeper counts and
// wake bitsets) never crashes or wedges the machine: the processor still stops (memories
// wiped) and boots again, and the new firmware echoes. (The garbage may ring any of the
// processor's own channels, "shutdown" too, so the firmware itself may have stopped
// answering; garbage in the machine's words only misleads the normal world that wrote it.)
TEST_F(DemoFirmwareRun, GarbageInThePageWhileTheCoreServesItNeitherCrashesNorWedgesIt) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  PageView page(machine_->machine(), true);
  ASSERT_TRUE(page.ok());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> writes{0};
  namespace mp = protocol::mailbox_page;
  const std::array<uint32_t, 7> host_words = {
      mp::kSend,        mp::kAck,         mp::kDoorbell,    mp::kMachineWaiters,
      mp::kHostWaiters, mp::kSentWaiters, mp::kHostWakeBits};
  std::thread scribbler([&] {
    std::mt19937 random(33);
    while (!stop.load(std::memory_order_relaxed)) {
      page.set_word(host_words[random() % host_words.size()], static_cast<uint32_t>(random()));
      if (writes.fetch_add(1) % 64 == 0) std::this_thread::yield();
    }
  });
  // Echoes during the garbage may be lost or late (the normal world's own words are garbage
  // too): only the machine's survival is asked for here.
  for (uint32_t i = 0; i < 20; ++i) {
    (void)channel->send(Bytes{static_cast<uint8_t>(i)}, 20ms);
    (void)channel->receive(10ms);
  }
  std::this_thread::sleep_for(200ms);
  stop = true;
  scribbler.join();
  EXPECT_GT(writes.load(), 1000u);
  EXPECT_EQ(rproc().crash_count(), 0u) << Log();
  EXPECT_TRUE(machine_->machine().soc().core(0).running());
  channel.reset();
  ASSERT_EQ(rproc().shutdown(), 0);
  EXPECT_FALSE(machine_->machine().soc().core(0).running());
  EXPECT_TRUE(machine_->memories_zero());
  ASSERT_EQ(rproc().boot(), 0) << Log();
  channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(Exchange(*channel, text_bytes("after the garbage")), text_bytes("after the garbage"));
}

// A reader waiting in Channel::receive takes the processor's interrupt on its own thread: while
// it waits, the page tells the machine to wake it (kHostWakeBits 2), not the receive thread
// (1). A stop while it waits ends its wait (the channel closes), with no deadlock.
TEST_F(DemoFirmwareRun, AWaitingReaderTakesTheInterruptItselfAndAStopEndsItsWait) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  PageView page(machine_->machine());
  ASSERT_TRUE(page.ok());
  constexpr uint32_t kThread = 1, kReader = 2;
  EXPECT_EQ(page.word(protocol::mailbox_page::kHostWakeBits), kThread);
  std::optional<Bytes> echo;
  std::thread reader([&] { echo = channel->receive(10s); });
  EXPECT_TRUE(
      eventually([&] { return page.word(protocol::mailbox_page::kHostWakeBits) == kReader; }));
  ASSERT_TRUE(channel->send(text_bytes("mine")));
  reader.join();
  EXPECT_EQ(echo, text_bytes("mine"));
  EXPECT_EQ(page.word(protocol::mailbox_page::kHostWakeBits), kThread);
  // With nobody in receive(), the receive thread delivers (here to a callback).
  std::atomic<int> calls{0};
  channel->set_receiver([&](std::span<const uint8_t> bytes) {
    if (Bytes(bytes.begin(), bytes.end()) == text_bytes("again")) ++calls;
  });
  ASSERT_TRUE(channel->send(text_bytes("again")));
  EXPECT_TRUE(eventually([&] { return calls.load() == 1; }));
  channel->set_receiver(nullptr);

  std::atomic<bool> returned{false};
  std::thread waiting([&] {
    echo = channel->receive(60s);
    returned = true;
  });
  EXPECT_TRUE(
      eventually([&] { return page.word(protocol::mailbox_page::kHostWakeBits) == kReader; }));
  ASSERT_EQ(rproc().shutdown(), 0);
  EXPECT_TRUE(eventually([&] { return returned.load(); }))
      << "receive() still waits after the stop";
  waiting.join();
  EXPECT_FALSE(echo.has_value());
}

// A crash while a reader waits in receive(): the recovery (which holds the processor's lock
// while it stops the rpmsg device) and the reader (whose interrupt handling wants that lock)
// must not wait for each other. The reader's wait ends (its channel closed) and the recovered
// firmware answers a new channel.
TEST_F(DemoFirmwareRun, ACrashWhileAReaderWaitsInReceiveRecovers) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  for (int round = 1; round <= 3; ++round) {
    std::atomic<bool> returned{false};
    std::thread reader([&] {
      (void)channel->receive(60s);
      returned = true;
    });
    std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(channel->send(text_bytes("fault")));
    EXPECT_TRUE(RecoveredFrom(static_cast<uint32_t>(round))) << Log();
    EXPECT_TRUE(eventually([&] { return returned.load(); })) << "receive() never returned";
    reader.join();
    channel = TtyChannel();
    ASSERT_NE(channel, nullptr);
    EXPECT_EQ(Exchange(*channel, text_bytes("alive")), text_bytes("alive")) << round;
  }
}

TEST_F(DemoFirmwareRun, FaultIsACrashWithACoreDumpAndRecoveryReauthenticates) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(nw_->sysfs().write("sys/class/remoteproc/remoteproc0/coredump", "enabled"), 0);
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  disarm_faults();  // zeroes the event counters: hashing from here on is the recovery's
  ASSERT_TRUE(channel->send(text_bytes("fault")));
  ASSERT_TRUE(RecoveredFrom(1)) << Log();
  const std::string log = Log();
  EXPECT_NE(log.find("core crash: bad memory access at pc 0x"), std::string::npos) << log;
  EXPECT_NE(log.find("address 0x60000000"), std::string::npos) << log;
  EXPECT_NE(log.find("crash detected in m33: type mmufault"), std::string::npos) << log;
  // Recovery loaded the image again through the TA: it was hashed again (authenticated).
  EXPECT_GT(fault_events(FaultPoint::kHash), 0u);
  // The old channel is gone with the crash; the restarted firmware announces a new one.
  EXPECT_TRUE(channel->closed());
  auto again = TtyChannel();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Exchange(*again, text_bytes("after recovery")), text_bytes("after recovery"));

  // The dump: an ELF core of the processor's memories with its registers; gdb-multiarch with
  // the firmware's ELF shows the function that faulted.
  const auto dumps = nw_->dumps().list();
  ASSERT_FALSE(dumps.empty());
  const auto dump = nw_->dumps().get(dumps.back());
  ASSERT_NE(dump, nullptr);
  ASSERT_GT(dump->size(), 52u);
  EXPECT_EQ(Bytes(dump->begin(), dump->begin() + 4), (Bytes{0x7f, 'E', 'L', 'F'}));
  const auto which = run_command({"/bin/sh", "-c", "command -v gdb-multiarch"});
  if (which.exit_code != 0) GTEST_SKIP() << "gdb-multiarch is not installed";
  write_bytes(dir_ / "core", *dump);
  const std::string gdb_path = which.out.substr(0, which.out.find('\n'));
  const auto gdb = run_command({gdb_path, "-nx", "-batch", "-ex", "bt",
                                (kDemoDir / "demo-m33.elf").string(), dir_ / "core"});
  EXPECT_NE(gdb.out.find("demo_fault"), std::string::npos) << gdb.out << gdb.err;
}

TEST_F(DemoFirmwareRun, WatchdogExpiryIsACrashAndRecoveryRestartsTheFirmware) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  ASSERT_TRUE(channel->send(text_bytes("hang")));
  ASSERT_TRUE(RecoveredFrom(1)) << Log();
  EXPECT_NE(Log().find("core crash: watchdog"), std::string::npos) << Log();
  EXPECT_NE(Log().find("crash detected in m33: type watchdog"), std::string::npos) << Log();
  auto again = TtyChannel();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Exchange(*again, text_bytes("alive")), text_bytes("alive"));
}

TEST_F(DemoFirmwareRun, StopOfACoreSpinningInABusyLoopCompletes) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(rproc().set_recovery_disabled(true), 0);
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33.sign"));
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  ASSERT_TRUE(channel->send(text_bytes("hang")));
  ASSERT_TRUE(TraceShows("command: hang")) << Trace();
  // The core now spins without WFI (the watchdog would bite about a second of virtual time
  // later): the stop must interrupt the loop rather than wait for it.
  ASSERT_EQ(rproc().shutdown(), 0) << Log();
  EXPECT_EQ(rproc().state(), RprocState::kOffline);
  EXPECT_FALSE(machine_->machine().soc().core(0).running());
  EXPECT_TRUE(machine_->memories_zero());
}

TEST_F(DemoFirmwareRun, MultiImageBootsThroughTheSecureImage) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot("demo-multi.sign"));
  // BOOTADDR points at the TF-M-like image (0x80000000), which hands over to the application.
  EXPECT_TRUE(TraceShows("rproctee demo firmware 1.0.0 on cortex-m33 (demo-multi)\n")) << Trace();
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(Exchange(*channel, text_bytes("multi")), text_bytes("multi"));
  ASSERT_EQ(rproc().shutdown(), 0);
}

TEST_F(DemoFirmwareRun, M4PresetBoots) {
  ASSERT_NO_FATAL_FAILURE(Start("stm32mp15"));
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m4.sign"));
  EXPECT_TRUE(TraceShows("rproctee demo firmware 1.0.0 on cortex-m4 (demo-m4)\n")) << Trace();
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(Exchange(*channel, text_bytes("m4 echo")), text_bytes("m4 echo"));
  ASSERT_EQ(rproc().shutdown(), 0);
  EXPECT_EQ(Log().find("shutdown without ack"), std::string::npos) << Log();
}

// The STM32MP21 preset runs its build of the demo: boot, echo, a fault recovered, a clean stop.
TEST_F(DemoFirmwareRun, Mp21PresetBootsEchoesRecoversAndStops) {
  ASSERT_NO_FATAL_FAILURE(Start("stm32mp21"));
  ASSERT_NO_FATAL_FAILURE(Boot("demo-m33-mp21.sign"));
  EXPECT_TRUE(TraceShows("rproctee demo firmware 1.0.0 on cortex-m33 (demo-m33-mp21)\n"))
      << Trace();
  auto channel = TtyChannel();
  ASSERT_NE(channel, nullptr);
  for (size_t size : {1u, 100u, 496u}) {
    Bytes payload(size, static_cast<uint8_t>(size));
    ASSERT_EQ(Exchange(*channel, payload), payload) << size;
  }
  ASSERT_TRUE(channel->send(text_bytes("fault")));
  ASSERT_TRUE(RecoveredFrom(1)) << Log();
  auto again = TtyChannel();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Exchange(*again, text_bytes("mp21 again")), text_bytes("mp21 again"));
  ASSERT_EQ(rproc().shutdown(), 0);
  EXPECT_EQ(Log().find("shutdown without ack"), std::string::npos) << Log();
  EXPECT_TRUE(machine_->memories_zero());
}

TEST_F(DemoFirmwareRun, VendorElfSignedWithATestKeyLoadsAndItsResourceTableIsParsed) {
  const auto vendor = shared_vectors_dir() / "real" / "st_mp215_openamp_tty_echo_cm33_ns.elf";
  if (!have_shared_vectors() || !std::filesystem::exists(vendor))
    GTEST_SKIP() << "vendor vectors not present: " << vendor;
  // ST's firmware needs ST peripherals to run: the core is held, only loading is checked.
  ASSERT_NO_FATAL_FAILURE(Start("stm32mp25", /*emulate=*/false));
  write_bytes(dir_ / "st-tty-echo.sign", sign_elfs({read_bytes(vendor)}, test_key("rsa2048")));
  ASSERT_NO_FATAL_FAILURE(Boot("st-tty-echo.sign"));
  std::string table;
  ASSERT_EQ(nw_->sysfs().read("sys/kernel/debug/remoteproc/remoteproc0/resource_table", table), 0);
  EXPECT_NE(table.find("is of type vdev"), std::string::npos) << table;
  EXPECT_NE(table.find("  ID 7\n"), std::string::npos) << table;
  // The host placed both vrings (FW_RSC_ADDR_ANY in the image) in the vring regions.
  EXPECT_NE(table.find("0x812f8000"), std::string::npos) << table;
  EXPECT_NE(table.find("0x812f9000"), std::string::npos) << table;
  ASSERT_EQ(rproc().shutdown(), 0);
}

}  // namespace
}  // namespace rproctee::test
