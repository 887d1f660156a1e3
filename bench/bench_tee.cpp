// The secure world's costs, measured through the GlobalPlatform client API:
//
//   BM_Sha256Pass/<size>        one SHA-256 pass over the image bytes (the physical limit)
//   BM_Load/<transport>/<size>  LOAD_FW of a signed image held in TEEC_AllocateSharedMemory
//                               (zero copy): header snapshot, signature, TLVs, ELF checks, and
//                               one copy-and-hash sweep per segment into the processor's memory
//   BM_FirstLoad/<transport>/<size>  the same LOAD_FW as the first one of a fresh machine (its
//                               creation and the session are not timed): the secure world
//                               wipes every memory first, which costs nothing where no page
//                               was ever written; BM_Load/<transport>/64KiB is the later LOAD
//   BM_StartStop/<transport>    a START_FW + STOP_FW pair (STOP wipes the memories; the reload
//                               between pairs is not timed)
//   BM_EmptyInvoke/<transport>  an InvokeCommand the TA answers at once (unknown command)
//
// <transport>: "socket" is a machine served on a Unix SOCK_SEQPACKET socket by a thread of this
// process (the same code as `rproctee machine`), "inproc" the in-process transport. Wall time.
// The 16 MiB image fills the STM32MP25 firmware and data regions (8 MiB each).
#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>

#include "crypto/sha256.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"

namespace {

using namespace rproctee::test;  // NOLINT: benchmark glue

constexpr int kRepetitions = 5;

/// A signed image of about `size` bytes whose segments fit the STM32MP25 memories.
const std::vector<uint8_t>& image(size_t size) {
  static std::map<size_t, std::unique_ptr<std::vector<uint8_t>>> cache;
  auto& slot = cache[size];
  if (slot) return *slot;
  ElfBuilder b;
  const size_t half = size / 2;
  std::vector<uint8_t> code(half), data(size - half);
  for (size_t i = 0; i < code.size(); ++i) code[i] = static_cast<uint8_t>(i * 31 + (i >> 9));
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 17 + (i >> 7));
  const uint32_t sp = 0x81200000, pc = 0x80100401;
  std::memcpy(code.data(), &sp, 4);
  std::memcpy(code.data() + 4, &pc, 4);
  b.entry(pc);
  b.add_segment({.paddr = 0x80100000, .data = code, .flags = 5});
  b.add_segment({.paddr = 0x80a00000, .data = data, .flags = 6});
  slot = std::make_unique<std::vector<uint8_t>>(sign_elfs({b.build()}, test_key("rsa2048")));
  return *slot;
}

/// A machine, a client session on processor 0 and the image in allocated shared memory.
struct Setup {
  explicit Setup(TransportKind kind, const std::vector<uint8_t>& img)
      : machine(kind), client(machine.tee_name()) {
    if (!client.initialized() || client.open(0) != TEEC_SUCCESS)
      throw std::runtime_error("cannot open a session on the remoteproc TA");
    shm.size = img.size();
    shm.flags = TEEC_MEM_INPUT;
    if (TEEC_AllocateSharedMemory(&client.context(), &shm) != TEEC_SUCCESS)
      throw std::runtime_error("cannot allocate shared memory");
    std::memcpy(shm.buffer, img.data(), img.size());
  }
  ~Setup() { TEEC_ReleaseSharedMemory(&shm); }

  TEEC_Result load() {
    TEEC_Operation op{};
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
    op.params[1].memref.parent = &shm;
    return client.invoke(rproctee::protocol::rproc_ta::kLoadFw, op);
  }

  MachineUnderTest machine;
  RprocClient client;
  TEEC_SharedMemory shm{};
};

TransportKind kind_of(int64_t arg) {
  return arg == 0 ? TransportKind::kSocket : TransportKind::kInProcess;
}
const char* label(int64_t arg) {
  return arg == 0 ? "socket" : "inproc";
}

void BM_Sha256Pass(benchmark::State& state) {
  const auto& img = image(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(rproctee::crypto::Sha256::of(img));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(img.size()));
  state.counters["bytes"] = static_cast<double>(img.size());
}

void BM_Load(benchmark::State& state) {
  const auto& img = image(static_cast<size_t>(state.range(1)));
  Setup s(kind_of(state.range(0)), img);
  for (auto _ : state) {
    if (s.load() != TEEC_SUCCESS) state.SkipWithError(s.client.last_error().c_str());
    state.PauseTiming();
    s.client.release();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(img.size()));
  state.counters["bytes"] = static_cast<double>(img.size());
  state.SetLabel(label(state.range(0)));
}

void BM_FirstLoad(benchmark::State& state) {
  const auto& img = image(static_cast<size_t>(state.range(1)));
  for (auto _ : state) {
    state.PauseTiming();
    auto s = std::make_unique<Setup>(kind_of(state.range(0)), img);
    state.ResumeTiming();
    if (s->load() != TEEC_SUCCESS) state.SkipWithError(s->client.last_error().c_str());
    state.PauseTiming();
    s.reset();
    state.ResumeTiming();
  }
  state.counters["bytes"] = static_cast<double>(img.size());
  state.SetLabel(label(state.range(0)));
}

void BM_StartStop(benchmark::State& state) {
  Setup s(kind_of(state.range(0)), image(64 * 1024));
  for (auto _ : state) {
    state.PauseTiming();
    if (s.load() != TEEC_SUCCESS) state.SkipWithError("load failed");
    state.ResumeTiming();
    if (s.client.start() != TEEC_SUCCESS || s.client.stop() != TEEC_SUCCESS)
      state.SkipWithError("start/stop failed");
  }
  state.SetLabel(label(state.range(0)));
}

void BM_EmptyInvoke(benchmark::State& state) {
  Setup s(kind_of(state.range(0)), image(64 * 1024));
  for (auto _ : state) {
    TEEC_Operation op{};
    benchmark::DoNotOptimize(s.client.invoke(0x7777, op));  // NOT_SUPPORTED, at once
  }
  state.SetLabel(label(state.range(0)));
}

constexpr int64_t kMiB = 1 << 20;

BENCHMARK(BM_Sha256Pass)
    ->Arg(kMiB)
    ->Arg(16 * kMiB)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();
BENCHMARK(BM_Load)
    ->Args({0, 64 * 1024})
    ->Args({0, kMiB})
    ->Args({0, 16 * kMiB})
    ->Args({1, kMiB})
    ->Args({1, 16 * kMiB})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();
BENCHMARK(BM_FirstLoad)
    ->Args({0, 64 * 1024})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();
BENCHMARK(BM_StartStop)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();
BENCHMARK(BM_EmptyInvoke)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
