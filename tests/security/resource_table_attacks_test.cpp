// security.md attack class 12 (and the table structure of H9): the resource table. Its
// location comes from section headers, which are never signed, so most attacks below change
// only unsigned bytes of a validly signed image; the structure attacks sign a malformed table
// (a signed table is not a trusted one). Expected: BAD_FORMAT; no section headers at all or a
// zero-sized table means "no table", not an error.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "common/byte_writer.hpp"
#include "security/attack_support.hpp"
#include "support/elf_builder.hpp"
#include "support/rsc_builder.hpp"

namespace rproctee::test {
namespace {

using namespace attack;  // NOLINT(google-build-using-namespace)

constexpr TeeCode kBadFormat = TeeCode::kBadFormat;

image::VerifyReport verify_raw(const RawImage& raw) {
  return verify_with(assemble_raw(raw), test_key("rsa2048"));
}

/// rsc.elf signed alone, taken apart; its .resource_table is section 3, at file offset 0x2000
/// (0x8c bytes) at the start of segment 1 (0x80a00000, file bytes [0x2000, 0x208c)).
struct Single {
  RawImage raw = decompose(signed_single());
  std::vector<uint8_t>& elf = raw.images[0];
  size_t rsc = section_index(elf, ".resource_table");
};

TEST(ResourceTableAttack, UnmodifiedTableIsFoundAndParsed) {
  Single s;
  ASSERT_EQ(s.rsc, 3u);
  ASSERT_EQ(get_shdr(s.elf, s.rsc, Shdr::kOffset), 0x2000u);
  const auto report = verify_raw(s.raw);
  ASSERT_TRUE(Authentic(report));
  ASSERT_TRUE(report.images[0].rsc_location);
  EXPECT_EQ(report.images[0].rsc_location->address, 0x80A00000u);
  EXPECT_EQ(report.images[0].rsc_location->size, 0x8Cu);
  ASSERT_TRUE(report.images[0].rsc_table);
  EXPECT_EQ(report.images[0].rsc_table->entries.size(), 2u);
}

// ---- Location: outside the loaded segments, into code, oversized ----------------------------

TEST(ResourceTableAttack, PointsIntoUnsignedFileBytes) {
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kOffset, 0x20E8);  // .symtab: in the file, in no segment
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "image 1 section 3 (.resource_table): file range [0x20e8, 0x2174) is not "
                       "inside the file bytes of a signed PT_LOAD segment of this image"));
}

TEST(ResourceTableAttack, PointsIntoBssWhichHasNoFileBytes) {
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kOffset, 0x208C);
  set_shdr(s.elf, s.rsc, Shdr::kAddr, 0x80A0008C);
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "file range [0x208c, 0x2118) is not inside the file bytes of a signed "
                       "PT_LOAD segment"));
}

TEST(ResourceTableAttack, PointsPastTheImageAndPast4GiB) {
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kOffset, 0xFFFFFFA0);  // offset + size does not fit in 32 bits
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "file range [0xffffffa0, 0x10000002c) is not inside the file bytes"));
}

TEST(ResourceTableAttack, RunsPastTheEndOfItsSegment) {
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kSize, 0x90);
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "file range [0x2000, 0x2090) is not inside the file bytes"));
}

TEST(ResourceTableAttack, AddressInconsistentWithItsSegment) {
  // The file range is fine but sh_addr claims another place: the reported address would not
  // be where the signed bytes are loaded.
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kAddr, 0x81000000);
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "image 1 section 3 (.resource_table): sh_addr 0x81000000 does not match its "
                       "position in segment 1 (p_vaddr 0x80a00000 + 0x0)"));
}

TEST(ResourceTableAttack, PointsIntoCode) {
  Single s;
  ASSERT_EQ(section_index(s.elf, ".text"), 2u);
  set_shdr(s.elf, s.rsc, Shdr::kOffset, 0x1040);
  set_shdr(s.elf, s.rsc, Shdr::kAddr, 0x80100040);
  set_shdr(s.elf, s.rsc, Shdr::kSize, 0x50);
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "image 1 section 3 (.resource_table): file range [0x1040, 0x1090) overlaps "
                       "code section 2 (.text)"));
}

TEST(ResourceTableAttack, OverlapsTheStartOfCode) {
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kOffset, 0x1000);
  set_shdr(s.elf, s.rsc, Shdr::kAddr, 0x80100000);
  set_shdr(s.elf, s.rsc, Shdr::kSize, 0x41);  // .isr_vector (0x40) + 1 byte of .text
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "file range [0x1000, 0x1041) overlaps code section 2 (.text)"));
}

