// security.md attack class 12 (and the table structure of H9): the resource table. Its
// location comes from section headers, which are never signed, so most attacks change only
// unsigned bytes of a validly signed image; the structure attacks sign a malformed table (a
// signed table is not a trusted one). Expected: BAD_FORMAT; no section headers at all or a
// zero-sized table means "no table", not an error. The rows: resource_table_attacks()
// (security/attack_cases.cpp).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "security/attack_cases.hpp"
#include "support/elf_builder.hpp"

namespace rproctee::test {
namespace {

using namespace attack;  // NOLINT(google-build-using-namespace)

image::VerifyReport verify_raw(const RawImage& raw) {
  return verify_with(assemble_raw(raw), test_key("rsa2048"));
}

class ResourceTableAttacks : public ::testing::TestWithParam<ImageAttack> {};

TEST_P(ResourceTableAttacks, Rejected) {
  EXPECT_TRUE(RejectedOffline(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Class12, ResourceTableAttacks,
                         ::testing::ValuesIn(resource_table_attacks()),
                         [](const auto& p) { return p.param.name; });

TEST(ResourceTableAttack, UnmodifiedTableIsFoundAndParsed) {
  // The attacks' starting point: rsc.elf's .resource_table is section 3, at file offset
  // 0x2000 (0x8c bytes) at the start of segment 1 (0x80a00000).
  RawImage raw = decompose(signed_single());
  const size_t rsc = section_index(raw.images[0], ".resource_table");
  ASSERT_EQ(rsc, 3u);
  ASSERT_EQ(get_shdr(raw.images[0], rsc, Shdr::kOffset), 0x2000u);
  const auto report = verify_raw(raw);
  ASSERT_TRUE(Authentic(report));
  ASSERT_TRUE(report.images[0].rsc_location);
  EXPECT_EQ(report.images[0].rsc_location->address, 0x80A00000u);
  EXPECT_EQ(report.images[0].rsc_location->size, 0x8Cu);
  ASSERT_TRUE(report.images[0].rsc_table);
  EXPECT_EQ(report.images[0].rsc_table->entries.size(), 2u);
}

TEST(ResourceTableAttack, SecondFirmwareAloneHasAValidTable) {
  // Control for the TwoTablesAcrossImages rows: the image at 0x80000000 with its own table at
  // 0x80080000 is valid alone (its table is the second because rsc.elf has one too).
  const auto report = verify_with(sign_elfs({second_firmware_with_table()}, test_key("rsa2048")),
                                  test_key("rsa2048"));
  ASSERT_TRUE(Authentic(report));
  ASSERT_TRUE(report.images[0].rsc_location);
  EXPECT_EQ(report.images[0].rsc_location->address, 0x80080000u);
}

TEST(ResourceTableAttack, ZeroSizedTableMeansNoTable) {
  RawImage raw = decompose(signed_single());
  set_shdr(raw.images[0], section_index(raw.images[0], ".resource_table"), Shdr::kSize, 0);
  const auto report = verify_raw(raw);
  ASSERT_TRUE(Authentic(report));
  EXPECT_FALSE(report.images[0].rsc_location);
  EXPECT_FALSE(report.images[0].rsc_table);
}

TEST(ResourceTableAttack, DemoTableInBuiltFirmwareIsValid) {
  // Control for the SignedTable rows: the demo table they corrupt is valid as built.
  const auto report =
      verify_with(sign_elfs({make_firmware(0x100, demo_resource_table())}, test_key("rsa2048")),
                  test_key("rsa2048"));
  ASSERT_TRUE(Authentic(report));
  ASSERT_TRUE(report.images[0].rsc_table);
  EXPECT_EQ(report.images[0].rsc_location->address, 0x81200000u);
}

// ---- No section table in image 1 or image 2 --------------------------------------------------

class SectionTableAttack : public ::testing::TestWithParam<size_t> {};

TEST_P(SectionTableAttack, NoSectionHeadersAtAllMeansNoTable) {
  RawImage raw = decompose(signed_multi());  // tfm.elf + rsc.elf
  auto& elf = raw.images[GetParam()];
  put_u16(elf, ehdr::kShnum, 0);
  put_u32(elf, ehdr::kShoff, 0);
  put_u16(elf, ehdr::kShstrndx, 0);
  const auto report = verify_raw(raw);
  ASSERT_TRUE(Authentic(report));
  ASSERT_EQ(report.images.size(), 2u);
  EXPECT_FALSE(report.images[GetParam()].rsc_location);
  EXPECT_FALSE(report.images[GetParam()].rsc_table);
  // rsc.elf (image 2) is the one with a table: it stays found when image 1 loses its sections.
  EXPECT_EQ(report.images[1].rsc_location.has_value(), GetParam() == 0);
}

INSTANTIATE_TEST_SUITE_P(Class12, SectionTableAttack, ::testing::Values(size_t{0}, size_t{1}),
                         [](const auto& p) { return fmt::format("Image{}", p.param + 1); });

}  // namespace
}  // namespace rproctee::test
