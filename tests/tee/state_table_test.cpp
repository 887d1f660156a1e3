// The full state table of the remoteproc TA (tee.md, image-format.md "How OP-TEE's TA
// answers"): every command in every state, for the two processors of the "stm32mp25-dual"
// preset at once, over both transports. The resulting state is observed through behaviour
// (the core's hold-boot, the memories, GET_RSC_TABLE) and after every step the other
// processor must be exactly as it was. Then both processors are driven from two threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "image/elf32.hpp"
#include "platform/secure_config.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/rsc_builder.hpp"

namespace rproctee::test {
namespace {

enum class State { kOff, kLoaded, kStarted };
enum class Command { kLoadSame, kLoadOther, kStart, kStop, kGetRscTable, kGetCoredump, kRelease };

constexpr State kStates[] = {State::kOff, State::kLoaded, State::kStarted};
constexpr Command kCommands[] = {Command::kLoadSame, Command::kLoadOther,   Command::kStart,
                                 Command::kStop,     Command::kGetRscTable, Command::kGetCoredump,
                                 Command::kRelease};

std::string state_name(State s) {
  switch (s) {
    case State::kOff:
      return "Off";
    case State::kLoaded:
      return "Loaded";
    case State::kStarted:
      return "Started";
  }
  return "?";
}

std::string command_name(Command c) {
  switch (c) {
    case Command::kLoadSame:
      return "LoadSame";
    case Command::kLoadOther:
      return "LoadOther";
    case Command::kStart:
      return "Start";
    case Command::kStop:
      return "Stop";
    case Command::kGetRscTable:
      return "GetRscTable";
    case Command::kGetCoredump:
      return "GetCoredump";
    case Command::kRelease:
      return "Release";
  }
  return "?";
}

// Processor 1 of the dual preset: firmware 0x82000000, data 0x82400000, IPC 0x82800000.
constexpr uint32_t kM1Firmware = 0x82000000, kM1Data = 0x82400000, kM1Ipc = 0x82800000;

std::vector<uint8_t> m1_resource_table() {
  RscTableBuilder rsc;
  rsc.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0);
  rsc.add_trace(kM1Data + 0x400, 0x400, "m1_trace");
  return rsc.build();
}

/// A firmware for processor 1, laid out like make_firmware's in processor 1's memories.
std::vector<uint8_t> make_m1_firmware(size_t code_size, uint8_t seed) {
  ElfBuilder b;
  std::vector<uint8_t> code(std::max<size_t>(code_size, 64));
  for (size_t i = 0; i < code.size(); ++i) code[i] = static_cast<uint8_t>(i * 13 + seed + (i >> 8));
  b.add_code(kM1Firmware, code, kM1Data + 0x400000, /*isr_vector_and_text=*/true);
  const size_t data = b.add_segment(
      {.paddr = kM1Data, .data = std::vector<uint8_t>(0x100, seed), .memsz = 0x1000, .flags = 6});
  b.add_section({.name = ".data", .flags = 3, .segment = data, .offset = 0, .size = 0x100});
  b.add_resource_table(kM1Ipc, m1_resource_table());
  return b.build();
}

/// One processor of the machine: its images, its client and what it should be doing.
struct Proc {
  uint32_t id = 0;
  size_t index = 0;  // in description().layout.processors
  std::vector<uint8_t> image_a, image_b;
  uint64_t rsc_pa = 0, rsc_size = 0;
  std::unique_ptr<RprocClient> client;
  State state = State::kOff;
  const std::vector<uint8_t>* loaded = nullptr;
};

struct Images {
  std::vector<uint8_t> p0_a, p0_b, p1_a, p1_b;
};

const Images& images() {
  static const Images kImages = [] {
    const auto& key = test_key("rsa2048");
    Images i;
    i.p0_a = sign_elfs({make_firmware(8192, demo_resource_table())}, key);
    i.p0_b = sign_elfs({make_firmware(12288, demo_resource_table())}, key);
    i.p1_a = sign_elfs({make_m1_firmware(8192, 1)}, key);
    i.p1_b = sign_elfs({make_m1_firmware(4096, 2)}, key);
    return i;
  }();
  return kImages;
}

size_t processor_index(MachineUnderTest& m, uint32_t id) {
  const auto& ps = m.machine().description().layout.processors;
  for (size_t i = 0; i < ps.size(); ++i)
    if (ps[i].mode == dt::ProcessorMode::kTee && ps[i].id == id) return i;
  throw std::runtime_error("no processor with that id");
}

/// Both processors of a dual machine with open sessions.
class DualMachine {
 public:
  explicit DualMachine(TransportKind kind) : m_(kind, dual_config()) {
    const Images& img = images();
    procs_[0].id = 0;
    procs_[0].image_a = img.p0_a;
    procs_[0].image_b = img.p0_b;
    procs_[0].rsc_pa = 0x81200000;
    procs_[0].rsc_size = demo_resource_table().size();
    procs_[1].id = 1;
    procs_[1].image_a = img.p1_a;
    procs_[1].image_b = img.p1_b;
    procs_[1].rsc_pa = kM1Ipc;
    procs_[1].rsc_size = m1_resource_table().size();
    for (Proc& p : procs_) {
      p.index = processor_index(m_, p.id);
      p.client = std::make_unique<RprocClient>(m_.tee_name());
      if (!p.client->initialized() || p.client->open(p.id) != TEEC_SUCCESS)
        throw std::runtime_error("cannot open a session");
    }
  }

