// security.md attack class 11 (H12) against the trusted application: a platform whose
// secure-world node says `anti-rollback;` for processor 0 (the STM32MP25 preset source with that
// one property added), counters persisted in a state directory. The security version travels
// in the signed platform TLV 0x10003 (4-byte little-endian). With 5 stored: version 4 and an
// image without the TLV are refused (SECURITY) and leave the stored value alone; 5 and 6 load;
// the stored value only advances after LOAD + START; it survives the machine; a tampered
// rollback.bin makes every LOAD fail closed with CORRUPT_OBJECT.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ta_attack_support.hpp"

namespace rproctee::test {
namespace {

using namespace ta_attack;  // NOLINT(google-build-using-namespace)
using Bytes = std::vector<uint8_t>;

constexpr uint32_t kVersionTlv = 0x10003;
/// TEE_ERROR_CORRUPT_OBJECT (an Internal API code: not in the client API header).
constexpr TEEC_Result kCorruptObject = static_cast<TEEC_Result>(TeeCode::kCorruptObject);

/// The STM32MP25 preset with anti-rollback on for processor 0.
std::string rollback_dts() {
  return dts_from(replace_once(stm32mp25_dtsi(), "rollback-tlv = <0x10003>;",
                               "rollback-tlv = <0x10003>;\n\t\t\tanti-rollback;"),
                  "rproctee test STM32MP25 with anti-rollback");
}

/// The demo firmware carrying security version `version` (none: no version TLV), signed.
Bytes versioned(std::optional<uint32_t> version, size_t code_size = 4096) {
  SignOptions options;
  if (version) options.platform.push_back({kVersionTlv, le32(*version)});
  return demo_image(code_size, "rsa2048", options);
}

/// The version stored for processor 0 in `dir`/rollback.bin (nullopt: no file or no entry).
/// Layout: magic, count, {processor, version} * count, HMAC-SHA256.
std::optional<uint32_t> stored_version(const std::filesystem::path& dir) {
  const auto file = dir / "rollback.bin";
  if (!std::filesystem::exists(file)) return std::nullopt;
  const Bytes b = read_bytes(file);
  if (b.size() < 8 + 32) return std::nullopt;
  const uint32_t count = get_u32(b, 4);
  for (uint32_t i = 0; i < count && 8 + 8 * size_t{i} + 8 <= b.size() - 32; ++i)
    if (get_u32(b, 8 + 8 * size_t{i}) == 0) return get_u32(b, 12 + 8 * size_t{i});
  return std::nullopt;
}

class TaRollback : public ::testing::TestWithParam<TransportKind> {
 protected:
  MachineConfig config() const {
    MachineConfig c;
    c.dts = rollback_dts();
    c.state_dir = dir_.path().string();
    return c;
  }
  /// LOAD + START + STOP of `image`: the version it carries is committed.
  static void RunOnce(MachineUnderTest& m, RprocClient& c, const Bytes& image) {
    ASSERT_EQ(c.load(image), TEEC_SUCCESS) << c.last_error();
    ASSERT_TRUE(memory_holds_exactly(m, image));
    ASSERT_EQ(c.start(), TEEC_SUCCESS) << c.last_error();
    ASSERT_EQ(c.stop(), TEEC_SUCCESS) << c.last_error();
    ASSERT_TRUE(m.memories_zero());
  }
  TempDir dir_;
};

TEST_P(TaRollback, TheDescriptionTurnsAntiRollbackOn) {
  MachineUnderTest m(GetParam(), config());
  const auto* p = m.machine().description().secure.processor(0);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->anti_rollback);
  EXPECT_EQ(p->rollback_tlv, kVersionTlv);
}

TEST_P(TaRollback, OlderOrMissingVersionsAreRefusedAndTheStoredValueOnlyAdvancesOnStart) {
  MachineUnderTest m(GetParam(), config());
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  EXPECT_FALSE(stored_version(dir_.path()).has_value());
  ASSERT_NO_FATAL_FAILURE(RunOnce(m, c, versioned(5)));
  ASSERT_EQ(stored_version(dir_.path()), 5u);
  const Bytes file_at_5 = read_bytes(dir_.path() / "rollback.bin");

  // Version 4: refused, nothing stored changes.
  EXPECT_TRUE(LoadRejected(m, c, versioned(4), TEEC_ERROR_SECURITY,
                           "security version 4 is below the stored 5 (rollback refused)"));
  EXPECT_TRUE(LoadRejected(m, c, versioned(0), TEEC_ERROR_SECURITY,
                           "security version 0 is below the stored 5 (rollback refused)"));
  // No version TLV at all: refused.
  EXPECT_TRUE(LoadRejected(m, c, versioned(std::nullopt), TEEC_ERROR_SECURITY,
                           "but the image has no security version TLV 0x10003"));
  // A version TLV that is not 4 bytes: refused.
  {
    SignOptions options;
    options.platform.push_back({kVersionTlv, Bytes{6, 0}});
    EXPECT_TRUE(LoadRejected(m, c, demo_image(4096, "rsa2048", options), TEEC_ERROR_BAD_PARAMETERS,
                             "is 2 bytes long, expected a 4-byte value"));
  }
  EXPECT_EQ(read_bytes(dir_.path() / "rollback.bin"), file_at_5);

  // 5 and 6 load; LOAD alone (then RELEASE) of 6 and 7 does not advance anything.
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, versioned(5)));
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, versioned(6)));
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, versioned(7)));
  EXPECT_EQ(stored_version(dir_.path()), 5u);
  EXPECT_EQ(read_bytes(dir_.path() / "rollback.bin"), file_at_5);
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, versioned(5)));  // 7 was never committed

  // LOAD + START of 6 commits 6: now 5 is a rollback.
  ASSERT_NO_FATAL_FAILURE(RunOnce(m, c, versioned(6)));
  EXPECT_EQ(stored_version(dir_.path()), 6u);
  EXPECT_TRUE(LoadRejected(m, c, versioned(5), TEEC_ERROR_SECURITY,
                           "security version 5 is below the stored 6 (rollback refused)"));
  EXPECT_EQ(stored_version(dir_.path()), 6u);
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, versioned(6)));
}

