// Emulated instructions per second: the same two-instruction Thumb loop (`subs r0, #1; bne`)
// run for kLoopIterations turns
//
//   BM_BareUnicornLoop   on a bare Unicorn engine (ARM, THUMB | MCLASS, Cortex-M33 model, one
//                        page mapped, no hooks): the machine's physical limit for Unicorn
//   BM_BareUnicornStoreLoop  the same bare engine on `str r0, [r1]; subs r0, #1; bne` with r1 in
//                        another page: what a guest store costs. Unicorn 2.0.1 (Debian 12)
//                        sends every store to RAM through QEMU's "not dirty" slow path (a
//                        page collection allocated and freed per store; unicorn-engine/unicorn
//                        #1838, #1970, fixed upstream in 2.0.2 / 2.1), so store-heavy firmware
//                        (a memcpy of an rpmsg payload) runs far below the MIPS of the loop.
//                        Counter ns_per_store: (time of a store turn - time of a plain turn).
//   BM_EmulatedCoreLoop  on the project's emulated core (soc::CortexMCore: its block hook,
//                        interrupt hooks and the SCS model), booted from a vector table; the
//                        loop then stores a flag and sleeps in WFI, and the host polls the flag
//
// Instructions counted: loop turns x 2 (the handful around the loop is noise). Wall time,
// counter "mips" = million emulated instructions per second over all iterations.
#include <benchmark/benchmark.h>
#include <unicorn/unicorn.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "soc/cortex_m_core.hpp"
#include "soc/memory_region.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kLoopIterations = 50'000'000;
constexpr int kRepetitions = 5;

// subs r0, #1 ; bne .-2  (the loop both benchmarks time)
constexpr std::array<uint16_t, 2> kLoop = {0x3801, 0xD1FD};

/// A bare engine running a Thumb loop that counts r0 down, r1 pointing into a second page.
class BareLoop {
 public:
  BareLoop(const uint16_t* code, size_t bytes) : end_(kBase + bytes) {
    if (uc_open(UC_ARCH_ARM, static_cast<uc_mode>(UC_MODE_THUMB | UC_MODE_MCLASS), &uc_) !=
        UC_ERR_OK) {
      uc_ = nullptr;
      return;
    }
    uc_ctl_set_cpu_model(uc_, UC_CPU_ARM_CORTEX_M33);
    ok_ = uc_mem_map(uc_, kBase, 0x1000, UC_PROT_ALL) == UC_ERR_OK &&
          uc_mem_map(uc_, kData, 0x1000, UC_PROT_READ | UC_PROT_WRITE) == UC_ERR_OK &&
          uc_mem_write(uc_, kBase, code, bytes) == UC_ERR_OK;
  }
  ~BareLoop() {
    if (uc_) uc_close(uc_);
  }
  BareLoop(const BareLoop&) = delete;
  BareLoop& operator=(const BareLoop&) = delete;
  bool ok() const { return ok_; }

  /// Seconds for `turns` turns; negative when the loop did not run to its end.
  double run(uint32_t turns) {
    uint32_t counter = turns, data = kData + 0x100;
    uc_reg_write(uc_, UC_ARM_REG_R0, &counter);
    uc_reg_write(uc_, UC_ARM_REG_R1, &data);
    const auto t0 = Clock::now();
    const uc_err err = uc_emu_start(uc_, kBase | 1, end_, 0, 0);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    uc_reg_read(uc_, UC_ARM_REG_R0, &counter);
    return err == UC_ERR_OK && counter == 0 ? s : -1;
  }

 private:
  static constexpr uint64_t kBase = 0x10000, kData = 0x20000;
  uc_engine* uc_ = nullptr;
  uint64_t end_;
  bool ok_ = false;
};

void BM_BareUnicornLoop(benchmark::State& state) {
  BareLoop loop(kLoop.data(), sizeof kLoop);
  if (!loop.ok()) return state.SkipWithError("cannot set up the bare loop");
  double seconds = 0;
  for (auto _ : state) {
    const double s = loop.run(kLoopIterations);
    if (s < 0) return state.SkipWithError("the bare loop did not run to its end");
    state.SetIterationTime(s);
    seconds += s;
  }
  state.counters["mips"] =
      2.0 * kLoopIterations * static_cast<double>(state.iterations()) / seconds / 1e6;
}