TEST(ResourceTableAttack, MarkedExecutable) {
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kFlags, get_shdr(s.elf, s.rsc, Shdr::kFlags) | 4u);
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "image 1 section 3 (.resource_table): marked executable (SHF_EXECINSTR)"));
}

TEST(ResourceTableAttack, Nobits) {
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kType, 8);
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "(.resource_table): SHT_NOBITS, the table has no file bytes"));
}

TEST(ResourceTableAttack, Oversized) {
  for (const uint32_t size : {0x10001u, 0xFFFFFFFFu}) {
    Single s;
    set_shdr(s.elf, s.rsc, Shdr::kSize, size);
    EXPECT_TRUE(
        Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                 fmt::format("(.resource_table): {} bytes, more than the 65536-byte limit", size)));
  }
}

TEST(ResourceTableAttack, SmallerThanItsHeader) {
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kSize, 8);
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "resource table is 8 bytes, smaller than its 16-byte header"));
}

// ---- Names --------------------------------------------------------------------------------

TEST(ResourceTableAttack, NameWithoutNul) {
  // The name table is cut right before the NUL of ".resource_table".
  Single s;
  const size_t names = get_u16(s.elf, ehdr::kShstrndx);
  const uint32_t name = get_shdr(s.elf, s.rsc, Shdr::kName);
  for (size_t i = 1; i < s.rsc; ++i) ASSERT_LT(get_shdr(s.elf, i, Shdr::kName), name);
  set_shdr(s.elf, names, Shdr::kSize, name + 15);
  EXPECT_TRUE(Rejected(
      verify_raw(s.raw), kBadFormat, "resource table",
      fmt::format("image 1: section 3 name at offset {:#x} has no terminating NUL", name)));
}

TEST(ResourceTableAttack, NameOffsetPastTheNameTable) {
  Single s;
  const size_t names = get_u16(s.elf, ehdr::kShstrndx);
  set_shdr(s.elf, s.rsc, Shdr::kName, 0x1000);
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       fmt::format("image 1: section 3 name offset 0x1000 is past the {}-byte name "
                                   "table",
                                   get_shdr(s.elf, names, Shdr::kSize))));
}

TEST(ResourceTableAttack, NameTablePastTheImage) {
  Single s;
  set_shdr(s.elf, get_u16(s.elf, ehdr::kShstrndx), Shdr::kOffset, 0xFFFFFF00);
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "image 1: section name table at offset 0xffffff00"));
}

TEST(ResourceTableAttack, NameTableIsNobits) {
  Single s;
  const size_t names = get_u16(s.elf, ehdr::kShstrndx);
  set_shdr(s.elf, names, Shdr::kType, 8);
  EXPECT_TRUE(
      Rejected(verify_raw(s.raw), kBadFormat, "resource table",
               fmt::format("image 1: section name table (section {}) is SHT_NOBITS", names)));
}

// ---- Two tables ---------------------------------------------------------------------------

TEST(ResourceTableAttack, TwoTablesInOneImage) {
  // .isr_vector (section 1, data inside segment 0) is renamed .resource_table.
  Single s;
  set_shdr(s.elf, 1, Shdr::kName, get_shdr(s.elf, s.rsc, Shdr::kName));
  EXPECT_TRUE(Rejected(verify_raw(s.raw), kBadFormat, "resource table",
                       "image 1 section 3 (.resource_table): a second resource table (the first "
                       "is in image 1)"));
}

/// An image at 0x80000000 (where tfm.elf lives) with its own resource table at 0x80080000.
std::vector<uint8_t> second_firmware_with_table() {
  ElfBuilder b;
  std::vector<uint8_t> code(0x40, 0x11);
  b.entry(0x80000001);
  const size_t text = b.add_segment({.paddr = 0x80000000, .data = code, .flags = 5});
  b.add_section({.name = ".text", .flags = 6, .segment = text, .offset = 0, .size = 0x40});
  const auto table = demo_resource_table();
  const size_t rseg = b.add_segment({.paddr = 0x80080000, .data = table, .flags = 4});
  b.add_section({.name = ".resource_table",
                 .segment = rseg,
                 .offset = 0,
                 .size = static_cast<uint32_t>(table.size())});
  return b.build();
}

TEST(ResourceTableAttack, SecondFirmwareAloneHasAValidTable) {
  // Control for the two tests below.
  const auto report = verify_with(sign_elfs({second_firmware_with_table()}, test_key("rsa2048")),
                                  test_key("rsa2048"));
  ASSERT_TRUE(Authentic(report));
  ASSERT_TRUE(report.images[0].rsc_location);
  EXPECT_EQ(report.images[0].rsc_location->address, 0x80080000u);
}

