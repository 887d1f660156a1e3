// The emulated Cortex-M33 (soc/cortex_m_core.hpp) running the test firmware of
// tests/soc/firmware/core_test.c: boot from the vector table, SysTick exceptions while busy
// and in WFI, stop of a busy loop, faults reported with the faulting PC, the IPCC interrupt,
// AIRCR.SYSRESETREQ, EXC_RETURN values and the floating-point context of exception frames, a
// timer model's interrupt, the DWT cycle counter, 4-bit priorities, and what an access to an
// unmodelled peripheral gets. Waits poll with a bound; no test asserts a duration.
#include "soc/cortex_m_core.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

#include "soc/ipcc.hpp"
#include "soc/ipcc_mmio.hpp"
#include "soc/memory_region.hpp"
#include "soc/timer.hpp"

namespace rproctee::soc {
namespace {

#ifdef RPROCTEE_TEST_FIRMWARE_DIR
constexpr const char* kFirmware = RPROCTEE_TEST_FIRMWARE_DIR "/core_test.bin";
#else
constexpr const char* kFirmware = nullptr;
#endif

constexpr uint32_t kFwBase = 0x80100000, kDataBase = 0x80A00000, kSize = 0x10000;
constexpr uint32_t kIpccBase = 0x40490000, kIpccRxIrq = 20, kIpccTxIrq = 21;

// The mailbox of core_test.c (word offsets).
enum Mailbox : size_t {
  kMode = 0,
  kPattern = 1,
  kSysTicks = 5,
  kExpectedPc = 6,
  kIpccRx = 7,
  kBoots = 8,
  kStage = 9,
  kSvcs = 10,
  kExcReturn = 11,
  kFpAfter = 12,
  kFpscrAfter = 13,
  kControlAfter = 14,
  kTimerIrqs = 15,
  kCycles = 16,
  kValue = 17,
  kIpr = 18
};
enum Mode : uint32_t {
  kModePattern = 1,
  kModeSysTickBusy,
  kModeSysTickWfi,
  kModeBusyLoop,
  kModeBadAccess,
  kModeUndefined,
  kModeBreakpoint,
  kModeIpcc,
  kModeReset,
  kModeSvc,
  kModeFpContext,
  kModeTimer,
  kModeCycleCounter,
  kModeUnmodelled,
  kModePriorityBits
};
constexpr uint32_t kTimerBase = 0x40040000, kTimerIrq = 22, kUnmodelledBase = 0x40120000;

bool eventually(const std::function<bool()>& done) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

class CortexMCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kFirmware) GTEST_SKIP() << "arm-none-eabi-gcc was not found at configure time";
    auto fw = MemoryRegion::create("cm33_fw", kFwBase, kSize);
    auto data = MemoryRegion::create("cm33_data", kDataBase, kSize);
    ASSERT_TRUE(fw && data);
    fw_.emplace(std::move(fw).value());
    data_.emplace(std::move(data).value());
    std::ifstream in(kFirmware, std::ios::binary);
    ASSERT_TRUE(in) << kFirmware;
    std::vector<char> image((std::istreambuf_iterator<char>(in)), {});
    ASSERT_LE(image.size(), fw_->size());
    std::memcpy(fw_->all().data(), image.data(), image.size());
  }
  void TearDown() override {
    if (core_) core_->stop();
    core_.reset();
  }

  volatile uint32_t& word(size_t index) {
    return reinterpret_cast<volatile uint32_t*>(data_->all().data())[index];
  }

  void boot(Mode mode, CortexMOptions options = {}, bool secure = false) {
    word(kMode) = mode;
    std::vector<CoreMemory> memories{{kFwBase, fw_->all().data(), fw_->size()},
                                     {kDataBase, data_->all().data(), data_->size()}};
    // I2C1's place has no model; the on_warning of the options sees what gets through.
    options.unmodelled.peripherals = {{"I2C1", kUnmodelledBase, 0x10000, "", {}, {}}};
    options.unmodelled.secure_alias = 0x10000000;
    options.on_warning = [this](const std::string& text) {
      std::lock_guard lock(mutex_);
      warnings_.push_back(text);
    };
    std::vector<MmioMapping> devices{ipcc_mmio_.mapping(kIpccRxIrq, kIpccTxIrq),
                                     {kTimerBase, 0x10000, &timer_, {kTimerIrq}, "TIM6", false}};
    auto core = CortexMCore::create(
        std::move(memories), std::move(devices),
        [this](const CrashReport& r) {
          std::lock_guard lock(mutex_);
          crashes_.push_back(r);
        },
        std::move(options));
    ASSERT_TRUE(core) << core.error().message;
    core_ = std::move(core).value();
    auto started = core_->start(kFwBase, secure);
    ASSERT_TRUE(started) << started.error().message;
  }
  std::vector<std::string> warnings() {
    std::lock_guard lock(mutex_);
    return warnings_;
  }

  std::vector<CrashReport> crashes() {
    std::lock_guard lock(mutex_);
    return crashes_;
  }
  bool crashed() { return !crashes().empty(); }

  std::optional<MemoryRegion> fw_, data_;
  Ipcc ipcc_{kIpccBase};
  IpccMmio ipcc_mmio_{ipcc_};
  Timer timer_{0x10000};
  std::unique_ptr<CortexMCore> core_;
  std::mutex mutex_;
  std::vector<CrashReport> crashes_;
  std::vector<std::string> warnings_;
};

