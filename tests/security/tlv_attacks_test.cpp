// security.md attack class 7: TLV areas that are correctly signed (re-signed with the test key
// after the change) but not canonical or inconsistent. The walk (H4) must reject trailing
// bytes, overruns, non-zero padding and duplicates with BAD_FORMAT; the decoding must reject
// wrong lengths and values with the codes of image-format.md (BAD_PARAMETERS, NO_DATA,
// BAD_FORMAT, NOT_SUPPORTED), all from the "TLVs" check. The rows: tlv_attacks()
// (security/attack_cases.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "image/format.hpp"
#include "security/attack_cases.hpp"

namespace rproctee::test {
namespace {

using namespace attack;  // NOLINT(google-build-using-namespace)
namespace tlv = image::tlv;

/// Re-signs `raw` with rsa2048 and verifies it with rsa2048.
image::VerifyReport resign_verify(const RawImage& raw) {
  return verify_with(resign(raw, test_key("rsa2048")), test_key("rsa2048"));
}

class TlvAttacks : public ::testing::TestWithParam<ImageAttack> {};

TEST_P(TlvAttacks, Rejected) {
  EXPECT_TRUE(RejectedOffline(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Class7, TlvAttacks, ::testing::ValuesIn(tlv_attacks()),
                         [](const auto& p) { return p.param.name; });

TEST(TlvAttack, ResignedUnchangedImagesAreAuthentic) {
  // Control: decompose + resign alone never causes a rejection.
  EXPECT_TRUE(Authentic(resign_verify(decompose(signed_single()))));
  EXPECT_TRUE(Authentic(resign_verify(decompose(signed_multi()))));
}

TEST(TlvAttack, TlvOrderIsFree) {
  // Control: the reference signers use two orders; any order of unique TLVs is canonical.
  RawImage raw = decompose(signed_multi());
  std::reverse(raw.tlvs.begin(), raw.tlvs.end());
  EXPECT_TRUE(Authentic(resign_verify(raw)));
}

TEST(TlvAttack, KeyInfoAndUnknownPlatformTlvsAreExposedNotTrusted) {
  // Control: PKEYINFO and platform TLVs outside the known names are accepted and reported.
  RawImage raw = decompose(signed_single());
  raw.tlvs.emplace_back(tlv::kPKeyInfo, std::vector<uint8_t>{'k', 'i'});
  raw.tlvs.emplace_back(0x1FFFF, le32(0xDEADBEEF));
  const auto file = resign(raw, test_key("rsa2048"));  // the report's spans point into it
  const auto report = verify_with(file, test_key("rsa2048"));
  ASSERT_TRUE(Authentic(report));
  ASSERT_TRUE(report.tlvs && report.tlvs->key_info);
  EXPECT_EQ(std::vector<uint8_t>(report.tlvs->key_info->begin(), report.tlvs->key_info->end()),
            (std::vector<uint8_t>{'k', 'i'}));
  ASSERT_NE(report.tlvs->find_platform(0x1FFFF), nullptr);
  EXPECT_EQ(report.key_index, 0u);
}

}  // namespace
}  // namespace rproctee::test
