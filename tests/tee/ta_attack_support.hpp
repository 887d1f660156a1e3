// Shared by the attack-class tests against the trusted application (tests/tee/ta_*_test.cpp):
// the assertions "LOAD_FW was rejected with this code, origin TRUSTED_APP, this reason, state
// OFF and memories zero" and "this image loads exactly", the standard signed inputs, the
// fixtures that run the rows of an attack table through LOAD_FW, and platform descriptions
// derived from the STM32MP25 preset source.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "common/tee_code.hpp"
#include "security/attack_support.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"

namespace rproctee::test::ta_attack {

/// The repository root (platforms/, keys/).
inline std::filesystem::path repo_root() {
  return vectors_dir().parent_path().parent_path().parent_path();
}

/// platforms/stm32mp25-m33.dtsi as text.
inline std::string stm32mp25_dtsi() {
  const auto bytes = read_bytes(repo_root() / "platforms" / "stm32mp25-m33.dtsi");
  return std::string(bytes.begin(), bytes.end());
}

/// Replaces the one occurrence of `from` in `text` (throws when absent: the preset changed).
inline std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos)
    throw std::runtime_error("the preset source no longer contains exactly one \"" +
                             std::string(from) + "\"");
  return text.replace(at, from.size(), to);
}

/// A complete device tree source from the text of the STM32MP25 .dtsi (possibly edited),
/// inlined: the test fixture compiles with dtc alone, without the C preprocessor.
inline std::string dts_from(const std::string& dtsi, std::string_view model = "rproctee test") {
  return fmt::format("/dts-v1/;\n{}\n/ {{\n\tmodel = \"{}\";\n}};\n", dtsi, model);
}

/// The demo firmware (code in cm33-firmware, data in cm33-data, resource table in ipc-shmem)
/// signed with `key`.
inline std::vector<uint8_t> demo_image(size_t code_size = 8192, const std::string& key = "rsa2048",
                                       const SignOptions& options = {}) {
  return sign_elfs({make_firmware(code_size, demo_resource_table())}, test_key(key), options);
}

/// The TA's state is OFF: START and GET_RSC_TABLE both answer BAD_STATE (origin TRUSTED_APP).
inline ::testing::AssertionResult StateIsOff(RprocClient& c) {
  uint32_t origin = 0;
  TEEC_Operation op{};
  const TEEC_Result start = c.invoke(2, op, &origin);  // START_FW
  if (start != TEEC_ERROR_BAD_STATE || origin != TEEC_ORIGIN_TRUSTED_APP)
    return ::testing::AssertionFailure() << fmt::format(
               "START answered {:#x} (origin {}), expected BAD_STATE: the state is "
               "not OFF",
               start, origin);
  uint64_t address = 0, size = 0;
  const TEEC_Result table = c.rsc_table(address, size);
  if (table != TEEC_ERROR_BAD_STATE)
    return ::testing::AssertionFailure()
           << fmt::format("GET_RSC_TABLE answered {:#x}, expected BAD_STATE", table);
  return ::testing::AssertionSuccess();
}

/// LOAD_FW of `image` is rejected with exactly `code`, origin TRUSTED_APP, a reason (the TA's
/// last error) containing `needle`; afterwards the state is OFF and every memory of the
/// processor is zero.
inline ::testing::AssertionResult LoadRejected(MachineUnderTest& m, RprocClient& c,
                                               std::span<const uint8_t> image, TEEC_Result code,
                                               std::string_view needle) {
  uint32_t origin = 0;
  const TEEC_Result r = c.load(image, &origin);
  const std::string reason = c.last_error();  // before START overwrites it
  if (r != code || origin != TEEC_ORIGIN_TRUSTED_APP)
    return ::testing::AssertionFailure() << fmt::format(
               "LOAD_FW answered {} ({:#x}) origin {}, expected {} ({:#x}) origin 4; "
               "TA says: {}",
               tee_code_name(static_cast<TeeCode>(r)), r, origin,
               tee_code_name(static_cast<TeeCode>(code)), code, reason);
  if (reason.find(needle) == std::string::npos)
    return ::testing::AssertionFailure()
           << "the TA's reason \"" << reason << "\" does not contain \"" << needle << "\"";
  const std::string tail = fmt::format("[{} {}]", tee_code_name(static_cast<TeeCode>(code)),
                                       tee_code_hex(static_cast<TeeCode>(code)));
  if (reason.rfind("LOAD_FW rejected: ", 0) != 0 || reason.find(tail) == std::string::npos)
    return ::testing::AssertionFailure()
           << "the TA's reason \"" << reason << "\" is not a LOAD_FW rejection ending in " << tail;
  if (auto off = StateIsOff(c); !off) return off;
  if (!m.memories_zero(c.processor()))
    return ::testing::AssertionFailure() << "a memory of the processor is not zero after the "
                                            "rejection";
  return ::testing::AssertionSuccess();
}

