// MemoryRegion: wipes give the pages back to the kernel, and what every mapping of the memfd
// reads afterwards is zero; a fresh region (and a fresh machine) holds no page at all.
//
// Covered: wipe of a region with data through the host mapping and a second mapping of the
// same memfd (every byte, not only the pages SEEK_DATA reports), pages given back (no data
// extent left), a write after the wipe seen by both mappings; a fresh machine's memories hold
// no page until something writes them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <span>

#include "soc/memory_region.hpp"
#include "support/machine_fixture.hpp"

namespace rproctee::soc {
namespace {

constexpr uint64_t kSize = 256 * 1024;

bool all_zero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

struct TwoMappings {
  TwoMappings() {
    auto r = MemoryRegion::create("wipe_test", 0x10000000, kSize);
    EXPECT_TRUE(r) << r.error().message;
    host.emplace(std::move(*r));
    auto other = MemoryRegion::attach("wipe_test_2", 0x10000000, kSize, ::dup(host->fd()));
    EXPECT_TRUE(other) << other.error().message;
    second.emplace(std::move(*other));
  }
  std::optional<MemoryRegion> host, second;
};

TEST(MemoryRegion, WipeReadsZeroThroughEveryMappingOfTheMemfd) {
  TwoMappings m;
  auto bytes = m.host->all();
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 1);
  ASSERT_EQ(m.second->all()[12345], static_cast<uint8_t>(12345 * 7 + 1));  // same pages
  ASSERT_FALSE(m.host->is_zero());

  m.host->wipe();

  // The pages went back to the kernel (holes read as zero), rather than being overwritten;
  // looked at first: reading a hole through a mapping may fault a zeroed page in.
  EXPECT_TRUE(m.host->data_extents().empty());
  EXPECT_TRUE(all_zero(m.host->all()));
  EXPECT_TRUE(all_zero(m.second->all()));
  EXPECT_TRUE(m.host->is_zero());
}

TEST(MemoryRegion, AWriteAfterAWipeIsSeenByEveryMapping) {
  TwoMappings m;
  std::fill_n(m.host->all().begin(), kSize, uint8_t{0xA5});
  m.host->wipe();
  m.second->all()[kSize - 1] = 0x5A;
  EXPECT_EQ(m.host->all()[kSize - 1], 0x5A);
  EXPECT_TRUE(all_zero(m.host->all().first(kSize - 1)));
  EXPECT_FALSE(m.host->is_zero());
}

TEST(MemoryRegion, AFreshRegionHoldsNoPage) {
  auto r = MemoryRegion::create("fresh", 0x20000000, kSize);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->data_extents().empty());
  EXPECT_TRUE(r->is_zero());
}

// Nothing touches the memories of a fresh machine (no populate, no zeroing pass): its first
// LOAD pays only for the pages it writes.
TEST(MemoryRegion, AFreshMachineHoldsNoPageOfItsMemories) {
  EXPECT_FALSE(machine::MachineOptions{}.populate);  // what `rproctee machine` runs with
  test::MachineUnderTest machine(test::TransportKind::kInProcess);
  auto& soc = machine.machine().soc();
  ASSERT_GT(soc.region_count(), 0u);
  for (size_t i = 0; i < soc.region_count(); ++i)
    EXPECT_TRUE(soc.region(i).data_extents().empty()) << soc.region(i).name();
}

}  // namespace
}  // namespace rproctee::soc