  static MachineConfig dual_config() {
    MachineConfig c;
    c.preset = "stm32mp25-dual";
    return c;
  }

  MachineUnderTest& m() { return m_; }
  Proc& proc(size_t i) { return procs_[i]; }

  bool running(const Proc& p) { return m_.machine().soc().core(p.index).running(); }

  /// Checks, through behaviour only, that `p` is in its model state.
  void expect_observed(Proc& p, const std::string& when) {
    SCOPED_TRACE("processor " + std::to_string(p.id) + " " + when + ", expected " +
                 state_name(p.state));
    EXPECT_EQ(running(p), p.state == State::kStarted);
    uint64_t address = 1, size = 1;
    const TEEC_Result r = p.client->rsc_table(address, size);
    if (p.state == State::kOff) {
      EXPECT_TRUE(m_.memories_zero(p.id));
      EXPECT_EQ(r, TEEC_ERROR_BAD_STATE);
    } else {
      ASSERT_NE(p.loaded, nullptr);
      EXPECT_TRUE(memory_holds_exactly(m_, *p.loaded, p.id));
      EXPECT_EQ(r, TEEC_SUCCESS);
      EXPECT_EQ(address, p.rsc_pa);
      EXPECT_EQ(size, p.rsc_size);
    }
  }

  /// Drives `p` from OFF to `s` with image A (checking each step).
  void bring_to(Proc& p, State s) {
    if (s == State::kOff) return;
    ASSERT_EQ(p.client->load(p.image_a), TEEC_SUCCESS) << p.client->last_error();
    p.state = State::kLoaded;
    p.loaded = &p.image_a;
    if (s == State::kStarted) {
      ASSERT_EQ(p.client->start(), TEEC_SUCCESS) << p.client->last_error();
      p.state = State::kStarted;
    }
  }

  /// Back to OFF from any state.
  void reset(Proc& p) {
    if (p.state == State::kStarted) {
      EXPECT_EQ(p.client->stop(), TEEC_SUCCESS);
    }
    if (p.state == State::kLoaded) {
      EXPECT_EQ(p.client->release(), TEEC_SUCCESS);
    }
    p.state = State::kOff;
    p.loaded = nullptr;
  }

