#include "image/signed_tlvs.hpp"

#include <gtest/gtest.h>

#include "support/image_crafting.hpp"
#include "support/test_data.hpp"

namespace rproctee::image {
namespace {

/// The TLVs of a freshly signed rsc.elf, as owned values.
test::RawImage raw_image() {
  const auto elf = test::read_bytes(test::vectors_dir() / "elf" / "rsc.elf");
  return test::decompose(test::sign_elfs({elf}, test::test_key("rsa2048")));
}

Result<SignedTlvs> decode(const test::RawImage& raw) {
  static std::vector<std::vector<uint8_t>> keep;  // values must outlive the spans
  std::vector<Tlv> tlvs;
  uint64_t offset = 0;
  for (const auto& [type, value] : raw.tlvs) {
    keep.push_back(value);
    tlvs.push_back(Tlv{type, offset, keep.back()});
    offset += 8 + value.size();
  }
  uint32_t img_len = 0;
  for (const auto& i : raw.images) img_len += static_cast<uint32_t>(i.size());
  return decode_signed_tlvs(tlvs, img_len);
}

TEST(SignedTlvs, DecodesAValidArea) {
  auto s = decode(raw_image());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->sign_type, SignType::kRsaPkcs1Sha256);
  EXPECT_EQ(s->image_types.size(), 1u);
  EXPECT_FALSE(s->encrypted);
  EXPECT_EQ(s->segments.size(), 2u);
  EXPECT_FALSE(s->boot_addr);
}

struct Mutation {
  const char* name;
  void (*apply)(test::RawImage&);
  TeeCode code;
  const char* needle;
};

TEST(SignedTlvs, EveryRuleHasItsCode) {
  const Mutation cases[] = {
      {"no SIGNTYPE", [](auto& r) { r.remove_tlv(tlv::kSignType); }, TeeCode::kBadParameters,
       "SIGNTYPE (0x1) is missing"},
      {"SIGNTYPE len 2", [](auto& r) { r.tlv(tlv::kSignType).push_back(0); },
       TeeCode::kBadParameters, "SIGNTYPE (0x1) is 2 bytes"},
      {"SIGNTYPE 3", [](auto& r) { r.tlv(tlv::kSignType)[0] = 3; }, TeeCode::kNotSupported,
       "SIGNTYPE is 3"},
      {"HASHTYPE 2", [](auto& r) { r.tlv(tlv::kHashType)[0] = 2; }, TeeCode::kBadParameters,
       "HASHTYPE is 2"},
      {"NUM_IMG 0", [](auto& r) { r.tlv(tlv::kNumImg)[0] = 0; }, TeeCode::kNoData, "NUM_IMG is 0"},
      {"NUM_IMG len 2", [](auto& r) { r.tlv(tlv::kNumImg).push_back(0); }, TeeCode::kBadFormat,
       "NUM_IMG (0x3) is 2 bytes"},
      {"NUM_IMG 2", [](auto& r) { r.tlv(tlv::kNumImg)[0] = 2; }, TeeCode::kBadParameters,
       "IMGTYPE is 1 bytes long but NUM_IMG is 2"},
      {"IMGTYPE 3", [](auto& r) { r.tlv(tlv::kImgType)[0] = 3; }, TeeCode::kBadFormat,
       "IMGTYPE of image 1 is 3"},
      {"IMGSIZE len", [](auto& r) { r.tlv(tlv::kImgSize).push_back(0); }, TeeCode::kBadParameters,
       "IMGSIZE is 5 bytes long"},
      {"IMGSIZE sum", [](auto& r) { r.tlv(tlv::kImgSize)[1] ^= 1; }, TeeCode::kBadParameters,
       "add up to"},
      {"IMGSIZE odd", [](auto& r) { r.tlv(tlv::kImgSize)[0] |= 1; }, TeeCode::kBadParameters,
       "non-zero multiple of 8"},
      {"no HASHTABLE", [](auto& r) { r.remove_tlv(tlv::kHashTable); }, TeeCode::kNoData,
       "HASHTABLE (0x10) is missing"},
      {"HASHTABLE 63", [](auto& r) { r.tlv(tlv::kHashTable).pop_back(); }, TeeCode::kBadParameters,
       "non-zero multiple of 64"},
      {"ENCTYPE on plain",
       [](auto& r) {
         r.tlvs.push_back({tlv::kEncType, {1}});
       },
       TeeCode::kBadFormat, "ENCTYPE is present"},
      {"unknown generic",
       [](auto& r) {
         r.tlvs.push_back({0x7, {1}});
       },
       TeeCode::kBadFormat, "TLV type 0x7"},
      {"beyond platform",
       [](auto& r) {
         r.tlvs.push_back({0x20000, {1}});
       },
       TeeCode::kBadFormat, "TLV type 0x20000"},
      {"BOOTADDR len 3",
       [](auto& r) {
         r.tlvs.push_back({tlv::kBootAddr, {1, 2, 3}});
       },
       TeeCode::kBadParameters, "BOOTADDR (0x10001) is 3 bytes"},
      {"BOOTSEC 2",
       [](auto& r) {
         r.tlvs.push_back({tlv::kBootSec, {2, 0, 0, 0}});
       },
       TeeCode::kBadParameters, "BOOTSEC is 2"},
      {"encrypted without ENCTABLE", [](auto& r) { r.tlv(tlv::kImgType)[0] = 2; },
       TeeCode::kBadFormat, "a HASHTABLE is present"},
  };
  for (const auto& c : cases) {
    auto raw = raw_image();
    c.apply(raw);
    auto s = decode(raw);
    ASSERT_FALSE(s) << c.name;
    EXPECT_EQ(s.error().code, c.code) << c.name << ": " << s.error().message;
    EXPECT_NE(s.error().message.find(c.needle), std::string::npos)
        << c.name << ": " << s.error().message;
  }
}

TEST(SignedTlvs, UnknownPlatformTlvsAndKeyInfoAreExposedNotTrusted) {
  auto raw = raw_image();
  raw.tlvs.push_back({tlv::kPKeyInfo, {9, 9}});
  raw.tlvs.push_back({0x1FFFF, {1, 2, 3, 4, 5}});
  auto s = decode(raw);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(s->key_info.has_value());
  EXPECT_EQ(s->key_info->size(), 2u);
  ASSERT_NE(s->find_platform(0x1FFFF), nullptr);
  EXPECT_EQ(s->find_platform(0x1FFFF)->value.size(), 5u);
}

TEST(SegmentTable, DecodesHashAndEncEntries) {
  std::vector<uint8_t> table(80, 0);
  table[0] = 1;      // PT_LOAD
  table[32] = 0xAB;  // digest
  table[64] = 0xCD;  // IV
  auto e = decode_segment_table(table, true);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 1u);
  EXPECT_EQ((*e)[0].phdr.type, 1u);
  EXPECT_EQ((*e)[0].digest[0], 0xAB);
  EXPECT_EQ((*(*e)[0].iv)[0], 0xCD);
  EXPECT_FALSE(decode_segment_table(table, false));  // 80 is not a multiple of 64
  EXPECT_FALSE(decode_segment_table({}, false));
}

}  // namespace
}  // namespace rproctee::image