TEST_F(CortexMCoreTest, BootsFromTheVectorTableAndWritesMemoryTheHostSees) {
  boot(kModePattern);
  ASSERT_TRUE(eventually([&] { return word(kPattern + 3) == 0xC0DE0003u; }));
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(word(kPattern + i), 0xC0DE0000u + i);
  EXPECT_EQ(word(kBoots), 1u);
  EXPECT_TRUE(core_->running());
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, SysTickInterruptsABusyLoop) {
  boot(kModeSysTickBusy);
  ASSERT_TRUE(eventually([&] { return word(kSysTicks) >= 5; })) << word(kSysTicks);
  uint32_t seen = word(kSysTicks);
  ASSERT_TRUE(eventually([&] { return word(kSysTicks) > seen; }));
  EXPECT_GT(word(kStage), 0u);  // the thread code ran between the exceptions
  EXPECT_GE(core_->exceptions_taken(), 5u);
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, SysTickWakesTheCoreFromWfi) {
  boot(kModeSysTickWfi);
  ASSERT_TRUE(eventually([&] { return word(kSysTicks) >= 5; })) << word(kSysTicks);
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, StopEndsABusyLoop) {
  boot(kModeBusyLoop);
  EXPECT_TRUE(core_->running());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  core_->stop();
  EXPECT_FALSE(core_->running());
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, StopEndsAnIdleCore) {
  boot(kModePattern);
  ASSERT_TRUE(eventually([&] { return word(kPattern + 3) == 0xC0DE0003u; }));
  core_->stop();
  EXPECT_FALSE(core_->running());
}

TEST_F(CortexMCoreTest, UnmappedLoadIsABadAccessAtTheLoadInstruction) {
  boot(kModeBadAccess);
  ASSERT_TRUE(eventually([&] { return crashed(); }));
  auto reports = crashes();
  ASSERT_EQ(reports.size(), 1u);
  uint32_t expected = word(kExpectedPc) & ~1u;  // bad_load, stored by the firmware
  ASSERT_NE(expected, 0u);
  EXPECT_EQ(reports[0].kind, CrashKind::kBadAccess);
  EXPECT_EQ(reports[0].pc, expected) << reports[0].text;
  EXPECT_EQ(reports[0].address, 0x50000000u);
  EXPECT_FALSE(core_->running());
  EXPECT_EQ(core_->registers()[15], expected);  // the registers keep the faulting PC
}

TEST_F(CortexMCoreTest, UdfIsAnUndefinedInstruction) {
  boot(kModeUndefined);
  ASSERT_TRUE(eventually([&] { return crashed(); }));
  auto reports = crashes();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].kind, CrashKind::kUndefinedInstruction) << reports[0].text;
  EXPECT_EQ(reports[0].pc, word(kExpectedPc) & ~1u);
  EXPECT_EQ(core_->registers()[15], word(kExpectedPc) & ~1u);
  EXPECT_FALSE(core_->running());
}

TEST_F(CortexMCoreTest, BkptIsABreakpoint) {
  boot(kModeBreakpoint);
  ASSERT_TRUE(eventually([&] { return crashed(); }));
  auto reports = crashes();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].kind, CrashKind::kBreakpoint) << reports[0].text;
  EXPECT_EQ(reports[0].pc, word(kExpectedPc) & ~1u);
  EXPECT_FALSE(core_->running());
}