 private:
  MachineUnderTest m_;
  Proc procs_[2];
};

/// What the TA must answer, and the state it leaves.
struct Expected {
  TEEC_Result code = TEEC_SUCCESS;
  State next = State::kOff;
  bool next_is_b = false;  // the loaded image afterwards is image B
  std::string error;       // GET_LAST_ERROR right after a rejection
};

std::string bad_state(const std::string& what) {
  return what + " [TEE_ERROR_BAD_STATE 0xffff0007]";
}

Expected expected(State s, Command c) {
  switch (s) {
    case State::kOff:
      switch (c) {
        case Command::kLoadSame:
          return {TEEC_SUCCESS, State::kLoaded, false, ""};
        case Command::kLoadOther:
          return {TEEC_SUCCESS, State::kLoaded, true, ""};
        case Command::kStart:
          return {TEEC_ERROR_BAD_STATE, State::kOff, false,
                  bad_state("START_FW rejected: no firmware is loaded")};
        case Command::kStop:
          return {TEEC_SUCCESS, State::kOff, false, ""};
        case Command::kGetRscTable:
          return {TEEC_ERROR_BAD_STATE, State::kOff, false,
                  bad_state("GET_RSC_TABLE rejected: no firmware is loaded")};
        case Command::kGetCoredump:
          return {TEEC_ERROR_BAD_STATE, State::kOff, false,
                  bad_state("GET_COREDUMP rejected: no firmware: the memories are wiped")};
        case Command::kRelease:
          return {TEEC_SUCCESS, State::kOff, false, ""};
      }
      break;
    case State::kLoaded:
      switch (c) {
        case Command::kLoadSame:
          return {TEEC_SUCCESS, State::kLoaded, false, ""};
        case Command::kLoadOther:
          return {TEEC_ERROR_BAD_STATE, State::kLoaded, false,
                  bad_state("LOAD_FW rejected: another image is already loaded: release it first")};
        case Command::kStart:
          return {TEEC_SUCCESS, State::kStarted, false, ""};
        case Command::kStop:
          return {TEEC_ERROR_BAD_STATE, State::kLoaded, false,
                  bad_state("STOP_FW rejected: the firmware is loaded but not started")};
        case Command::kGetRscTable:
        case Command::kGetCoredump:
          return {TEEC_SUCCESS, State::kLoaded, false, ""};
        case Command::kRelease:
          return {TEEC_SUCCESS, State::kOff, false, ""};
      }
      break;
    case State::kStarted:
      switch (c) {
        case Command::kLoadSame:
        case Command::kLoadOther:
          return {TEEC_ERROR_BAD_STATE, State::kStarted, false,
                  bad_state("LOAD_FW rejected: the firmware is running: stop it first")};
        case Command::kStart:
        case Command::kGetRscTable:
        case Command::kGetCoredump:
          return {TEEC_SUCCESS, State::kStarted, false, ""};
        case Command::kStop:
          return {TEEC_SUCCESS, State::kOff, false, ""};
        case Command::kRelease:
          return {TEEC_ERROR_BAD_STATE, State::kStarted, false,
                  bad_state("RELEASE_FW rejected: the firmware is running: stop it first")};
      }
      break;
  }
  return {};
}

/// A GET_COREDUMP answer under the default coredump policy: an ELF32 ARM core, PT_NOTE then
/// one PT_LOAD per region of the processor the normal world may map (vaddr = paddr = da); the
/// firewalled regions are absent, so the loaded segments there are not in it; those in the
/// open regions are, byte for byte.
void check_coredump(DualMachine& dm, const Proc& p, const std::vector<uint8_t>& core) {
  auto view = image::Elf32View::parse(core, "core");
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->header().type, 4);      // ET_CORE
  EXPECT_EQ(view->header().machine, 40);  // EM_ARM
  const auto& description = dm.m().machine().description();
  const auto* desc = description.layout.processor(p.id);
  ASSERT_NE(desc, nullptr);
  std::vector<size_t> open;
  for (size_t r : desc->regions)
    if (platform::exported_to_normal_world(description, r)) open.push_back(r);
  ASSERT_LT(open.size(), desc->regions.size());
  const auto& phdrs = view->phdrs();
  ASSERT_EQ(phdrs.size(), open.size() + 1);
  EXPECT_EQ(phdrs[0].type, image::elf::kPtNote);
  auto note = view->segment_bytes(phdrs[0]);
  ASSERT_TRUE(note);
  ASSERT_GE(note->size(), 20u);
  EXPECT_EQ(get_u32(*note, 8), 1u);  // NT_PRSTATUS
  EXPECT_EQ(std::string(note->begin() + 12, note->begin() + 16), "CORE");
  for (size_t i = 0; i < open.size(); ++i) {
    const auto& region = description.layout.regions[open[i]];
    const auto& ph = phdrs[i + 1];
    EXPECT_EQ(ph.type, image::elf::kPtLoad);
    EXPECT_EQ(ph.paddr, region.pa) << region.name;
    EXPECT_EQ(ph.vaddr, region.pa) << region.name;
    EXPECT_EQ(ph.filesz, region.size) << region.name;
    EXPECT_EQ(ph.memsz, region.size) << region.name;
  }
  // Every loaded segment in an open region is in its PT_LOAD byte for byte; no other one is
  // in the dump at all.
  size_t in_open = 0;
  for (const auto& [pa, bytes] : expected_segments(*p.loaded)) {
    const auto it = std::find_if(phdrs.begin(), phdrs.end(), [&](const image::Elf32Phdr& ph) {
      return ph.type == image::elf::kPtLoad && pa >= ph.paddr && pa - ph.paddr < ph.filesz;
    });
    if (it == phdrs.end()) {
      EXPECT_EQ(std::search(core.begin(), core.end(), bytes.begin(), bytes.end()), core.end())
          << std::hex << "the firewalled segment at " << pa << " is in the dump";
      continue;
    }
    ++in_open;
    auto seg = view->segment_bytes(*it);
    ASSERT_TRUE(seg);
    const auto at = seg->subspan(static_cast<size_t>(pa - it->paddr), bytes.size());
    EXPECT_TRUE(std::equal(at.begin(), at.end(), bytes.begin())) << std::hex << pa;
  }
  EXPECT_GT(in_open, 0u);  // the resource table's segment
}

