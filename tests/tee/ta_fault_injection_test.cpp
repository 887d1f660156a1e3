// security.md attack class 17: systematic fault injection. For each fault point (memory write,
// mapping, hash, TEE message) and every index i from 0 until a LOAD completes without reaching
// the i-th event, arm_fault(point, i) and run LOAD_FW the way a driver does (allocate the shared
// memory through the client API, invoke, release it). The outcome must be consistent: a failed
// LOAD answers the code of the injected fault, leaves the state OFF and every memory zero; a
// LOAD that succeeds holds exactly the signed bytes; and after disarm_faults() a valid LOAD
// always succeeds. The injection is process-global: the machine runs in this process (the
// in-process transport, and the socket transport served by a thread of this process); gtest
// runs the tests of one process one after the other.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "common/fault_injection.hpp"
#include "ta_attack_support.hpp"

namespace rproctee::test {
namespace {

using namespace ta_attack;  // NOLINT(google-build-using-namespace)
using Bytes = std::vector<uint8_t>;

/// What LOAD_FW (through the client API: allocate, invoke, release) must answer when the
/// `index`-th event of `point` fails.
struct Expected {
  TEEC_Result code;
  std::string reason;  // in the TA's last error (empty: the TA never ran)
};

Expected expected_outcome(FaultPoint point, uint64_t index) {
  switch (point) {
    case FaultPoint::kMemoryWrite:  // the platform service's copy of segment `index`
      return {TEEC_ERROR_GENERIC, "the platform service could not load it at"};
    case FaultPoint::kHash:
      if (index == 0) return {TEEC_ERROR_GENERIC, "hash failure (injected)"};  // header || TLVs
      if (index == 1)  // the signature check in the platform service
        return {TEE_ERROR_SIGNATURE_INVALID, "verifies with none of the provisioned keys"};
      return {TEEC_ERROR_SECURITY, "its SHA-256 in memory does not match the signed digest"};
    case FaultPoint::kMapping:  // the machine cannot map the shared memory
      return {TEEC_ERROR_OUT_OF_MEMORY, ""};
    case FaultPoint::kMessage:
      // 0: registering the shared memory, 1: the LOAD_FW request, 2: releasing the shared
      // memory (after the LOAD succeeded).
      if (index == 2) return {TEEC_SUCCESS, ""};
      return {TEEC_ERROR_COMMUNICATION, ""};
    case FaultPoint::kCoreStart:  // not reached by a LOAD
    case FaultPoint::kCount:
      break;
  }
  return {TEEC_ERROR_GENERIC, "?"};
}

/// Events of each kind in one clean LOAD of a 3-segment image through the client API.
uint64_t clean_events(FaultPoint point) {
  switch (point) {
    case FaultPoint::kMemoryWrite:
      return 3;  // one copy per segment
    case FaultPoint::kHash:
      return 2 + 3;  // header digest, signature, one per segment
    case FaultPoint::kMapping:
      return 1;  // the shared memory of the image
    case FaultPoint::kMessage:
      return 3;  // register, LOAD_FW, release
    case FaultPoint::kCoreStart:
    case FaultPoint::kCount:
      break;
  }
  return 0;
}

class TaFaultInjection : public ::testing::TestWithParam<std::tuple<FaultPoint, TransportKind>> {
 protected:
  void TearDown() override { disarm_faults(); }
};

TEST_P(TaFaultInjection, EveryEventFailsCleanlyAndTheNextLoadSucceeds) {
  const auto [point, transport] = GetParam();
  MachineUnderTest m(transport);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  const Bytes image = demo_image(8192);
  ASSERT_EQ(expected_segments(image).size(), 3u);

  // A clean LOAD: how many events of this kind it makes.
  disarm_faults();
  ASSERT_EQ(c.load(image), TEEC_SUCCESS) << c.last_error();
  const uint64_t clean = fault_events(point);
  ASSERT_EQ(c.release(), TEEC_SUCCESS);
  EXPECT_EQ(clean, clean_events(point)) << fault_point_name(point);
  ASSERT_GT(clean, 0u);

  uint64_t index = 0;
  uint64_t failed = 0;
  for (;; ++index) {
    ASSERT_LT(index, 1000u) << "the LOAD never completes without reaching the fault";
    SCOPED_TRACE(fmt::format("{} event {}", fault_point_name(point), index));
    arm_fault(point, index);
    uint32_t origin = 0;
    const TEEC_Result r = c.load(image, &origin);
    const bool hit = fault_events(point) > index;
    disarm_faults();
    if (!hit) {
      // Past the last event: the LOAD ran untouched.
      EXPECT_EQ(r, TEEC_SUCCESS) << c.last_error();
      EXPECT_TRUE(memory_holds_exactly(m, image));
      ASSERT_EQ(c.release(), TEEC_SUCCESS);
      break;
    }
    const Expected want = expected_outcome(point, index);
    EXPECT_EQ(r, want.code) << fmt::format("answered {:#x}: {}", r, c.last_error());
    if (r == TEEC_SUCCESS) {
      EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
      EXPECT_TRUE(memory_holds_exactly(m, image));
      EXPECT_EQ(c.release(), TEEC_SUCCESS);
    } else {
      ++failed;
      if (!want.reason.empty()) {
        EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
        const std::string reason = c.last_error();
        EXPECT_NE(reason.find(want.reason), std::string::npos) << reason;
        EXPECT_EQ(reason.rfind("LOAD_FW rejected: ", 0), 0u) << reason;
      } else if (point == FaultPoint::kMessage) {
        EXPECT_NE(origin, TEEC_ORIGIN_TRUSTED_APP);
      }
      EXPECT_TRUE(StateIsOff(c));
    }
    EXPECT_TRUE(m.memories_zero());
    // Disarmed, a valid LOAD succeeds (exactly) and releases.
    EXPECT_TRUE(LoadsExactlyThenReleases(m, c, image));
  }
  EXPECT_EQ(index, clean) << "the fault indices that hit are exactly the events of a clean LOAD";
  EXPECT_GT(failed, 0u);
  RecordProperty("fault_points", static_cast<int>(index));
  // The session and the machine are still fine: a full cycle.
  ASSERT_EQ(c.load(image), TEEC_SUCCESS);
  ASSERT_EQ(c.start(), TEEC_SUCCESS);
  ASSERT_EQ(c.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m.memories_zero());
}

TEST(TaFaultInjectionAround, FaultsInStartStopAndReleaseMessagesKeepAConsistentState) {
  // A lost START / STOP / RELEASE request never reaches the TA: the state stays what it was
  // and the retried command works.
  MachineUnderTest m(TransportKind::kInProcess);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  const Bytes image = demo_image(4096);
  ASSERT_EQ(c.load(image), TEEC_SUCCESS);
  arm_fault(FaultPoint::kMessage, 0);
  EXPECT_EQ(c.start(), TEEC_ERROR_COMMUNICATION);
  disarm_faults();
  uint64_t address = 0, size = 0;
  EXPECT_EQ(c.rsc_table(address, size), TEEC_SUCCESS);  // still LOADED
  ASSERT_EQ(c.start(), TEEC_SUCCESS);
  arm_fault(FaultPoint::kMessage, 0);
  EXPECT_EQ(c.stop(), TEEC_ERROR_COMMUNICATION);
  disarm_faults();
  EXPECT_TRUE(memory_holds_exactly(m, image));  // still running the signed bytes
  ASSERT_EQ(c.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m.memories_zero());
  ASSERT_EQ(c.load(image), TEEC_SUCCESS);
  arm_fault(FaultPoint::kMessage, 0);
  EXPECT_EQ(c.release(), TEEC_ERROR_COMMUNICATION);
  disarm_faults();
  EXPECT_TRUE(memory_holds_exactly(m, image));
  ASSERT_EQ(c.release(), TEEC_SUCCESS);
  EXPECT_TRUE(m.memories_zero());
  EXPECT_TRUE(StateIsOff(c));
}

TEST(TaFaultInjectionAround, ACoreThatCannotStartLeavesTheVerifiedImageLoaded) {
  // The platform service fails to release the core: START answers GENERIC, the image stays
  // LOADED byte for byte and nothing runs; the retried START works.
  MachineUnderTest m(TransportKind::kInProcess);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  const Bytes image = demo_image(4096);
  ASSERT_EQ(c.load(image), TEEC_SUCCESS);
  arm_fault(FaultPoint::kCoreStart, 0);
  EXPECT_EQ(c.start(), TEEC_ERROR_GENERIC);
  EXPECT_EQ(fault_events(FaultPoint::kCoreStart), 1u);
  disarm_faults();
  EXPECT_FALSE(m.machine().soc().core(0).running());
  EXPECT_TRUE(memory_holds_exactly(m, image));
  ASSERT_EQ(c.start(), TEEC_SUCCESS);
  EXPECT_TRUE(m.machine().soc().core(0).running());
  ASSERT_EQ(c.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m.memories_zero());
}

std::string point_param_name(FaultPoint p) {
  switch (p) {
    case FaultPoint::kMemoryWrite:
      return "MemoryWrite";
    case FaultPoint::kMapping:
      return "Mapping";
    case FaultPoint::kHash:
      return "Hash";
    case FaultPoint::kMessage:
      return "Message";
    case FaultPoint::kCoreStart:
      return "CoreStart";
    case FaultPoint::kCount:
      break;
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(
    Points, TaFaultInjection,
    ::testing::Combine(::testing::Values(FaultPoint::kMemoryWrite, FaultPoint::kMapping,
                                         FaultPoint::kHash, FaultPoint::kMessage),
                       ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket)),
    [](const auto& p) {
      return point_param_name(std::get<0>(p.param)) + "_" + transport_name(std::get<1>(p.param));
    });

}  // namespace
}  // namespace rproctee::test
