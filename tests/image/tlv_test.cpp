#include "image/tlv.hpp"

#include <gtest/gtest.h>

#include "common/byte_reader.hpp"
#include "image/format.hpp"

namespace rproctee::image {
namespace {

TEST(TlvWriter, PadsEachTlvTo8LikeTheReferenceSigner) {
  TlvWriter w;
  w.add_u8(tlv::kSignType, 1);  // 8 + 1 -> 16
  const uint8_t four[4] = {1, 2, 3, 4};
  w.add(tlv::kImgSize, four);  // 8 + 4 -> 16
  const std::vector<uint8_t> eight(8, 0xAA);
  w.add(0x10010, eight);  // 8 + 8 -> 16, no padding
  const auto b = w.take();
  ASSERT_EQ(b.size(), 48u);
  EXPECT_EQ(b[8], 1);
  EXPECT_EQ(std::vector<uint8_t>(b.begin() + 9, b.begin() + 16), std::vector<uint8_t>(7, 0));
}

TEST(WalkTlvs, DecodesEveryTlvInOrder) {
  TlvWriter w;
  w.add_u8(tlv::kSignType, 2);
  w.add_u8(tlv::kNumImg, 1);
  const auto area = w.take();
  std::vector<Tlv> out;
  ASSERT_TRUE(walk_tlvs(area, static_cast<uint32_t>(area.size()), out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, tlv::kSignType);
  EXPECT_EQ(out[1].offset, 16u);
  EXPECT_EQ(out[1].value[0], 1);
}

Status walk(const std::vector<uint8_t>& area, uint32_t tlv_len) {
  std::vector<Tlv> out;
  return walk_tlvs(area, tlv_len, out);
}

TEST(WalkTlvs, RejectsNonCanonicalAreas) {
  TlvWriter w;
  w.add_u8(tlv::kSignType, 1);
  auto area = w.take();

  auto trailing = area;
  trailing.resize(24, 0);  // 8 stray zero bytes: a TLV header of type 0, length 0 at the end
  // Type-0 TLV is structurally fine; unknown types are refused later by decode.
  EXPECT_TRUE(walk(trailing, 24));

  auto short_tail = area;
  short_tail.resize(24, 0);
  auto r = walk(short_tail, 20);  // 4 bytes left: too short for a TLV header
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("too short for a TLV header"), std::string::npos);

  auto overrun = area;
  overrun[4] = 9;  // length 9 runs past tlv_len 16
  r = walk(overrun, 16);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TeeCode::kBadFormat);
  EXPECT_NE(r.error().message.find("SIGNTYPE (0x1) at offset 0x0: length 9 runs 1 bytes past"),
            std::string::npos)
      << r.error().message;

  auto dirty = area;
  dirty[12] = 0xFF;  // padding byte
  r = walk(dirty, 16);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("padding after the value is not zero"), std::string::npos);

  TlvWriter dup;
  dup.add_u8(tlv::kSignType, 1);
  dup.add_u8(tlv::kSignType, 1);
  const auto twice = dup.take();
  r = walk(twice, 32);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("appears twice (offsets 0x0 and 0x10)"), std::string::npos);

  r = walk(area, 24);  // area size does not match RU8(tlv_len)
  EXPECT_FALSE(r);
}

TEST(WalkTlvs, KeepsWhatWasDecodedBeforeAnError) {
  TlvWriter w;
  w.add_u8(tlv::kSignType, 1);
  w.add_u8(tlv::kHashType, 1);
  auto area = w.take();
  area[16 + 4] = 200;  // second TLV overruns
  std::vector<Tlv> out;
  EXPECT_FALSE(walk_tlvs(area, 32, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, tlv::kSignType);
}

TEST(TlvNames, KnownAndPlatformTypes) {
  EXPECT_EQ(describe_tlv_type(tlv::kHashTable), "HASHTABLE (0x10)");
  EXPECT_EQ(describe_tlv_type(tlv::kEncTable), "ENCTABLE (0x12)");
  EXPECT_EQ(describe_tlv_type(tlv::kBootSec), "BOOTSEC (0x10002)");
  EXPECT_EQ(describe_tlv_type(0x10010), "0x10010");
  EXPECT_TRUE(is_platform_tlv(0x10000));
  EXPECT_TRUE(is_platform_tlv(0x1FFFF));
  EXPECT_FALSE(is_platform_tlv(0x20000));
}

}  // namespace
}  // namespace rproctee::image
