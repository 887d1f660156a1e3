// The one ELF32 writer (core files, the tests' and fuzz targets' firmware ELFs): its layout
// rule, the section table it derives from the segments, and the e_flags of our firmware.
#include "image/elf32_writer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "support/image_crafting.hpp"
#include "support/test_data.hpp"

namespace rproctee::image {
namespace {

using test::get_u16;
using test::get_u32;

/// Two segments (0x21 and 5 bytes) with three sections: .text and .rodata in the first, .data
/// in the second.
struct TwoSegments {
  std::vector<uint8_t> code = std::vector<uint8_t>(0x21, 0xC0), data = {1, 2, 3, 4, 5};
  Elf32FileSpec spec(uint32_t alignment, bool sections = true) const {
    Elf32FileSpec s;
    s.entry = 0x80100041;
    s.alignment = alignment;
    s.segments = {{{.type = elf::kPtLoad,
                    .vaddr = 0x80100000,
                    .paddr = 0x80100000,
                    .memsz = 0x21,
                    .flags = elf::kPfR | elf::kPfX,
                    .align = 0x1000},
                   code},
                  {{.type = elf::kPtLoad,
                    .vaddr = 0x10A00000,  // a load address differing from the run address
                    .paddr = 0x80A00000,
                    .memsz = 0x100,
                    .flags = elf::kPfR | elf::kPfW,
                    .align = 4},
                   data}};
    if (sections)
      s.sections = {{.name = ".text", .flags = elf::kShfAlloc | elf::kShfExecInstr, .size = 0x20},
                    {.name = ".rodata", .offset = 0x20, .size = 1},
                    {.name = ".data",
                     .flags = elf::kShfAlloc | elf::kShfWrite,
                     .segment = 1,
                     .size = 5,
                     .addralign = 1}};
    return s;
  }
};

TEST(Elf32Writer, PackedLayoutPutsEachPartRightAfterThePrevious) {
  const TwoSegments in;
  const Elf32FileLayout layout = elf32_layout(in.spec(1));
  EXPECT_EQ(layout.segment_offsets, (std::vector<uint32_t>{52 + 64, 52 + 64 + 0x21}));
  EXPECT_EQ(layout.names_offset, 52u + 64 + 0x21 + 5);
  const uint32_t names = 1 + 6 + 8 + 6 + 10;  // "", .text, .rodata, .data, .shstrtab
  EXPECT_EQ(layout.section_table, layout.names_offset + names);
  EXPECT_EQ(layout.size, layout.section_table + 5u * 40);
  EXPECT_EQ(write_elf32(in.spec(1)).size(), layout.size);
}

TEST(Elf32Writer, AlignedLayoutStartsEveryPartAtAMultiple) {
  const TwoSegments in;
  const Elf32FileLayout layout = elf32_layout(in.spec(16));
  EXPECT_EQ(layout.segment_offsets, (std::vector<uint32_t>{128, 128 + 0x30}));
  EXPECT_EQ(layout.names_offset, 128u + 0x30 + 0x10);
  EXPECT_EQ(layout.section_table % 16, 0u);
  EXPECT_GE(layout.section_table, layout.names_offset + 31);
  EXPECT_LT(layout.section_table, layout.names_offset + 31 + 16);
}

TEST(Elf32Writer, HeadersSegmentsAndSectionsReadBack) {
  const TwoSegments in;
  const auto file = write_elf32(in.spec(16));
  auto view = Elf32View::parse(file, "written");
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->header().entry, 0x80100041u);
  EXPECT_EQ(view->header().shnum, 5u);  // the null section, 3, .shstrtab
  EXPECT_EQ(view->header().shstrndx, 4u);
  EXPECT_EQ(view->header().shentsize, 40u);
  const Elf32FileLayout layout = elf32_layout(in.spec(16));
  EXPECT_EQ(view->phdrs()[1], (Elf32Phdr{elf::kPtLoad, layout.segment_offsets[1], 0x10A00000,
                                         0x80A00000, 5, 0x100, 6, 4}));
  auto bytes = view->segment_bytes(view->phdrs()[1]);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(std::vector<uint8_t>(bytes->begin(), bytes->end()), in.data);

  auto sections = view->sections();
  ASSERT_TRUE(sections) << sections.error().message;
  ASSERT_EQ(sections->size(), 5u);
  EXPECT_EQ((*sections)[0].name, "");
  const Elf32Section& rodata = (*sections)[2];
  EXPECT_EQ(rodata.name, ".rodata");
  EXPECT_EQ(rodata.header.addr, 0x80100020u);
  EXPECT_EQ(rodata.header.offset, layout.segment_offsets[0] + 0x20);
  EXPECT_EQ(rodata.header.addralign, 4u);
  const Elf32Section& data = (*sections)[3];
  EXPECT_EQ(data.header.addr, 0x10A00000u);  // sh_addr follows p_vaddr
  EXPECT_EQ(data.header.flags, elf::kShfAlloc | elf::kShfWrite);
  EXPECT_EQ(data.header.addralign, 1u);
  const Elf32Section& names = (*sections)[4];
  EXPECT_EQ(names.name, ".shstrtab");
  EXPECT_EQ(names.header.type, elf::kShtStrtab);
  EXPECT_EQ(names.header.offset, layout.names_offset);
  EXPECT_EQ(names.header.size, 31u);
}

TEST(Elf32Writer, WithoutSectionsThereIsNoSectionTable) {
  const auto file = write_elf32(TwoSegments().spec(16, false));
  EXPECT_EQ(file.size(), 128u + 0x30 + 0x10);  // padded to the alignment after the segments
  EXPECT_EQ(get_u32(file, 32), 0u);            // e_shoff
  EXPECT_EQ(get_u16(file, 46), 0u);            // e_shentsize
  EXPECT_EQ(get_u16(file, 48), 0u);            // e_shnum
  EXPECT_EQ(get_u16(file, 50), 0u);            // e_shstrndx
}

TEST(Elf32Writer, WritesZerosIntoThePaddingOfTheCallersBuffer) {
  const TwoSegments in;
  const Elf32FileSpec spec = in.spec(16);  // points into `in`
  std::vector<uint8_t> out(static_cast<size_t>(elf32_layout(spec).size), 0xEE);
  write_elf32(spec, out);
  EXPECT_EQ(out, write_elf32(spec));
  EXPECT_EQ(out[52 + 64], 0u);  // between the program headers and the first segment
}

TEST(Elf32Writer, FlagsAreThoseOfOurArmNoneEabiFirmware) {
  // EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_SOFT: what arm-none-eabi-gcc -mfloat-abi=soft writes
  // into the demo firmware ("Version5 EABI, soft-float ABI" in readelf -h).
  EXPECT_EQ(Elf32FileSpec().flags, 0x05000200u);
#ifdef RPROCTEE_DEMO_FIRMWARE_DIR
  const auto firmware =
      test::read_bytes(std::filesystem::path(RPROCTEE_DEMO_FIRMWARE_DIR) / "demo-m33.elf");
  EXPECT_EQ(get_u32(firmware, 36), Elf32FileSpec().flags);  // e_flags
#endif
}

}  // namespace
}  // namespace rproctee::image