TEST(ResourceTableAttack, TwoTablesAcrossImagesSecondInRscElf) {
  const auto file =
      sign_elfs({second_firmware_with_table(), vector_elf("rsc.elf")}, test_key("rsa2048"));
  EXPECT_TRUE(Rejected(verify_with(file, test_key("rsa2048")), kBadFormat, "resource table",
                       "image 2 section 3 (.resource_table): a second resource table (the first "
                       "is in image 1)"));
}

TEST(ResourceTableAttack, TwoTablesAcrossImagesSecondInBuiltElf) {
  const auto file =
      sign_elfs({vector_elf("rsc.elf"), second_firmware_with_table()}, test_key("rsa2048"));
  EXPECT_TRUE(Rejected(verify_with(file, test_key("rsa2048")), kBadFormat, "resource table",
                       "image 2 section 2 (.resource_table): a second resource table (the first "
                       "is in image 1)"));
}

// ---- Section table: e_shstrndx, position, absence (image 1 and image 2) ---------------------

class SectionTableAttack : public ::testing::TestWithParam<size_t> {
 protected:
  RawImage raw_ = decompose(signed_multi());  // tfm.elf + rsc.elf
  size_t image() const { return GetParam(); }
  std::vector<uint8_t>& elf() { return raw_.images[image()]; }
};

TEST_P(SectionTableAttack, ShstrndxEqualToShnum) {
  const uint16_t shnum = get_u16(elf(), ehdr::kShnum);
  put_u16(elf(), ehdr::kShstrndx, shnum);
  EXPECT_TRUE(Rejected(verify_raw(raw_), kBadFormat, "resource table",
                       fmt::format("image {}: e_shstrndx ({}) is not below e_shnum ({})",
                                   image() + 1, shnum, shnum)));
}

TEST_P(SectionTableAttack, ShstrndxXindex) {
  put_u16(elf(), ehdr::kShstrndx, 0xFFFF);
  EXPECT_TRUE(
      Rejected(verify_raw(raw_), kBadFormat, "resource table",
               fmt::format("image {}: e_shstrndx (65535) is not below e_shnum", image() + 1)));
}

TEST_P(SectionTableAttack, SectionTablePastTheImage) {
  // It ends 8 bytes past this image's slot; for image 1 those bytes exist (image 2's), but they
  // are not image 1's.
  const uint16_t shnum = get_u16(elf(), ehdr::kShnum);
  const auto shoff = static_cast<uint32_t>(elf().size() - 40u * shnum + 8);
  put_u32(elf(), ehdr::kShoff, shoff);
  EXPECT_TRUE(Rejected(verify_raw(raw_), kBadFormat, "ELF headers",
                       fmt::format("image {}: section header table (e_shoff {:#x} + {} * 40 bytes) "
                                   "ends past the {:#x}-byte image",
                                   image() + 1, shoff, shnum, elf().size())));
}

TEST_P(SectionTableAttack, SectionTableOffsetWraps) {
  put_u32(elf(), ehdr::kShoff, 0xFFFFFFF0);
  EXPECT_TRUE(
      Rejected(verify_raw(raw_), kBadFormat, "ELF headers",
               fmt::format("image {}: section header table (e_shoff 0xfffffff0", image() + 1)));
}

TEST_P(SectionTableAttack, NoSectionHeadersAtAllMeansNoTable) {
  put_u16(elf(), ehdr::kShnum, 0);
  put_u32(elf(), ehdr::kShoff, 0);
  put_u16(elf(), ehdr::kShstrndx, 0);
  const auto report = verify_raw(raw_);
  ASSERT_TRUE(Authentic(report));
  ASSERT_EQ(report.images.size(), 2u);
  EXPECT_FALSE(report.images[image()].rsc_location);
  EXPECT_FALSE(report.images[image()].rsc_table);
  // rsc.elf (image 2) is the one with a table: it stays found when image 1 loses its sections.
  EXPECT_EQ(report.images[1].rsc_location.has_value(), image() == 0);
}

INSTANTIATE_TEST_SUITE_P(Class12, SectionTableAttack, ::testing::Values(size_t{0}, size_t{1}),
                         [](const auto& p) { return fmt::format("Image{}", p.param + 1); });

TEST(ResourceTableAttack, ZeroSizedTableMeansNoTable) {
  Single s;
  set_shdr(s.elf, s.rsc, Shdr::kSize, 0);
  const auto report = verify_raw(s.raw);
  ASSERT_TRUE(Authentic(report));
  EXPECT_FALSE(report.images[0].rsc_location);
  EXPECT_FALSE(report.images[0].rsc_table);
}

// ---- Structure of a signed table (H9) -------------------------------------------------------