TEST_F(CortexMCoreTest, IpccMessageRunsTheRxHandlerWhichAnswers) {
  boot(kModeIpcc);
  ASSERT_TRUE(eventually([&] { return word(kStage) == 1; }));
  ipcc_.host_send(1);
  Ipcc::Flags f =
      ipcc_.wait([](const Ipcc::Flags& x) { return x.occupied == 0 && x.received == 1; },
                 std::chrono::seconds(10));
  EXPECT_EQ(f.occupied, 0u);  // the handler cleared channel 1
  EXPECT_EQ(f.received, 1u);  // and sent on channel 0
  ASSERT_TRUE(eventually([&] { return word(kIpccRx) == 1; }));
  // A second message: the line was level-low in between, so the handler runs once more.
  ipcc_.host_ack(0);
  ipcc_.host_send(1);
  ASSERT_TRUE(eventually([&] { return word(kIpccRx) == 2; })) << word(kIpccRx);
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, SysResetReqRestartsFromTheVectorTable) {
  boot(kModeReset);
  ASSERT_TRUE(eventually([&] { return word(kBoots) == 3; })) << word(kBoots);
  EXPECT_TRUE(eventually([&] { return core_->resets() == 2; }));
  EXPECT_TRUE(core_->running());
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, SvcEntersTheSvcallHandler) {
  boot(kModeSvc);
  ASSERT_TRUE(eventually([&] { return word(kStage) == 1; }));
  EXPECT_EQ(word(kSvcs), 3u);
  // Armv8-M EXC_RETURN of a non-secure core: thread mode, main stack, no FP context.
  EXPECT_EQ(word(kExcReturn), 0xFFFFFFB8u);
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, ASecureBootUsesTheSecureExcReturnValues) {
  boot(kModeSvc, {}, /*secure=*/true);
  ASSERT_TRUE(eventually([&] { return word(kStage) == 1; }));
  EXPECT_EQ(word(kExcReturn), 0xFFFFFFF9u);
}

// An interrupt taken while the FPU is in use stacks S0-S15 and FPSCR (EXC_RETURN.FType clear)
// and restores them on return, with CONTROL.FPCA set again: the handler may use the FPU.
TEST_F(CortexMCoreTest, FloatingPointContextSurvivesAnInterruptThatUsesTheFpu) {
  boot(kModeFpContext);
  ASSERT_TRUE(eventually([&] { return word(kStage) == 1; })) << crashes().size();
  EXPECT_EQ(word(kExcReturn), 0xFFFFFFA8u);  // thread, main stack, FP frame
  EXPECT_EQ(word(kFpAfter), 0x12345678u);
  EXPECT_EQ(word(kFpscrAfter), 0x03C00000u);
  EXPECT_NE(word(kControlAfter) & 4u, 0u);  // FPCA
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, ATimerUpdateInterruptWakesTheCoreEveryPeriod) {
  boot(kModeTimer);
  ASSERT_TRUE(eventually([&] { return word(kTimerIrqs) >= 5; })) << word(kTimerIrqs);
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, DwtCycleCounterCountsOnlyWithTraceEnabled) {
  boot(kModeCycleCounter);
  ASSERT_TRUE(eventually([&] { return word(kStage) == 1; }));
  EXPECT_EQ(word(kValue), 0u);      // DEMCR.TRCENA clear: no count
  EXPECT_GE(word(kCycles), 1000u);  // a thousand iterations at least
  EXPECT_LT(word(kCycles), 1000000u);
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, PriorityRegistersKeepFourBits) {
  boot(kModePriorityBits);
  ASSERT_TRUE(eventually([&] { return word(kStage) == 1; }));
  EXPECT_EQ(word(kIpr), 0xF0u);
}

// --unmodelled fault (the default): the access is a bus fault that names the peripheral.
TEST_F(CortexMCoreTest, AnUnmodelledPeripheralIsNamedInTheCrash) {
  boot(kModeUnmodelled);
  ASSERT_TRUE(eventually([&] { return crashed(); }));
  const CrashReport r = crashes()[0];
  EXPECT_EQ(r.kind, CrashKind::kBadAccess);
  EXPECT_EQ(r.address, kUnmodelledBase + 0x18);
  EXPECT_EQ(r.text,
            fmt::format("read of I2C1+0x18 (32-bit) at pc 0x{:08x}: I2C1 is not modelled", r.pc));
  EXPECT_EQ(core_->registers()[15], r.pc);
  EXPECT_TRUE(warnings().empty());
}

// --unmodelled ignore: reads as zero, writes dropped, one warning for the peripheral.
TEST_F(CortexMCoreTest, IgnoringUnmodelledPeripheralsReadsZeroAndWarnsOnce) {
  CortexMOptions options;
  options.unmodelled_policy = UnmodelledPolicy::kIgnore;
  boot(kModeUnmodelled, std::move(options));
  ASSERT_TRUE(eventually([&] { return word(kStage) == 1; }));
  EXPECT_EQ(word(kValue), 3u);  // three reads of zero, each + 1
  const auto w = warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], ::testing::MatchesRegex(
                        "read of I2C1\\+0x18 \\(32-bit\\) at pc 0x801[0-9a-f]{5}: I2C1 is not "
                        "modelled \\(--unmodelled ignore: reads as zero, writes dropped\\)"));
  EXPECT_FALSE(crashed());
}

