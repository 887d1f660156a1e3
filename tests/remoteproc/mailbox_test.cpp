// The mailbox channels of stm32_rproc.c between the normal world and the simulated IPCC, over
// both transports: kicks ring "vq0"/"vq1", a firmware message on "vq0" becomes a vring
// interrupt and is acknowledged, a stop asks a live firmware to shut down on "shutdown" and
// waits for its acknowledgement (warning when none comes), a crashed firmware is not asked.
// The test plays the firmware's side through the IPCC's processor-2 registers.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "common/fault_injection.hpp"
#include "protocol/mailbox_page.hpp"

#include "remoteproc/mailbox.hpp"
#include "remoteproc/platform_driver.hpp"
#include "remoteproc/soc_link.hpp"
#include "soc/ipcc.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"
#include "teec/machine_connection.hpp"

namespace rproctee::test {
namespace {

using remoteproc::NormalWorld;
using remoteproc::RprocState;
using soc::Ipcc;
using namespace std::chrono_literals;

constexpr uint64_t kIpcc1 = 0x40490000;
constexpr uint32_t kShutdownBit = 1u << 2;
constexpr const char* kState0 = "sys/class/remoteproc/remoteproc0/state";

/// Polls `done` for up to 10 s (the machine's threads deliver asynchronously).
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

class Mailbox : public ::testing::TestWithParam<TransportKind> {
 protected:
  void Start(std::chrono::milliseconds shutdown_timeout = 5000ms) {
    machine_ = std::make_unique<MachineUnderTest>(GetParam());
    remoteproc::NormalWorldOptions options;
    options.firmware_path = {dir_.path().string()};
    options.echo_log = false;
    options.shutdown_timeout = shutdown_timeout;
    auto w = NormalWorld::create(machine_->tee_name(), std::move(options));
    ASSERT_TRUE(w) << w.error().message;
    nw_ = std::move(*w);
    ipcc_ = machine_->machine().soc().ipcc(kIpcc1);
    ASSERT_NE(ipcc_, nullptr);
  }
  void Boot() {
    write_bytes(dir_ / "fw.sign", sign_elfs({make_firmware(4096, normal_world_resource_table())},
                                            test_key("rsa2048")));
    ASSERT_EQ(nw_->sysfs().write("sys/class/remoteproc/remoteproc0/firmware", "fw.sign"), 0);
    ASSERT_EQ(nw_->sysfs().write(kState0, "start"), 0) << nw_->log().contents();
  }
  /// The firmware answers every shutdown request at once, and counts them.
  void AcknowledgeShutdowns() {
    ipcc_->set_remote_listener([this] {
      if (ipcc_->read(Ipcc::kC1TOC2SR) & kShutdownBit) {
        ++shutdown_requests_;
        ipcc_->write(Ipcc::kC2SCR, kShutdownBit);
      }
    });
  }
  void TearDown() override {
    nw_.reset();  // stops a running processor: the listener (if any) still answers
    if (ipcc_) ipcc_->set_remote_listener({});
    machine_.reset();
  }

  TempDir dir_;
  std::unique_ptr<MachineUnderTest> machine_;
  std::unique_ptr<NormalWorld> nw_;
  Ipcc* ipcc_ = nullptr;
  std::atomic<int> shutdown_requests_{0};
};

TEST_P(Mailbox, KicksRingTheVringChannels) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot());
  // A doorbell is a store into the mailbox page: the machine's mailbox thread applies it.
  nw_->rproc(0)->kick(1);
  EXPECT_TRUE(eventually([&] { return ipcc_->read(Ipcc::kC1TOC2SR) == 1u << 1; }));
  nw_->rproc(0)->kick(0);
  EXPECT_TRUE(eventually([&] { return ipcc_->read(Ipcc::kC1TOC2SR) == ((1u << 1) | 1u); }));
  nw_->rproc(0)->kick(7);  // no such channel: nothing rings
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ipcc_->read(Ipcc::kC1TOC2SR), (1u << 1) | 1u);
  ipcc_->write(Ipcc::kC2SCR, 0x3);  // the firmware takes both
  AcknowledgeShutdowns();
}