// The two loops alternate within one timed iteration (Google Benchmark allows one state loop).
void BM_BareUnicornStoreLoop(benchmark::State& state) {
  // str r0, [r1] ; subs r0, #1 ; bne .-4   against   nop ; subs r0, #1 ; bne .-4
  constexpr std::array<uint16_t, 3> kStore = {0x6008, 0x3801, 0xD1FC};
  constexpr std::array<uint16_t, 3> kNop = {0xBF00, 0x3801, 0xD1FC};
  constexpr uint32_t kTurns = 2'000'000;
  BareLoop plain_loop(kNop.data(), sizeof kNop), store_loop(kStore.data(), sizeof kStore);
  if (!plain_loop.ok() || !store_loop.ok())
    return state.SkipWithError("cannot set up the bare loops");
  double plain = 0, store = 0;
  for (auto _ : state) {
    const double p = plain_loop.run(kTurns), s = store_loop.run(kTurns);
    if (p < 0 || s < 0) return state.SkipWithError("a bare loop did not run to its end");
    state.SetIterationTime(p + s);
    plain += p;
    store += s;
  }
  const double turns = static_cast<double>(state.iterations()) * kTurns;
  state.counters["ns_per_store"] = (store - plain) / turns * 1e9;
  state.counters["ns_per_plain_turn"] = plain / turns * 1e9;
}

void BM_EmulatedCoreLoop(benchmark::State& state) {
  constexpr uint32_t kFw = 0x80100000, kData = 0x80A00000, kSize = 0x10000;
  auto fw = rproctee::soc::MemoryRegion::create("bench_fw", kFw, kSize);
  auto data = rproctee::soc::MemoryRegion::create("bench_data", kData, kSize);
  if (!fw || !data) {
    state.SkipWithError("cannot create the core's memories");
    return;
  }
  // Vector table: SP, reset vector -> 0x40. At 0x40:
  //   ldr r0, =kLoopIterations ; ldr r1, =flag ; loop: subs r0, #1 ; bne loop
  //   movs r2, #1 ; str r2, [r1] ; 1: wfi ; b 1b ; literals at 0x50 and 0x54
  uint8_t* code = fw->all().data();
  const uint32_t flag_da = kData + 0x100;
  const std::array<uint32_t, 2> vectors = {kData + kSize, kFw + 0x41};
  const std::array<uint16_t, 8> text = {0x4803, 0x4904, kLoop[0], kLoop[1],
                                        0x2201, 0x600A, 0xBF30,   0xE7FD};
  const std::array<uint32_t, 2> literals = {kLoopIterations, flag_da};
  std::memcpy(code, vectors.data(), sizeof vectors);
  std::memcpy(code + 0x40, text.data(), sizeof text);
  std::memcpy(code + 0x50, literals.data(), sizeof literals);
  volatile uint32_t* flag = reinterpret_cast<volatile uint32_t*>(data->all().data() + 0x100);

  std::atomic<bool> crashed{false};
  std::string crash_text;
  auto core = rproctee::soc::CortexMCore::create(
      {{kFw, fw->all().data(), fw->size()}, {kData, data->all().data(), data->size()}}, {},
      [&](const rproctee::soc::CrashReport& r) {
        crash_text = r.text;
        crashed = true;
      });
  if (!core) {
    state.SkipWithError(core.error().message.c_str());
    return;
  }
  double seconds = 0;
  for (auto _ : state) {
    *flag = 0;
    const auto t0 = Clock::now();
    if (!(*core)->start(kFw, false)) {
      state.SkipWithError("cannot start the core");
      break;
    }
    while (*flag == 0 && !crashed.load())
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    (*core)->stop();
    if (crashed.load()) {
      state.SkipWithError(("the core crashed: " + crash_text).c_str());
      break;
    }
    state.SetIterationTime(s);
    seconds += s;
  }
  state.counters["mips"] =
      static_cast<double>(state.iterations()) * kLoopIterations * 2 / seconds / 1e6;
}

BENCHMARK(BM_BareUnicornLoop)
    ->Iterations(3)
    ->Repetitions(kRepetitions)
    ->UseManualTime()
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BareUnicornStoreLoop)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EmulatedCoreLoop)
    ->Iterations(3)
    ->Repetitions(kRepetitions)
    ->UseManualTime()
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