/// LOAD_FW of `image` succeeds, memory holds exactly its signed segments; then RELEASE_FW
/// wipes everything and the state is OFF again.
inline ::testing::AssertionResult LoadsExactlyThenReleases(MachineUnderTest& m, RprocClient& c,
                                                           std::span<const uint8_t> image) {
  uint32_t origin = 0;
  const TEEC_Result r = c.load(image, &origin);
  if (r != TEEC_SUCCESS || origin != TEEC_ORIGIN_TRUSTED_APP)
    return ::testing::AssertionFailure()
           << fmt::format("valid LOAD_FW answered {:#x} origin {}: {}", r, origin, c.last_error());
  if (!memory_holds_exactly(m, image, c.processor()))
    return ::testing::AssertionFailure() << "memory does not hold exactly the signed segments";
  if (const TEEC_Result rel = c.release(); rel != TEEC_SUCCESS)
    return ::testing::AssertionFailure() << fmt::format("RELEASE_FW answered {:#x}", rel);
  if (!m.memories_zero(c.processor()))
    return ::testing::AssertionFailure() << "memories not zero after RELEASE_FW";
  return StateIsOff(c);
}

/// A machine over one transport with a session open on processor 0 (after OpenSession).
class TaSession {
 protected:
  explicit TaSession(TransportKind transport, MachineConfig config = {})
      : m_(transport, std::move(config)), c_(m_.tee_name()) {}
  void OpenSession() {
    ASSERT_TRUE(c_.initialized());
    ASSERT_EQ(c_.open(0), TEEC_SUCCESS);
  }
  /// Rejected as LoadRejected says, and afterwards the demo image loads exactly (no state
  /// leaks from the rejected attempt).
  ::testing::AssertionResult RejectedThenRecovers(std::span<const uint8_t> image, TEEC_Result code,
                                                  std::string_view needle) {
    if (auto r = LoadRejected(m_, c_, image, code, needle); !r) return r;
    return LoadsExactlyThenReleases(m_, c_, demo_image());
  }
  /// The row's image rejected with the row's code and message, then the demo image loads.
  ::testing::AssertionResult RejectedThenRecovers(const attack::ImageAttack& attack) {
    const RawImage unchanged = decompose(attack.base());
    return RejectedThenRecovers(attack::attacked_file(attack, unchanged),
                                static_cast<TEEC_Result>(attack.code), attack.message(unchanged));
  }

  MachineUnderTest m_;
  RprocClient c_;
};

/// Parameterised by the transport.
class TaAttackFixture : public ::testing::TestWithParam<TransportKind>, protected TaSession {
 protected:
  explicit TaAttackFixture(MachineConfig config = {}) : TaSession(GetParam(), std::move(config)) {}
  void SetUp() override { OpenSession(); }
};

/// Parameterised by the transport and a row of an attack table (ta_attack_rows).
class TaAttackTable
    : public ::testing::TestWithParam<std::tuple<TransportKind, attack::ImageAttack>>,
      protected TaSession {
 protected:
  TaAttackTable() : TaSession(std::get<0>(GetParam())) {}
  void SetUp() override { OpenSession(); }
  const attack::ImageAttack& row() const { return std::get<1>(GetParam()); }
};

/// Every row of `rows` over both transports.
inline auto ta_attack_rows(const std::vector<attack::ImageAttack>& rows) {
  return ::testing::Combine(::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                            ::testing::ValuesIn(rows));
}

/// gtest names for ta_attack_rows: "InProcess_<row>", "Socket_<row>".
inline std::string ta_row_name(
    const ::testing::TestParamInfo<std::tuple<TransportKind, attack::ImageAttack>>& p) {
  return transport_name(std::get<0>(p.param)) + "_" + std::get<1>(p.param).name;
}

/// gtest parameter names for the two transports.
inline std::string transport_param_name(const ::testing::TestParamInfo<TransportKind>& p) {
  return transport_name(p.param);
}

}  // namespace rproctee::test::ta_attack