TEST_P(Mailbox, FirmwareMessageBecomesAVringInterruptAndIsAcknowledged) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot());
  remoteproc::Rproc& r = *nw_->rproc(0);
  EXPECT_EQ(r.vq_interrupts(), 0u);
  ipcc_->write(Ipcc::kC2SCR, 1u << 16);  // the firmware sets channel 0 ("vq0")
  EXPECT_TRUE(eventually([&] { return ipcc_->read(Ipcc::kC2TOC1SR) == 0; }))
      << "the normal world never cleared the channel";
  EXPECT_TRUE(eventually([&] { return r.vq_interrupts() == 1; }));
  // A second message after the first was taken: a second interrupt.
  ipcc_->write(Ipcc::kC2SCR, 1u << 16);
  EXPECT_TRUE(eventually([&] { return r.vq_interrupts() == 2; }));
  AcknowledgeShutdowns();
}

TEST_P(Mailbox, StopAsksTheFirmwareToShutDownAndWaitsForItsAcknowledgement) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot());
  AcknowledgeShutdowns();
  ASSERT_EQ(nw_->sysfs().write(kState0, "stop"), 0);
  EXPECT_EQ(shutdown_requests_.load(), 1);
  EXPECT_EQ(ipcc_->read(Ipcc::kC1TOC2SR) & kShutdownBit, 0u);
  EXPECT_EQ(nw_->log().contents().find("without ack"), std::string::npos) << nw_->log().contents();
  EXPECT_EQ(nw_->rproc(0)->state(), RprocState::kOffline);
}

TEST_P(Mailbox, StopWithoutAnAcknowledgementWarnsAndStillStops) {
  ASSERT_NO_FATAL_FAILURE(Start(30ms));
  ASSERT_NO_FATAL_FAILURE(Boot());
  ASSERT_EQ(nw_->sysfs().write(kState0, "stop"), 0);
  const std::string log = nw_->log().contents();
  EXPECT_NE(log.find("warning: remote FW shutdown without ack (no answer within 30 ms)"),
            std::string::npos)
      << log;
  EXPECT_EQ(nw_->rproc(0)->state(), RprocState::kOffline);
  EXPECT_FALSE(machine_->machine().soc().core(0).running());
  EXPECT_TRUE(machine_->memories_zero());
}

TEST_P(Mailbox, ACrashedFirmwareIsNotAskedToShutDown) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot());
  AcknowledgeShutdowns();
  // The recovery stops the crashed processor without asking it, then boots it again.
  ASSERT_EQ(nw_->sysfs().write("sys/kernel/debug/remoteproc/remoteproc0/crash", "2"), 0);
  nw_->rproc(0)->flush_crash_work();
  ASSERT_EQ(nw_->rproc(0)->state(), RprocState::kRunning) << nw_->log().contents();
  ASSERT_EQ(nw_->rproc(0)->crash_count(), 1u);
  EXPECT_EQ(shutdown_requests_.load(), 0);
  // The recovered firmware is alive again: a stop asks it.
  ASSERT_EQ(nw_->sysfs().write(kState0, "stop"), 0);
  EXPECT_EQ(shutdown_requests_.load(), 1);
}