class StateTable
    : public ::testing::TestWithParam<std::tuple<TransportKind, State, Command, uint32_t>> {};

TEST_P(StateTable, AnswersAndLeavesTheOtherProcessorAlone) {
  const auto [transport, state, command, id] = GetParam();
  DualMachine dm(transport);
  Proc& p = dm.proc(id);
  Proc& other = dm.proc(1 - id);
  const Expected want = expected(state, command);
  // The other processor sits in each state in turn while the command runs on this one.
  for (State other_state : kStates) {
    SCOPED_TRACE("other processor " + state_name(other_state));
    ASSERT_NO_FATAL_FAILURE(dm.bring_to(other, other_state));
    dm.expect_observed(other, "after its setup");
    ASSERT_NO_FATAL_FAILURE(dm.bring_to(p, state));
    dm.expect_observed(p, "before the command");
    dm.expect_observed(other, "after the setup of the processor under test");

    uint32_t origin = 0;
    TEEC_Result r = TEEC_ERROR_GENERIC;
    uint64_t address = 0, size = 0;
    std::vector<uint8_t> core;
    TEEC_Operation op{};
    switch (command) {
      case Command::kLoadSame:
        r = p.client->load(p.image_a, &origin);
        break;
      case Command::kLoadOther:
        r = p.client->load(p.image_b, &origin);
        break;
      case Command::kStart:
        r = p.client->invoke(protocol::rproc_ta::kStartFw, op, &origin);
        break;
      case Command::kStop:
        r = p.client->invoke(protocol::rproc_ta::kStopFw, op, &origin);
        break;
      case Command::kGetRscTable:
        op.paramTypes =
            TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
        op.params[1].value = {0xDEAD, 0xBEEF};
        op.params[2].value = {0xDEAD, 0xBEEF};
        r = p.client->invoke(protocol::rproc_ta::kGetRscTable, op, &origin);
        address = uint64_t{op.params[1].value.a} | uint64_t{op.params[1].value.b} << 32;
        size = uint64_t{op.params[2].value.a} | uint64_t{op.params[2].value.b} << 32;
        break;
      case Command::kGetCoredump: {
        // First with a one-byte buffer: SHORT_BUFFER and the size needed (or the rejection).
        uint8_t byte = 0;
        op.paramTypes =
            TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
        op.params[1].tmpref = {&byte, 1};
        r = p.client->invoke(protocol::rproc_ta::kGetCoredump, op, &origin);
        if (r == TEEC_ERROR_SHORT_BUFFER) {
          core.resize(op.params[1].tmpref.size);
          op.params[1].tmpref = {core.data(), core.size()};
          r = p.client->invoke(protocol::rproc_ta::kGetCoredump, op, &origin);
          EXPECT_EQ(op.params[1].tmpref.size, core.size());
        }
        break;
      }
      case Command::kRelease:
        r = p.client->invoke(protocol::rproc_ta::kReleaseFw, op, &origin);
        break;
    }
    EXPECT_EQ(r, want.code) << std::hex << r << " " << p.client->last_error();
    EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
    if (want.code != TEEC_SUCCESS) {
      EXPECT_EQ(p.client->last_error(), want.error);
    }
    if (command == Command::kGetRscTable && want.code == TEEC_SUCCESS) {
      EXPECT_EQ(address, p.rsc_pa);
      EXPECT_EQ(size, p.rsc_size);
    }
    if (command == Command::kGetCoredump && want.code == TEEC_SUCCESS) {
      ASSERT_FALSE(core.empty());
      check_coredump(dm, p, core);
    }

    // The model moves as the table says; behaviour must agree.
    if (want.next == State::kOff) {
      p.loaded = nullptr;
    } else if (p.state == State::kOff) {
      p.loaded = want.next_is_b ? &p.image_b : &p.image_a;
    }
    p.state = want.next;
    dm.expect_observed(p, "after " + command_name(command));
    dm.expect_observed(other, "after " + command_name(command) + " on the other processor");

    // Follow-up: the state reached still behaves as a state of the table (one more step).
    if (p.state == State::kLoaded) {
      ASSERT_EQ(p.client->start(), TEEC_SUCCESS);
      p.state = State::kStarted;
    } else if (p.state == State::kStarted) {
      ASSERT_EQ(p.client->stop(), TEEC_SUCCESS);
      p.state = State::kOff;
      p.loaded = nullptr;
    } else {
      EXPECT_EQ(p.client->start(), TEEC_ERROR_BAD_STATE);
    }
    dm.expect_observed(p, "after the follow-up");
    dm.expect_observed(other, "after the follow-up on the other processor");

    dm.reset(p);
    dm.reset(other);
    dm.expect_observed(p, "after the reset");
    dm.expect_observed(other, "after the reset");
    if (HasFatalFailure()) return;
  }
}

