// security.md attack class 16 (H13) against the trusted application: 10 000 sessions for
// unknown remote-processor ids are refused (NOT_SUPPORTED, origin TRUSTED_APP, as OP-TEE's) with
// no growth (no session, no context, no memory kept), and a valid LOAD works afterwards; LOAD of
// another image while one is LOADED is BAD_STATE (the same image again is SUCCESS); a session
// never controls another processor (ACCESS_DENIED, dual preset); a second session on a busy
// processor is BUSY.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "protocol/ta_remoteproc.hpp"
#include "ta_attack_support.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define RPROCTEE_SESSIONS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RPROCTEE_SESSIONS_ASAN 1
#endif
#endif

namespace rproctee::test {
namespace {

using namespace attack;     // NOLINT(google-build-using-namespace)
using namespace ta_attack;  // NOLINT(google-build-using-namespace)
using Bytes = std::vector<uint8_t>;

/// Resident set size of this process, in bytes.
uint64_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

class TaSessionLimits : public TaAttackFixture {};

TEST_P(TaSessionLimits, TenThousandUnknownProcessorIdsLeaveNothingBehind) {
  // c_ holds a session on processor 0: the TA and its session on the platform service exist.
  const size_t sessions = m_.machine().tee().session_count();
  ASSERT_EQ(sessions, 2u);  // c_'s session + the TA's session on the platform service
  RprocClient attacker(m_.tee_name());
  ASSERT_TRUE(attacker.initialized());
  auto open_unknown = [&](uint32_t id) {
    uint32_t origin = 0;
    const TEEC_Result r = attacker.open(id, &origin);
    return r == TEEC_ERROR_NOT_SUPPORTED && origin == TEEC_ORIGIN_TRUSTED_APP;
  };
  for (uint32_t id = 1; id <= 200; ++id) ASSERT_TRUE(open_unknown(id));  // warm-up
  const uint64_t rss_before = rss_bytes();
  int wrong = 0;
  for (uint32_t i = 0; i < 10000; ++i) {
    const uint32_t id = i % 3 == 0 ? 0xFFFFFFFFu - i : i + 1;  // never 0
    if (!open_unknown(id) && ++wrong <= 5)
      ADD_FAILURE() << "processor id " << id << " was not refused";
  }
  EXPECT_EQ(wrong, 0);
  const uint64_t rss_after = rss_bytes();
  EXPECT_EQ(m_.machine().tee().session_count(), sessions);
#ifndef RPROCTEE_SESSIONS_ASAN
  // Nothing is kept per id: the resident set does not grow with the number of ids (ASan's
  // quarantine keeps freed memory resident, so the check only runs without it).
  EXPECT_LT(rss_after, rss_before + (2u << 20))
      << fmt::format("RSS grew from {} to {} KiB", rss_before >> 10, rss_after >> 10);
#endif
  std::printf("[ sessions ] 10000 unknown ids: RSS %llu -> %llu KiB, %zu sessions\n",
              static_cast<unsigned long long>(rss_before >> 10),
              static_cast<unsigned long long>(rss_after >> 10), m_.machine().tee().session_count());
  // An open session without the processor id is refused the same way.
  TEEC_Session s{};
  uint32_t origin = 0;
  EXPECT_EQ(TEEC_OpenSession(&attacker.context(), &s, &kRemoteprocUuid, TEEC_LOGIN_REE_KERNEL,
                             nullptr, nullptr, &origin),
            TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  // The valid processor still works, and after the storm a valid LOAD loads exactly.
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, demo_image()));
  EXPECT_EQ(m_.machine().tee().session_count(), sessions);
}

TEST_P(TaSessionLimits, LoadWhileLoadedOnlyAcceptsTheSameImage) {
  const Bytes a = demo_image(8192);
  const Bytes b = demo_image(12288);
  ASSERT_EQ(c_.load(a), TEEC_SUCCESS) << c_.last_error();
  uint32_t origin = 0;
  EXPECT_EQ(c_.load(b, &origin), TEEC_ERROR_BAD_STATE);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_NE(c_.last_error().find("LOAD_FW rejected: another image is already loaded: release it "
                                 "first [TEE_ERROR_BAD_STATE 0xffff0007]"),
            std::string::npos)
      << c_.last_error();
  // The refusal does not disturb A: still LOADED, still exactly A.
  EXPECT_TRUE(memory_holds_exactly(m_, a));
  uint64_t address = 0, size = 0;
  EXPECT_EQ(c_.rsc_table(address, size), TEEC_SUCCESS);
  EXPECT_EQ(address, 0x81200000u);
  // B with only unsigned bytes changed differs from A too; A itself is accepted again (the
  // same signed digest), and so is A with a segment byte changed: nothing is re-read, memory
  // keeps the verified A.
  EXPECT_EQ(c_.load(b), TEEC_ERROR_BAD_STATE);
  EXPECT_EQ(c_.load(a), TEEC_SUCCESS);
  RawImage raw = decompose(a);
  raw.images[0].at(get_phdr(raw.images[0], 0, Phdr::kOffset) + 100) ^= 0xFF;
  EXPECT_EQ(c_.load(assemble_raw(raw)), TEEC_SUCCESS);
  EXPECT_TRUE(memory_holds_exactly(m_, a));
  // Running: any LOAD is BAD_STATE.
  ASSERT_EQ(c_.start(), TEEC_SUCCESS);
  EXPECT_EQ(c_.load(a), TEEC_ERROR_BAD_STATE);
  EXPECT_NE(c_.last_error().find("the firmware is running: stop it first"), std::string::npos);
  EXPECT_EQ(c_.load(b), TEEC_ERROR_BAD_STATE);
  EXPECT_TRUE(memory_holds_exactly(m_, a));
  ASSERT_EQ(c_.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m_.memories_zero());
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, b));
}