TEST_P(Mailbox, TheMachineOnlyServesTheProcessorsOwnChannels) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto link = teec::connect_machine(machine_->tee_name());
  ASSERT_TRUE(link) << link.error().message;
  auto ask = [&](uint32_t processor, uint32_t command, uint32_t channel) {
    protocol::Request r;
    r.kind = protocol::MessageKind::kMailbox;
    r.seq = 1;
    r.session = processor;
    r.command = command;
    r.params[0].a = channel;
    std::vector<int> fds;
    auto reply = (*link)->call(r, {}, fds);
    EXPECT_TRUE(reply);
    return reply ? static_cast<TeeCode>(reply->code) : TeeCode::kGeneric;
  };
  EXPECT_EQ(ask(0, 1, 3), TeeCode::kSuccess);         // "detach" is the M33's channel 3
  EXPECT_EQ(ask(0, 1, 4), TeeCode::kBadParameters);   // not one of its mboxes
  EXPECT_EQ(ask(1, 1, 0), TeeCode::kBadParameters);   // no processor 1 on this preset
  EXPECT_EQ(ask(0, 99, 0), TeeCode::kBadParameters);  // no such command
  EXPECT_EQ(ipcc_->read(Ipcc::kC1TOC2SR), 1u << 3);
}

// A doorbell is a store into the mailbox page and a futex wake: ringing 50 times sends no
// message on the machine link (only the idle receive thread asks every 100 ms whether the
// machine is still there).
TEST_P(Mailbox, DoorbellsSendNoMachineLinkMessage) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Boot());
  arm_fault(FaultPoint::kMessage, 1u << 30);  // only counts the messages
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    nw_->rproc(0)->kick(1);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (ipcc_->read(Ipcc::kC1TOC2SR) != 1u << 1 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50us);
    ASSERT_EQ(ipcc_->read(Ipcc::kC1TOC2SR), 1u << 1) << i;
    ipcc_->write(Ipcc::kC2SCR, 1u << 1);  // the firmware takes it
  }
  const auto idle_checks = (std::chrono::steady_clock::now() - t0) / 100ms + 2;
  EXPECT_LE(fault_events(FaultPoint::kMessage), static_cast<uint64_t>(idle_checks));
  EXPECT_LT(fault_events(FaultPoint::kMessage), 50u);
  disarm_faults();
  AcknowledgeShutdowns();
}

