#include "image/elf32.hpp"

#include <gtest/gtest.h>

#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/test_data.hpp"

namespace rproctee::image {
namespace {

using test::ElfBuilder;
using test::put_u32;

std::vector<uint8_t> small_elf() {
  ElfBuilder b;
  b.entry(0x80100041);
  const size_t s = b.add_segment({.paddr = 0x80100000, .data = std::vector<uint8_t>(64, 1)});
  b.add_section({.name = ".text", .flags = 6, .segment = s, .offset = 0, .size = 64});
  return b.build();
}

TEST(Elf32View, ParsesHeaderProgramHeadersAndSections) {
  const auto elf = test::read_bytes(test::vectors_dir() / "elf" / "app_exidx.elf");
  auto v = Elf32View::parse(elf, "app");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->header().machine, elf::kMachineArm);
  ASSERT_GE(v->phdrs().size(), 2u);
  EXPECT_EQ(v->phdrs()[0].type, elf::kPtArmExidx);
  EXPECT_EQ(v->phdr_table().size(), v->phdrs().size() * 32);
  auto sections = v->sections();
  ASSERT_TRUE(sections) << sections.error().message;
  bool has_text = false;
  for (const auto& s : *sections) has_text |= s.name == ".text";
  EXPECT_TRUE(has_text);
}

TEST(Elf32View, CopiesTheProgramHeadersOnce) {
  auto elf = small_elf();
  auto v = Elf32View::parse(elf, "x");
  ASSERT_TRUE(v);
  const uint32_t paddr = v->phdrs()[0].paddr;
  put_u32(elf, 52 + 12, 0xDEADBEEF);  // rewrite p_paddr in the source after parsing
  EXPECT_EQ(v->phdrs()[0].paddr, paddr);
  EXPECT_EQ(test::get_u32(v->phdr_table(), 12), paddr);
}

struct BadHeader {
  const char* name;
  size_t offset;
  int width;
  uint32_t value;
  const char* needle;
};

TEST(Elf32View, RejectsEveryHeaderDefect) {
  const BadHeader cases[] = {
      {"magic", 1, 1, 'X', "ELF magic is 7f 58"},
      {"class64", 4, 1, 2, "EI_CLASS is 2, expected 1 (ELFCLASS32): 64-bit"},
      {"big endian", 5, 1, 2, "EI_DATA is 2"},
      {"ei_version", 6, 1, 0, "EI_VERSION is 0"},
      {"machine", 18, 2, 62, "e_machine is 62, expected 40 (EM_ARM)"},
      {"e_version", 20, 4, 2, "e_version is 2"},
      {"phentsize", 42, 2, 56, "e_phentsize is 56"},
      {"phnum 0", 44, 2, 0, "e_phnum is 0"},
      {"phnum xnum", 44, 2, 0xFFFF, "PN_XNUM"},
      {"phoff past end", 28, 4, 0xFFFFFFF0, "program header table (e_phoff 0xfffffff0"},
      {"shentsize", 46, 2, 64, "e_shentsize is 64"},
      {"shoff past end", 32, 4, 0x7FFFFFFF, "section header table (e_shoff 0x7fffffff"},
  };
  for (const auto& c : cases) {
    auto elf = small_elf();
    for (int i = 0; i < c.width; ++i)
      elf[c.offset + static_cast<size_t>(i)] = static_cast<uint8_t>(c.value >> (8 * i));
    auto v = Elf32View::parse(elf, "image 2");
    ASSERT_FALSE(v) << c.name;
    EXPECT_EQ(v.error().code, TeeCode::kBadFormat) << c.name;
    EXPECT_NE(v.error().message.find(c.needle), std::string::npos)
        << c.name << ": " << v.error().message;
    EXPECT_EQ(v.error().message.rfind("image 2: ", 0), 0u) << c.name;
  }
}

TEST(Elf32View, TooSmall) {
  const std::vector<uint8_t> tiny(40, 0);
  auto v = Elf32View::parse(tiny, "image 1");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("too small for an ELF header"), std::string::npos);
}

TEST(Elf32View, SectionErrors) {
  auto elf = small_elf();
  auto v = Elf32View::parse(elf, "x");
  ASSERT_TRUE(v);
  const uint16_t shnum = static_cast<uint16_t>(elf[48] | elf[49] << 8);
  elf[50] = static_cast<uint8_t>(shnum);  // e_shstrndx = e_shnum
  elf[51] = 0;
  auto bad = Elf32View::parse(elf, "x");
  ASSERT_TRUE(bad);
  auto s = bad->sections();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("e_shstrndx (3) is not below e_shnum (3)"), std::string::npos)
      << s.error().message;
}

TEST(Elf32View, NoSectionsIsAnEmptyList) {
  ElfBuilder b;
  b.add_segment({.paddr = 0x80100000, .data = std::vector<uint8_t>(16, 0)});
  const auto elf = b.build();
  auto v = Elf32View::parse(elf, "x");
  ASSERT_TRUE(v);
  auto s = v->sections();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->empty());
}

TEST(Elf32View, SegmentBytesAreBoundsChecked) {
  const auto elf = small_elf();
  auto v = Elf32View::parse(elf, "x");
  ASSERT_TRUE(v);
  Elf32Phdr p = v->phdrs()[0];
  EXPECT_EQ(v->segment_bytes(p)->size(), 64u);
  p.filesz = 0xFFFFFFFF;
  auto r = v->segment_bytes(p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("p_filesz (0xffffffff) is past the image size"),
            std::string::npos);
}

TEST(Elf32Phdr, NamesAndFlags) {
  EXPECT_EQ(phdr_type_name(1), "LOAD");
  EXPECT_EQ(phdr_type_name(0x70000001), "ARM_EXIDX");
  EXPECT_EQ(phdr_type_name(0x12345), "0x12345");
  EXPECT_EQ(phdr_flags_string(5), "R-X");
  ByteWriter w;
  const Elf32Phdr p{1, 2, 3, 4, 5, 6, 7, 8};
  encode_phdr(p, w);
  const auto b = w.take();
  EXPECT_EQ(decode_phdr(std::span(b).first<32>()), p);
}

}  // namespace
}  // namespace rproctee::image
