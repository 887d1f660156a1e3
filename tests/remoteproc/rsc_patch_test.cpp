// The typed resource-table writes of the normal world (remoteproc/rsc_patch.hpp): each goes to
// the field the parser located, little-endian; an address with bits above 32 is refused with
// EOVERFLOW and nothing is written (Linux would cut it to 32 bits); a field outside the table is
// EINVAL.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "image/resource_table.hpp"
#include "remoteproc/rsc_patch.hpp"
#include "support/rsc_builder.hpp"

namespace rproctee::test {
namespace {

using remoteproc::set_memory_addresses;
using remoteproc::set_vdev_status;
using remoteproc::set_vring_da;
using remoteproc::vdev_status;
using Bytes = std::vector<uint8_t>;

Bytes demo_table() {
  return RscTableBuilder()
      .add_carveout(0xFFFFFFFF, 0xFFFFFFFF, 0x1000, 0, "ipc")
      .add_trace(0x10001000, 0x100, "trace")
      .add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0)
      .build();
}

image::ResourceTable parse(const Bytes& table) {
  auto parsed = image::parse_resource_table(table);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return *parsed;
}

TEST(RprocRscPatch, CarveoutAddressesAreWrittenIntoTheirFields) {
  Bytes table = demo_table();
  const auto before = parse(table);
  ASSERT_TRUE(set_memory_addresses(table, before.entries[0], 0x10000000, 0x38000000));
  const auto after = parse(table);
  const auto& c = std::get<image::RscCarveout>(after.entries[0].body);
  EXPECT_EQ(c.da, 0x10000000u);
  EXPECT_EQ(c.pa, 0x38000000u);
  EXPECT_EQ(c.len, 0x1000u);  // the neighbours are untouched
  EXPECT_EQ(c.name, "ipc");
}

TEST(RprocRscPatch, AnAddressAbove32BitsIsRefusedNotTruncated) {
  Bytes table = demo_table();
  const Bytes original = table;
  const auto t = parse(table);
  const auto& vdev = std::get<image::RscVdev>(t.entries[2].body);

  // 0x1_1000_0000 would be 0x1000_0000 cut to 32 bits: a different, valid-looking address.
  auto vring = set_vring_da(table, vdev.vrings[1], 0x110000000);
  ASSERT_FALSE(vring);
  EXPECT_EQ(vring.error().errnum, EOVERFLOW);
  EXPECT_EQ(vring.error().code(), -EOVERFLOW);
  EXPECT_EQ(vring.error().message,
            "EOVERFLOW: vring da 0x110000000 does not fit the resource table's 32-bit field");

  // Either address of a carveout: neither is written.
  auto pa = set_memory_addresses(table, t.entries[0], 0x10000000, uint64_t{1} << 32);
  ASSERT_FALSE(pa);
  EXPECT_EQ(pa.error().errnum, EOVERFLOW);
  EXPECT_NE(pa.error().message.find("pa 0x100000000"), std::string::npos) << pa.error().message;
  auto da = set_memory_addresses(table, t.entries[0], UINT64_MAX, 0x10000000);
  ASSERT_FALSE(da);
  EXPECT_NE(da.error().message.find("da 0xffffffffffffffff"), std::string::npos);
  EXPECT_EQ(table, original);

  // The largest 32-bit address is fine.
  ASSERT_TRUE(set_vring_da(table, vdev.vrings[1], 0xFFFFF000));
  EXPECT_EQ(std::get<image::RscVdev>(parse(table).entries[2].body).vrings[1].da, 0xFFFFF000u);
}

TEST(RprocRscPatch, FieldsOutsideTheTableAreRefused) {
  Bytes table = demo_table();
  const auto t = parse(table);
  image::RscVring far = std::get<image::RscVdev>(t.entries[2].body).vrings[0];
  far.offset = static_cast<uint32_t>(table.size() - 2);  // da would straddle the end
  auto r = set_vring_da(table, far, 0x10040000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errnum, EINVAL);
  EXPECT_NE(r.error().message.find("outside the"), std::string::npos) << r.error().message;
  far.offset = UINT32_MAX;
  EXPECT_FALSE(set_vring_da(table, far, 0x10040000));
  EXPECT_EQ(table, demo_table());
  // A trace entry has no addresses to assign.
  auto trace = set_memory_addresses(table, t.entries[1], 0x1000, 0x1000);
  ASSERT_FALSE(trace);
  EXPECT_EQ(trace.error().errnum, EINVAL);
  EXPECT_NE(trace.error().message.find("is a trace"), std::string::npos);
}

TEST(RprocRscPatch, VdevStatusIsReadAndWrittenAtItsByte) {
  Bytes table = demo_table();
  const auto t = parse(table);
  const auto& vdev = std::get<image::RscVdev>(t.entries[2].body);
  EXPECT_EQ(vdev_status(table, vdev), 0);
  ASSERT_TRUE(set_vdev_status(table, vdev, 7));
  EXPECT_EQ(table[vdev.status_offset], 7);
  EXPECT_EQ(vdev_status(table, vdev), 7);
  EXPECT_EQ(std::get<image::RscVdev>(parse(table).entries[2].body).status, 7);
  // A table shorter than the entry (the loaded copy gone): nothing read or written.
  Bytes short_table(table.begin(), table.begin() + vdev.status_offset);
  EXPECT_EQ(vdev_status(short_table, vdev), 0);
  EXPECT_FALSE(set_vdev_status(short_table, vdev, 1));
}

}  // namespace
}  // namespace rproctee::test
