#include "image/header.hpp"

#include <gtest/gtest.h>

#include "common/byte_reader.hpp"
#include "image/format.hpp"

namespace rproctee::image {
namespace {

std::vector<uint8_t> header(uint32_t magic, uint32_t version, uint32_t tlv, uint32_t sign,
                            uint32_t img) {
  ByteWriter w;
  write_header(w, ImageHeader{magic, version, tlv, sign, img});
  return w.take();
}

uint64_t expected_size(uint32_t tlv, uint32_t sign, uint32_t img) {
  return 20 + round_up8(tlv) + round_up8(sign) + round_up8(img);
}

TEST(Header, LayoutOfAValidHeader) {
  auto h = header(kMagic, 1, 216, 256, 9384);
  auto l = parse_header(h, 9876);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->tlv_offset, 20u);
  EXPECT_EQ(l->sig_offset, 236u);
  EXPECT_EQ(l->images_offset, 492u);
  EXPECT_EQ(l->signed_size(), 236u);
  EXPECT_EQ(l->total_size, 9876u);
}

TEST(Header, SizeMismatchNamesBothSizes) {
  auto h = header(kMagic, 1, 216, 256, 9384);
  auto longer = parse_header(h, 9880);
  ASSERT_FALSE(longer);
  EXPECT_EQ(longer.error().code, TeeCode::kBadParameters);
  EXPECT_EQ(longer.error().message, "file is 4 bytes longer than the header says (9880 vs 9876)");
  auto shorter = parse_header(h, 9000);
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.error().message,
            "file is 876 bytes shorter than the header says (9000 vs 9876)");
}

TEST(Header, RejectsBadMagicVersionAndZeroLengths) {
  struct Case {
    std::vector<uint8_t> bytes;
    const char* needle;
  };
  const Case cases[] = {
      {header(0x12345678, 1, 8, 64, 8), "magic is 0x12345678"},
      {header(0x464C457F, 1, 8, 64, 8), "plain ELF file"},
      {header(kMagic, 2, 8, 64, 8), "version is 2"},
      {header(kMagic, 1, 0, 64, 8), "tlv_len is 0"},
      {header(kMagic, 1, 8, 0, 8), "sign_len is 0"},
      {header(kMagic, 1, 8, 64, 0), "img_len is 0"},
      {header(kMagic, 1, kMaxTlvLen + 8, 64, 8), "tlv_len is 0x100008"},
      {header(kMagic, 1, 8, 2048, 8), "sign_len is 0x800"},
  };
  for (const auto& c : cases) {
    auto r = parse_header(c.bytes, 1 << 20);
    ASSERT_FALSE(r) << c.needle;
    EXPECT_EQ(r.error().code, TeeCode::kBadParameters);
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << r.error().message;
  }
}

TEST(Header, HugeLengthsDoNotWrap) {
  // Upstream computed ROUNDUP_64 in 32 bits: 0xFFFFFFF9 rounded to 0 and passed (weakness 4).
  for (uint32_t tlv = 0xFFFFFFF9u; tlv != 0; ++tlv) {
    auto r = parse_header(header(kMagic, 1, tlv, 256, 8), 20 + 8 + 256 + 8);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, TeeCode::kBadParameters);
  }
  auto r = parse_header(header(kMagic, 1, 8, 256, 0xFFFFFFF9u),
                        expected_size(8, 256, 0xFFFFFFF9u) - (1ull << 32));
  EXPECT_FALSE(r);
}

TEST(Header, ShortBuffer) {
  const std::vector<uint8_t> b(12);
  auto r = parse_header(b, 12);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("smaller than the 20-byte header"), std::string::npos);
}

}  // namespace
}  // namespace rproctee::image
