#include "image/resource_table.hpp"

#include <gtest/gtest.h>

#include "support/image_crafting.hpp"
#include "support/rsc_builder.hpp"

namespace rproctee::image {
namespace {

using test::put_u32;
using test::RscTableBuilder;

TEST(ResourceTable, ParsesEveryEntryType) {
  RscTableBuilder b;
  b.add_carveout(0x10000000, 0x10000000, 0x1000, 0, "vdev0buffer");
  b.add_devmem(0x40000000, 0x40000000, 0x100, 1, "mmio");
  b.add_trace(0x80a00400, 0x400, "cm33_trace");
  b.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0x812F9000, 16, 16, 1}}, 8);
  b.add_raw(200, {1, 2, 3, 4});
  const auto bytes = b.build();
  auto t = parse_resource_table(bytes);
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->entries.size(), 5u);
  const auto& c = std::get<RscCarveout>(t->entries[0].body);
  EXPECT_EQ(c.name, "vdev0buffer");
  EXPECT_EQ(c.len, 0x1000u);
  EXPECT_EQ(std::get<RscDevmem>(t->entries[1].body).flags, 1u);
  EXPECT_EQ(std::get<RscTrace>(t->entries[2].body).da, 0x80a00400u);
  const auto& v = std::get<RscVdev>(t->entries[3].body);
  EXPECT_EQ(v.id, 7u);
  ASSERT_EQ(v.vrings.size(), 2u);
  EXPECT_EQ(v.vrings[1].da, 0x812F9000u);
  EXPECT_EQ(v.config_len, 8u);
  EXPECT_EQ(bytes[v.status_offset], 0);
  EXPECT_EQ(rsc_type_name(t->entries[4].type), "vendor");
}

struct Corruption {
  const char* name;
  size_t offset;
  uint32_t value;
  const char* needle;
};

TEST(ResourceTable, RejectsEveryStructuralDefect) {
  RscTableBuilder b;
  b.add_trace(0x80a00400, 0x400, "trace");  // offset 24 (16 + 2*4)
  b.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0);  // offset 72
  const auto good = b.build();
  ASSERT_TRUE(parse_resource_table(good));
  const Corruption cases[] = {
      {"version", 0, 2, "version is 2"},
      {"num", 4, 1000, "has num 1000 entries"},
      {"reserved", 8, 1, "reserved words are 0x1"},
      {"offset in header", 16, 8, "outside the entry area [0x18"},
      {"offset past end", 16, 0x10000, "outside the entry area"},
      {"trace reserved", 24 + 12, 5, "reserved field is 0x5"},
      {"vring num 0", 72 + 28 + 8, 0, "vring 0 has num 0"},
      {"vring align 0", 72 + 28 + 20 + 4, 0, "vring 1 has num 16 and align 0"},
      {"config past end", 72 + 20, 64, "config_len 64 runs past"},
  };
  for (const auto& c : cases) {
    auto bad = good;
    put_u32(bad, c.offset, c.value);
    auto t = parse_resource_table(bad);
    ASSERT_FALSE(t) << c.name;
    EXPECT_EQ(t.error().code, TeeCode::kBadFormat);
    EXPECT_NE(t.error().message.find(c.needle), std::string::npos)
        << c.name << ": " << t.error().message;
  }
}

TEST(ResourceTable, VdevLimits) {
  auto three = RscTableBuilder().add_vdev(7, 0, 1, {{}, {}, {}}, 0).build();
  auto t = parse_resource_table(three);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("vdev has 3 vrings, at most 2"), std::string::npos);

  auto reserved = RscTableBuilder().add_vdev(7, 0, 1, {{}, {}}, 0).build();
  reserved[16 + 4 + 26] = 1;  // vdev reserved[0]
  t = parse_resource_table(reserved);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("vdev reserved bytes are 0x1"), std::string::npos);
}

TEST(ResourceTable, EntryTruncatedByTheTableEnd) {
  auto bytes = RscTableBuilder().add_carveout(0, 0, 0, 0, "x").build();
  bytes.resize(bytes.size() - 1);
  auto t = parse_resource_table(bytes);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("runs past the"), std::string::npos);
  EXPECT_FALSE(parse_resource_table(std::vector<uint8_t>(12, 0)));
}

TEST(ResourceTable, EmptyTableIsValid) {
  auto t = parse_resource_table(RscTableBuilder().build());
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->entries.empty());
}

TEST(ResourceTable, NamesStopAtNulOrAt32Bytes) {
  auto t = parse_resource_table(RscTableBuilder().add_trace(0, 1, std::string(40, 'a')).build());
  ASSERT_TRUE(t);
  EXPECT_EQ(std::get<RscTrace>(t->entries[0].body).name.size(), 32u);
}

}  // namespace
}  // namespace rproctee::image