std::vector<std::tuple<TransportKind, State, Command, uint32_t>> table_cases() {
  std::vector<std::tuple<TransportKind, State, Command, uint32_t>> out;
  for (auto t : {TransportKind::kInProcess, TransportKind::kSocket})
    for (State s : kStates)
      for (Command c : kCommands)
        for (uint32_t id : {0u, 1u}) out.emplace_back(t, s, c, id);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Dual, StateTable, ::testing::ValuesIn(table_cases()),
                         [](const auto& param) {
                           return transport_name(std::get<0>(param.param)) + "_" +
                                  state_name(std::get<1>(param.param)) + "_" +
                                  command_name(std::get<2>(param.param)) + "_Processor" +
                                  std::to_string(std::get<3>(param.param));
                         });

class ConcurrentProcessors : public ::testing::TestWithParam<TransportKind> {};

// Two threads, one per processor, each with its own TEE context: hundreds of
// LOAD/START/STOP cycles at once, every answer SUCCESS, every STOP leaves its processor wiped
// and stopped, and the other processor's work is never disturbed.
TEST_P(ConcurrentProcessors, LoadStartStopCyclesOnBothAtOnce) {
  DualMachine dm(GetParam());
  constexpr int kCycles = 300;
  std::atomic<bool> go{false};
  std::string failure[2];
  auto worker = [&](size_t i) {
    Proc& p = dm.proc(i);
    // A fresh context per thread: the session of the fixture is closed first.
    p.client->close();
    RprocClient c(dm.m().tee_name());
    if (c.open(p.id) != TEEC_SUCCESS) {
      failure[i] = "open failed";
      return;
    }
    while (!go) std::this_thread::yield();
    for (int n = 0; n < kCycles; ++n) {
      const auto& image = n % 2 ? p.image_b : p.image_a;
      if (const TEEC_Result r = c.load(image); r != TEEC_SUCCESS) {
        failure[i] = fmt::format("cycle {}: LOAD {:#x} {}", n, r, c.last_error());
        return;
      }
      if (!memory_holds_exactly(dm.m(), image, p.id)) {
        failure[i] = fmt::format("cycle {}: memory does not hold the image", n);
        return;
      }
      if (const TEEC_Result r = c.start(); r != TEEC_SUCCESS || !dm.running(p)) {
        failure[i] = fmt::format("cycle {}: START {:#x} {}", n, r, c.last_error());
        return;
      }
      if (const TEEC_Result r = c.stop(); r != TEEC_SUCCESS || dm.running(p)) {
        failure[i] = fmt::format("cycle {}: STOP {:#x} {}", n, r, c.last_error());
        return;
      }
      if (!dm.m().memories_zero(p.id)) {
        failure[i] = fmt::format("cycle {}: memories not wiped after STOP", n);
        return;
      }
    }
  };
  std::thread t0(worker, 0), t1(worker, 1);
  go = true;
  t0.join();
  t1.join();
  EXPECT_EQ(failure[0], "");
  EXPECT_EQ(failure[1], "");
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_FALSE(dm.running(dm.proc(i)));
    EXPECT_TRUE(dm.m().memories_zero(dm.proc(i).id));
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, ConcurrentProcessors,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         [](const auto& param) { return transport_name(param.param); });

}  // namespace
}  // namespace rproctee::test