TEST_F(CortexMCoreTest, RestartsAfterACrash) {
  boot(kModeBreakpoint);
  ASSERT_TRUE(eventually([&] { return crashed(); }));
  core_->stop();
  word(kMode) = kModePattern;
  ASSERT_TRUE(core_->start(kFwBase, false));
  ASSERT_TRUE(eventually([&] { return word(kPattern + 3) == 0xC0DE0003u; }));
  EXPECT_TRUE(core_->running());
  EXPECT_EQ(crashes().size(), 1u);
}

// Each run gets a new Unicorn engine, built beforehand by the core's engine worker and swapped
// in when a run ends: many short runs in a row each boot the firmware again.
TEST_F(CortexMCoreTest, ManyStopStartCyclesEachRunTheFirmwareAgain) {
  boot(kModePattern);
  for (uint32_t cycle = 2; cycle <= 12; ++cycle) {
    ASSERT_TRUE(eventually([&] { return word(kPattern + 3) == 0xC0DE0003u; })) << cycle;
    core_->stop();
    for (uint32_t i = 0; i < 4; ++i) word(kPattern + i) = 0;
    ASSERT_TRUE(core_->start(kFwBase, false)) << cycle;
    ASSERT_TRUE(eventually([&] { return word(kBoots) == cycle; })) << cycle;
  }
  EXPECT_TRUE(core_->running());
  EXPECT_FALSE(crashed());
}

// The engine a run used is replaced by a fresh one as the run ends; a debugger looking at the
// stopped core still sees where that run was, and cannot change registers no run will use.
TEST_F(CortexMCoreTest, BetweenRunsADebuggerReadsTheLastRunsRegisters) {
  boot(kModePattern);
  ASSERT_TRUE(eventually([&] { return word(kPattern + 3) == 0xC0DE0003u; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the spare engine is ready
  core_->stop();
  const auto regs = core_->debug_read_registers();
  ASSERT_TRUE(regs.has_value());
  const uint64_t pc = (*regs)[15];
  EXPECT_GE(pc, kFwBase) << "the registers of a new engine, not the run's";
  EXPECT_LT(pc, kFwBase + kSize);
  EXPECT_EQ(pc, core_->registers()[15]);
  EXPECT_NE((*regs)[13], 0u) << "sp";
  EXPECT_FALSE(core_->debug_write_register(0, 42));
  ASSERT_TRUE(core_->start(kFwBase, false));
  ASSERT_TRUE(eventually([&] { return word(kBoots) == 2u; }));
}

// Each point is an emulator hook: a debugger cannot add them without bound.
TEST_F(CortexMCoreTest, BreakpointsAndWatchpointsAreBounded) {
  boot(kModePattern);
  ASSERT_TRUE(eventually([&] { return word(kPattern + 3) == 0xC0DE0003u; }));
  core_->stop();
  for (uint32_t i = 0; i < kMaxDebugBreakpoints; ++i)
    ASSERT_TRUE(core_->debug_set_breakpoint(kFwBase + 2 * i, true)) << i;
  EXPECT_FALSE(core_->debug_set_breakpoint(kFwBase + 2 * kMaxDebugBreakpoints, true));
  EXPECT_TRUE(core_->debug_set_breakpoint(kFwBase, true)) << "an existing one is not a new one";
  ASSERT_TRUE(core_->debug_set_breakpoint(kFwBase, false));
  EXPECT_TRUE(core_->debug_set_breakpoint(kFwBase + 2 * kMaxDebugBreakpoints, true));
  for (uint32_t i = 0; i < kMaxDebugWatchpoints; ++i)
    ASSERT_TRUE(core_->debug_set_watchpoint(WatchKind::kWrite, kDataBase + 4 * i, 4, true)) << i;
  EXPECT_FALSE(core_->debug_set_watchpoint(WatchKind::kWrite, kDataBase + 4 * kMaxDebugWatchpoints,
                                           4, true));
  ASSERT_TRUE(core_->debug_set_watchpoint(WatchKind::kWrite, kDataBase, 4, false));
  EXPECT_TRUE(core_->debug_set_watchpoint(WatchKind::kWrite, kDataBase + 4 * kMaxDebugWatchpoints,
                                          4, true));
  core_->debug_detach();
}

TEST(CortexMCore, RejectsABootAddressOutsideItsMemories) {
  auto core = CortexMCore::create({}, {}, nullptr);
  ASSERT_TRUE(core);
  EXPECT_FALSE((*core)->start(0x80100000, false));
  EXPECT_FALSE((*core)->running());
}

}  // namespace
}  // namespace rproctee::soc
