#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rproctee::image {
namespace {

TEST(ByteReader, LoadsLittleEndianInsideTheBuffer) {
  const std::vector<uint8_t> b = {0x68, 0xa4, 0x43, 0x35, 0x01, 0x02};
  ByteReader in(b, "header", TeeCode::kBadParameters);
  EXPECT_EQ(*in.u32(0, "magic"), 0x3543A468u);
  EXPECT_EQ(*in.u16(4, "x"), 0x0201);
  EXPECT_EQ(*in.u8(5, "y"), 0x02);
  EXPECT_EQ(in.bytes(2, 4, "z")->size(), 4u);
}

TEST(ByteReader, OutOfRangeNamesFieldOffsetAndSize) {
  const std::vector<uint8_t> b(6);
  ByteReader in(b, "resource table", TeeCode::kBadFormat);
  auto r = in.u32(4, "offset[1]");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TeeCode::kBadFormat);
  EXPECT_EQ(r.error().message,
            "resource table: offset[1] at offset 0x4 (4 bytes) ends past the end of the 6-byte "
            "resource table");
}

TEST(ByteReader, RangeChecksNeverOverflow) {
  const std::vector<uint8_t> b(16);
  ByteReader in(b, "x", TeeCode::kBadFormat);
  EXPECT_FALSE(in.contains(UINT64_MAX, 1));
  EXPECT_FALSE(in.contains(8, UINT64_MAX - 4));
  EXPECT_FALSE(in.bytes(0xFFFFFFFF, 0xFFFFFFFF, "x"));
  EXPECT_TRUE(in.contains(16, 0));
  EXPECT_FALSE(in.contains(17, 0));
  EXPECT_TRUE(range_fits(0, 16, 16));
  EXPECT_FALSE(range_fits(1, 16, 16));
}

TEST(ByteReader, RoundUp8CannotWrapFor32BitValues) {
  EXPECT_EQ(round_up8(0xFFFFFFF9u), 0x100000000ull);
  EXPECT_EQ(round_up8(0xFFFFFFFFu), 0x100000000ull);
  EXPECT_EQ(round_up8(8), 8u);
  EXPECT_EQ(round_up8(9), 16u);
}

TEST(ByteReader, SubReaderKeepsBounds) {
  const std::vector<uint8_t> b = {1, 2, 3, 4, 5, 6, 7, 8};
  ByteReader in(b, "outer", TeeCode::kBadFormat);
  auto sub = in.sub(4, 4, "inner");
  ASSERT_TRUE(sub);
  EXPECT_EQ(*sub->u8(0, "a"), 5);
  EXPECT_FALSE(sub->u8(4, "b"));
  EXPECT_FALSE(in.sub(6, 4, "too long"));
}

TEST(StoreLe, WritesLittleEndianInsideAnExistingBufferOnly) {
  std::vector<uint8_t> b(8, 0xEE);
  ASSERT_TRUE(store_le(b, 1, uint32_t{0x11223344}));
  ASSERT_TRUE(store_le(b, 6, uint16_t{0xA1B2}));
  EXPECT_EQ(b, (std::vector<uint8_t>{0xEE, 0x44, 0x33, 0x22, 0x11, 0xEE, 0xB2, 0xA1}));
  // A field that would end past the buffer (or whose offset wraps) writes nothing.
  EXPECT_FALSE(store_le(b, 5, uint32_t{0}));
  EXPECT_FALSE(store_le(b, 8, uint8_t{0}));
  EXPECT_FALSE(store_le(b, SIZE_MAX - 1, uint32_t{0}));
  EXPECT_EQ(b, (std::vector<uint8_t>{0xEE, 0x44, 0x33, 0x22, 0x11, 0xEE, 0xB2, 0xA1}));
  ASSERT_TRUE(store_le(b, 0, uint64_t{0x0102030405060708}));
  EXPECT_EQ(b, (std::vector<uint8_t>{8, 7, 6, 5, 4, 3, 2, 1}));
}

}  // namespace
}  // namespace rproctee::image