/// make_firmware() with `table` as its .resource_table, signed, verified.
image::VerifyReport firmware_with_table(const std::vector<uint8_t>& table) {
  return verify_with(sign_elfs({make_firmware(0x100, table)}, test_key("rsa2048")),
                     test_key("rsa2048"));
}

TEST(ResourceTableAttack, DemoTableInBuiltFirmwareIsValid) {
  const auto report = firmware_with_table(demo_resource_table());
  ASSERT_TRUE(Authentic(report));
  ASSERT_TRUE(report.images[0].rsc_table);
  EXPECT_EQ(report.images[0].rsc_location->address, 0x81200000u);
}

TEST(ResourceTableAttack, SignedTableWithVersion2) {
  auto table = demo_resource_table();
  put_u32(table, 0, 2);
  EXPECT_TRUE(Rejected(firmware_with_table(table), kBadFormat, "resource table",
                       "resource table version is 2, expected 1"));
}

TEST(ResourceTableAttack, SignedTableWithReservedWords) {
  auto table = demo_resource_table();
  put_u32(table, 12, 1);
  EXPECT_TRUE(Rejected(firmware_with_table(table), kBadFormat, "resource table",
                       "resource table reserved words are 0x0 0x1, must be 0"));
}

TEST(ResourceTableAttack, SignedTableWithHugeEntryCount) {
  auto table = demo_resource_table();
  put_u32(table, 4, 0x10000000);
  EXPECT_TRUE(Rejected(firmware_with_table(table), kBadFormat, "resource table",
                       fmt::format("resource table has num 268435456 entries: the offset array "
                                   "(1073741824 bytes) runs past the {}-byte table",
                                   table.size())));
}

TEST(ResourceTableAttack, SignedTableWithOffsetIntoItsHeader) {
  auto table = demo_resource_table();
  put_u32(table, 16, 0);
  EXPECT_TRUE(Rejected(firmware_with_table(table), kBadFormat, "resource table",
                       fmt::format("resource table entry 0 (offset 0x0): offset is outside the "
                                   "entry area [0x18, {:#x})",
                                   table.size())));
}

TEST(ResourceTableAttack, SignedTableWithOffsetPastTheEnd) {
  auto table = demo_resource_table();
  put_u32(table, 20, static_cast<uint32_t>(table.size() - 2));
  EXPECT_TRUE(Rejected(firmware_with_table(table), kBadFormat, "resource table",
                       fmt::format("resource table entry 1 (offset {:#x}): offset is outside the "
                                   "entry area",
                                   table.size() - 2)));
}

TEST(ResourceTableAttack, SignedTableWithTruncatedCarveout) {
  RscTableBuilder rsc;
  rsc.add_carveout(0x80a00000, 0x80a00000, 0x1000, 0, "buf");
  auto table = rsc.build();
  ASSERT_EQ(table.size(), 76u);
  table.resize(68);
  EXPECT_TRUE(Rejected(firmware_with_table(table), kBadFormat, "resource table",
                       "resource table entry 0 (offset 0x14): 56-byte carveout runs past the "
                       "68-byte table"));
}

TEST(ResourceTableAttack, SignedTableWithThreeVrings) {
  RscTableBuilder rsc;
  rsc.add_vdev(7, 0, 1, {{}, {}, {}}, 0);
  EXPECT_TRUE(Rejected(firmware_with_table(rsc.build()), kBadFormat, "resource table",
                       "resource table entry 0 (offset 0x14): vdev has 3 vrings, at most 2 are "
                       "supported"));
}

TEST(ResourceTableAttack, SignedTableWithHugeVdevConfig) {
  auto table = demo_resource_table();
  put_u32(table, 0x18 + 20, 0xFFFFFFFF);  // first entry (vdev at 0x18): config_len
  EXPECT_TRUE(Rejected(firmware_with_table(table), kBadFormat, "resource table",
                       "resource table entry 0 (offset 0x18): vdev with 2 vrings and config_len "
                       "4294967295 runs past the"));
}

TEST(ResourceTableAttack, SignedTableWithEmptyVring) {
  RscTableBuilder rsc;
  rsc.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 0, 0}}, 0);
  EXPECT_TRUE(Rejected(firmware_with_table(rsc.build()), kBadFormat, "resource table",
                       "vring 0 has num 0 and align 16: both must be non-zero"));
}

TEST(ResourceTableAttack, SignedTableWithTraceReservedField) {
  RscTableBuilder rsc;
  rsc.add_trace(0x80a00400, 0x400, "trace");
  auto table = rsc.build();
  put_u32(table, 0x14 + 12, 1);
  EXPECT_TRUE(Rejected(firmware_with_table(table), kBadFormat, "resource table",
                       "resource table entry 0 (offset 0x14): reserved field is 0x1, must be 0"));
}

}  // namespace
}  // namespace rproctee::test