TEST_P(TaRollback, TheStoredVersionSurvivesTheMachine) {
  {
    MachineUnderTest m(GetParam(), config());
    RprocClient c(m.tee_name());
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
    ASSERT_NO_FATAL_FAILURE(RunOnce(m, c, versioned(5)));
    // A LOAD of 9 that is never started must not be remembered either.
    ASSERT_EQ(c.load(versioned(9)), TEEC_SUCCESS);
  }  // the machine goes away with 9 loaded: its TA stops and wipes, nothing is committed
  ASSERT_EQ(stored_version(dir_.path()), 5u);
  MachineUnderTest m(GetParam(), config());
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  EXPECT_TRUE(LoadRejected(m, c, versioned(4), TEEC_ERROR_SECURITY,
                           "security version 4 is below the stored 5 (rollback refused)"));
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, versioned(5)));
  EXPECT_EQ(stored_version(dir_.path()), 5u);
}

TEST_P(TaRollback, ATamperedCounterFileFailsClosed) {
  {
    MachineUnderTest m(GetParam(), config());
    RprocClient c(m.tee_name());
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
    ASSERT_NO_FATAL_FAILURE(RunOnce(m, c, versioned(5)));
  }
  const auto file = dir_.path() / "rollback.bin";
  const Bytes good = read_bytes(file);
  ASSERT_EQ(good.size(), 8u + 8u + 32u);

  struct Tamper {
    std::string name;
    Bytes bytes;
  };
  std::vector<Tamper> tampers;
  {
    Bytes lower = good;  // the attacker lowers the version to 1 without the device key
    put_u32(lower, 12, 1);
    tampers.push_back({"version lowered", lower});
  }
  {
    Bytes flipped = good;
    flipped.back() ^= 1;  // a bit of the HMAC
    tampers.push_back({"HMAC bit", flipped});
  }
  tampers.push_back({"truncated", Bytes(good.begin(), good.begin() + 20)});
  tampers.push_back({"emptied", Bytes{}});
  {
    Bytes count = good;  // claims two entries
    put_u32(count, 4, 2);
    tampers.push_back({"count", count});
  }
  for (const Tamper& t : tampers) {
    SCOPED_TRACE(t.name);
    write_bytes(file, t.bytes);
    MachineUnderTest m(GetParam(), config());
    RprocClient c(m.tee_name());
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
    // Every LOAD fails closed, whatever the version, and the file is left as found.
    for (uint32_t v : {1u, 5u, 6u}) {
      EXPECT_TRUE(LoadRejected(m, c, versioned(v), kCorruptObject,
                               "platform service refused to read the anti-rollback counter"))
          << "version " << v;
    }
    EXPECT_EQ(read_bytes(file), t.bytes);
  }
  // The untouched file is trusted again.
  write_bytes(file, good);
  MachineUnderTest m(GetParam(), config());
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  EXPECT_TRUE(LoadRejected(m, c, versioned(4), TEEC_ERROR_SECURITY,
                           "security version 4 is below the stored 5"));
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, versioned(5)));
}

TEST_P(TaRollback, DeletingTheCounterFileDoesNotResetIt) {
  {
    MachineUnderTest m(GetParam(), config());
    RprocClient c(m.tee_name());
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
    ASSERT_NO_FATAL_FAILURE(RunOnce(m, c, versioned(5)));
  }
  std::filesystem::remove(dir_.path() / "rollback.bin");
  MachineUnderTest m(GetParam(), config());
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  EXPECT_TRUE(LoadRejected(m, c, versioned(4), kCorruptObject,
                           "platform service refused to read the anti-rollback counter"));
}

TEST_P(TaRollback, AnotherDeviceKeyMakesTheFileUntrusted) {
  {
    MachineUnderTest m(GetParam(), config());
    RprocClient c(m.tee_name());
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
    ASSERT_NO_FATAL_FAILURE(RunOnce(m, c, versioned(5)));
  }
  // A counter file copied from another device (another key) is not trusted.
  write_bytes(dir_.path() / "device.key", Bytes(32, 0x42));
  MachineUnderTest m(GetParam(), config());
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  EXPECT_TRUE(LoadRejected(m, c, versioned(5), kCorruptObject,
                           "platform service refused to read the anti-rollback counter"));
}

TEST_P(TaRollback, WithoutThePolicyVersionsAreIgnored) {
  // Control: on the plain preset an old or missing version loads.
  MachineUnderTest m(GetParam());
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  ASSERT_NO_FATAL_FAILURE(RunOnce(m, c, versioned(5)));
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, versioned(4)));
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, versioned(std::nullopt)));
}

INSTANTIATE_TEST_SUITE_P(Transports, TaRollback,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);

}  // namespace
}  // namespace rproctee::test