/// Maps processor 0's mailbox page through a connection of its own (as any normal-world
/// process may); the descriptor is returned for the seal checks.
void* map_page(const std::string& tee_name, int& fd_out) {
  auto link = teec::connect_machine(tee_name);
  EXPECT_TRUE(link) << link.error().message;
  if (!link) return nullptr;
  protocol::Request r;
  r.kind = protocol::MessageKind::kMapMailbox;
  r.seq = 1;
  std::vector<int> fds;
  auto reply = (*link)->call(r, {}, fds);
  EXPECT_TRUE(reply && reply->code == 0 && fds.size() == 1);
  if (!reply || fds.size() != 1) return nullptr;
  EXPECT_EQ(reply->params[0].a, protocol::mailbox_page::kSize);
  EXPECT_EQ(reply->params[0].b, 0xFu);  // channels 0..3 of IPCC1
  fd_out = fds[0];
  void* p =
      ::mmap(nullptr, protocol::mailbox_page::kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
  return p == MAP_FAILED ? nullptr : p;
}

TEST_P(Mailbox, ThePageIsSealedAgainstResizing) {
  ASSERT_NO_FATAL_FAILURE(Start());
  int fd = -1;
  void* page = map_page(machine_->tee_name(), fd);
  ASSERT_NE(page, nullptr);
  const int seals = ::fcntl(fd, F_GET_SEALS);
  EXPECT_EQ(seals & (F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL),
            F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
  EXPECT_NE(::ftruncate(fd, 0), 0);  // the machine's mapping can never turn into SIGBUS
  EXPECT_NE(::ftruncate(fd, 1 << 20), 0);
  ::munmap(page, protocol::mailbox_page::kSize);
  ::close(fd);
}

// A page of another layout version (an `up` and a machine from different builds) is refused
// with both versions named, before anything reads the rest of the page.
TEST_P(Mailbox, APageOfAnotherLayoutVersionIsRefusedNamingBothVersions) {
  ASSERT_NO_FATAL_FAILURE(Start());
  int fd = -1;
  void* page = map_page(machine_->tee_name(), fd);
  ASSERT_NE(page, nullptr);
  auto* words = static_cast<uint32_t*>(page);
  const uint32_t version_word = protocol::mailbox_page::kVersion / 4;
  const uint32_t saved = words[version_word];
  __atomic_store_n(&words[version_word], 1u, __ATOMIC_SEQ_CST);
  auto other = remoteproc::Mailbox::open(machine_->tee_name(), 0, {});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, TeeCode::kCommunication);
  EXPECT_NE(other.error().message.find(" version 1 not understood (this build: magic"),
            std::string::npos)
      << other.error().message;
  EXPECT_NE(other.error().message.find("version " +
                                       std::to_string(protocol::mailbox_page::kVersionValue) + ";"),
            std::string::npos)
      << other.error().message;
  __atomic_store_n(&words[version_word], saved, __ATOMIC_SEQ_CST);
  ::munmap(page, protocol::mailbox_page::kSize);
  ::close(fd);
}

// A normal world writing garbage into every word of the page neither crashes nor wedges the
// machine: LOAD/START/STOP are still served (through the TEE client API), and no channel
// outside the processor's own is ever set.
TEST_P(Mailbox, GarbageInThePageNeitherCrashesNorWedgesTheMachine) {
  machine_ = std::make_unique<MachineUnderTest>(GetParam());
  ipcc_ = machine_->machine().soc().ipcc(kIpcc1);
  ASSERT_NE(ipcc_, nullptr);
  int fd = -1;
  void* page = map_page(machine_->tee_name(), fd);
  ASSERT_NE(page, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> writes{0};
  std::thread scribbler([&] {
    std::mt19937 random(12);
    auto* words = static_cast<uint32_t*>(page);
    while (!stop.load(std::memory_order_relaxed)) {
      const uint32_t index = random() % (protocol::mailbox_page::kSize / 4);
      __atomic_store_n(&words[index], static_cast<uint32_t>(random()), __ATOMIC_RELAXED);
      if (writes.fetch_add(1) % 64 == 0) std::this_thread::yield();
    }
  });
  // The garbage is there before the first LOAD (a loaded machine may start the thread late).
  for (int i = 0; i < 500 && writes.load() < 1000; ++i) std::this_thread::sleep_for(10ms);
  const auto image =
      sign_elfs({make_firmware(4096, normal_world_resource_table())}, test_key("rsa2048"));
  RprocClient client(machine_->tee_name());
  ASSERT_EQ(client.open(0), TEEC_SUCCESS) << client.last_error();
  for (int cycle = 0; cycle < 3; ++cycle) {
    ASSERT_EQ(client.load(image), TEEC_SUCCESS) << cycle << ": " << client.last_error();
    ASSERT_EQ(client.start(), TEEC_SUCCESS) << cycle << ": " << client.last_error();
    EXPECT_TRUE(machine_->machine().soc().core(0).running());
    std::this_thread::sleep_for(20ms);  // the mailbox thread meanwhile reads the garbage
    EXPECT_EQ(ipcc_->read(Ipcc::kC1TOC2SR) & ~0xFu, 0u);
    ASSERT_EQ(client.stop(), TEEC_SUCCESS) << cycle << ": " << client.last_error();
    ASSERT_EQ(client.release(), TEEC_SUCCESS) << cycle << ": " << client.last_error();
    EXPECT_TRUE(machine_->memories_zero()) << cycle;
  }
  stop = true;
  scribbler.join();
  EXPECT_GT(writes.load(), 1000u);
  ::munmap(page, protocol::mailbox_page::kSize);
  ::close(fd);
}

INSTANTIATE_TEST_SUITE_P(Transports, Mailbox,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         [](const auto& p) { return transport_name(p.param); });

}  // namespace
}  // namespace rproctee::test