TEST_P(TaSessionLimits, ASecondSessionOnTheSameProcessorIsBusy) {
  // c_ already holds processor 0. Another client, and the same client, are refused.
  RprocClient other(m_.tee_name());
  uint32_t origin = 0;
  EXPECT_EQ(other.open(0, &origin), TEEC_ERROR_BUSY);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  TEEC_Session second{};
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  EXPECT_EQ(TEEC_OpenSession(&c_.context(), &second, &kRemoteprocUuid, TEEC_LOGIN_REE_KERNEL,
                             nullptr, &op, &origin),
            TEEC_ERROR_BUSY);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  // The holder loads; once it closes, the other client takes over the loaded firmware.
  const Bytes a = demo_image();
  ASSERT_EQ(c_.load(a), TEEC_SUCCESS) << c_.last_error();
  c_.close();
  ASSERT_EQ(other.open(0), TEEC_SUCCESS);
  ASSERT_EQ(other.start(), TEEC_SUCCESS) << other.last_error();
  EXPECT_TRUE(memory_holds_exactly(m_, a));
  ASSERT_EQ(other.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m_.memories_zero());
  EXPECT_EQ(c_.open(0), TEEC_ERROR_BUSY);
}

/// A firmware for processor 1 of the dual preset (code at 0x82000000).
Bytes processor1_image() {
  ElfBuilder b;
  b.add_code(0x82000000, Bytes(0x400, 0x61), 0x82800000);
  b.add_segment({.paddr = 0x82400000, .data = Bytes(0x80, 0x62), .memsz = 0x400, .flags = 6});
  return sign_elfs({b.build()}, test_key("rsa2048"));
}

TEST_P(TaSessionLimits, ASessionNeverControlsAnotherProcessor) {
  MachineConfig config;
  config.preset = "stm32mp25-dual";
  MachineUnderTest m(GetParam(), config);
  RprocClient c0(m.tee_name());
  RprocClient c1(m.tee_name());
  ASSERT_EQ(c0.open(0), TEEC_SUCCESS);
  ASSERT_EQ(c1.open(1), TEEC_SUCCESS);
  const Bytes image1 = processor1_image();

  // Session of processor 0, params[0].a = 1, for every command.
  auto as_processor1 = [&](uint32_t command, TEEC_Operation& op) {
    op.paramTypes = (op.paramTypes & ~0xFu) | TEEC_VALUE_INPUT;
    op.params[0].value.a = 1;
    uint32_t origin = 0;
    const TEEC_Result r = TEEC_InvokeCommand(&c0.session(), command, &op, &origin);
    EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP) << "command " << command;
    return r;
  };
  TEEC_SharedMemory shm{};
  shm.size = image1.size();
  shm.flags = TEEC_MEM_INPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&c0.context(), &shm), TEEC_SUCCESS);
  std::memcpy(shm.buffer, image1.data(), image1.size());
  {
    TEEC_Operation op{};
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
    op.params[1].memref.parent = &shm;
    EXPECT_EQ(as_processor1(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_ACCESS_DENIED);
  }
  EXPECT_TRUE(m.memories_zero(1));
  EXPECT_TRUE(StateIsOff(c1));
  // Processor 1's own session loads it; processor 0's session can neither stop, release,
  // start nor read it.
  ASSERT_EQ(c1.load(image1), TEEC_SUCCESS) << c1.last_error();
  for (const uint32_t command : {protocol::rproc_ta::kStartFw, protocol::rproc_ta::kStopFw,
                                 protocol::rproc_ta::kReleaseFw}) {
    TEEC_Operation op{};
    EXPECT_EQ(as_processor1(command, op), TEEC_ERROR_ACCESS_DENIED) << "command " << command;
  }
  {
    TEEC_Operation op{};
    op.paramTypes =
        TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
    EXPECT_EQ(as_processor1(protocol::rproc_ta::kGetRscTable, op), TEEC_ERROR_ACCESS_DENIED);
  }
  {
    TEEC_Operation op{};
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
    op.params[1].memref.parent = &shm;
    EXPECT_EQ(as_processor1(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_ACCESS_DENIED);
  }
  // 1000 more attempts with other ids: all refused, processor 1 untouched.
  for (uint32_t id = 2; id < 1002; ++id) {
    TEEC_Operation op{};
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
    op.params[0].value.a = id;
    if (TEEC_InvokeCommand(&c0.session(), protocol::rproc_ta::kStopFw, &op, nullptr) !=
        TEEC_ERROR_ACCESS_DENIED) {
      ADD_FAILURE() << "id " << id;
      break;
    }
  }
  TEEC_ReleaseSharedMemory(&shm);
  EXPECT_TRUE(memory_holds_exactly(m, image1, 1));
  EXPECT_TRUE(m.memories_zero(0));
  ASSERT_EQ(c1.start(), TEEC_SUCCESS) << c1.last_error();
  ASSERT_EQ(c1.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m.memories_zero(1));
  // Each processor still loads its own firmware.
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c0, demo_image()));
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c1, image1));
}

INSTANTIATE_TEST_SUITE_P(Transports, TaSessionLimits,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);

}  // namespace
}  // namespace rproctee::test
