// plan_load / plan_unsigned / check_boot_address / locate_resource_table (H5, H7, H9).
#include "image/load_plan.hpp"

#include <gtest/gtest.h>

#include "image/container.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/rsc_builder.hpp"
#include "support/test_data.hpp"

namespace rproctee::image {
namespace {

using test::ElfBuilder;

/// Decodes a signed test image into TLVs + views, as the verifier does.
struct Decoded {
  std::vector<uint8_t> file;
  SignedTlvs tlvs;
  std::vector<Elf32View> views;
};

Decoded decode(std::vector<uint8_t> file) {
  Decoded d;
  d.file = std::move(file);
  auto areas = split_container(d.file);
  EXPECT_TRUE(areas);
  std::vector<Tlv> tlvs;
  EXPECT_TRUE(walk_tlvs(areas->tlv_area, areas->layout.header.tlv_len, tlvs));
  auto decoded = decode_signed_tlvs(tlvs, areas->layout.header.img_len);
  EXPECT_TRUE(decoded) << decoded.error().message;
  d.tlvs = *decoded;
  for (auto slot : split_images(areas->images, d.tlvs.image_sizes))
    d.views.push_back(*Elf32View::parse(slot, "image"));
  return d;
}

TEST(PlanLoad, MultiImageSplitsTheTableByPhnum) {
  const auto tfm = test::read_bytes(test::vectors_dir() / "elf" / "tfm.elf");
  const auto app = test::read_bytes(test::vectors_dir() / "elf" / "app_exidx.elf");
  auto d = decode(test::sign_elfs({tfm, app}, test::test_key("rsa2048")));
  auto plan = plan_load(d.tlvs, d.views);
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->images.size(), 2u);
  EXPECT_EQ(plan->images[1].first, d.views[0].header().phnum);
  for (const auto& s : plan->loads) EXPECT_EQ(s.phdr.type, elf::kPtLoad);
  // app_exidx's PT_ARM_EXIDX entry is in the table but not loaded.
  EXPECT_LT(plan->loads.size(), d.tlvs.segments.size());
}

TEST(PlanLoad, BootAddressMustBeAlignedAndInsideASegment) {
  auto d = decode(test::sign_elfs({test::make_firmware(4096, {})}, test::test_key("rsa2048")));
  auto plan = plan_load(d.tlvs, d.views);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(check_boot_address(0x80100000, *plan));
  auto r = check_boot_address(0x80100040, *plan);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not 128-byte aligned"), std::string::npos);
  r = check_boot_address(0x90000000, *plan);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TeeCode::kBadParameters);
  EXPECT_NE(r.error().message.find("not inside the file bytes"), std::string::npos);
  // The data segment's .bss part has no file bytes: not a valid vector table.
  EXPECT_FALSE(check_boot_address(0x80A00F80, *plan));
}

/// Views of ELF files that must outlive the views (no temporaries).
template <typename... Elfs>
std::vector<Elf32View> views_of(const Elfs&... elfs) {
  return {*Elf32View::parse(elfs, "image")...};
}

TEST(PlanUnsigned, SegmentSemantics) {
  struct Case {
    const char* name;
    test::ElfSegment a, b;
    const char* needle;
  };
  const std::vector<uint8_t> k16(16, 1);
  const Case cases[] = {
      {"filesz > memsz",
       {.paddr = 0x1000, .data = k16, .memsz = 8},
       {.paddr = 0x9000, .data = k16},
       "p_filesz (0x10) is larger than p_memsz (0x8)"},
      {"wrap",
       {.paddr = 0xFFFFFFF8, .data = k16},
       {.paddr = 0x9000, .data = k16},
       "wraps past 4 GiB"},
      {"overlap",
       {.paddr = 0x1000, .data = k16, .memsz = 0x100},
       {.paddr = 0x10F0, .data = k16},
       "segments overlap"},
  };
  for (const auto& c : cases) {
    ElfBuilder b;
    b.add_segment(c.a);
    b.add_segment(c.b);
    const auto elf = b.build();
    auto plan = plan_unsigned(views_of(elf));
    ASSERT_FALSE(plan) << c.name;
    EXPECT_EQ(plan.error().code, TeeCode::kBadFormat);
    EXPECT_NE(plan.error().message.find(c.needle), std::string::npos) << plan.error().message;
  }
  // Adjacent is fine; zero-sized segments never overlap.
  ElfBuilder ok;
  ok.add_segment({.paddr = 0x1000, .data = k16});
  ok.add_segment({.paddr = 0x1010, .data = k16});
  ok.add_segment({.paddr = 0x1008, .data = {}, .memsz = 0});
  const auto ok_elf = ok.build();
  EXPECT_TRUE(plan_unsigned(views_of(ok_elf)));
}

TEST(PlanUnsigned, OverlapAcrossImages) {
  const auto a = test::make_firmware(256, {});
  auto plan = plan_unsigned(views_of(a, a));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("image 1 segment 0"), std::string::npos);
  EXPECT_NE(plan.error().message.find("image 2 segment 0"), std::string::npos);
}

TEST(LocateResourceTable, FindsTheTableInItsSegment) {
  const auto elf = test::make_firmware(512, test::demo_resource_table());
  const auto views = views_of(elf);
  auto plan = plan_unsigned(views);
  ASSERT_TRUE(plan);
  auto loc = locate_resource_table(views, *plan);
  ASSERT_TRUE(loc) << loc.error().message;
  ASSERT_TRUE(loc->has_value());
  EXPECT_EQ((*loc)->address, 0x81200000u);
  EXPECT_EQ((*loc)->size, test::demo_resource_table().size());
  EXPECT_TRUE(parse_resource_table(std::span(elf).subspan((*loc)->file_offset, (*loc)->size)));
}

TEST(LocateResourceTable, NoSectionsOrEmptySectionMeansNoTable) {
  ElfBuilder b;
  b.add_segment({.paddr = 0x1000, .data = std::vector<uint8_t>(32, 0)});
  const auto plain = b.build();
  auto views = views_of(plain);
  auto loc = locate_resource_table(views, *plan_unsigned(views));
  ASSERT_TRUE(loc);
  EXPECT_FALSE(loc->has_value());

  ElfBuilder e;
  const size_t s = e.add_segment({.paddr = 0x1000, .data = std::vector<uint8_t>(32, 0)});
  e.add_section({.name = ".resource_table", .segment = s, .offset = 0, .size = 0});
  const auto empty = e.build();
  views = views_of(empty);
  loc = locate_resource_table(views, *plan_unsigned(views));
  ASSERT_TRUE(loc);
  EXPECT_FALSE(loc->has_value());
}

TEST(LocateResourceTable, RejectsMisplacedTables) {
  const auto table = test::demo_resource_table();
  const auto size = static_cast<uint32_t>(table.size());
  struct Case {
    const char* name;
    test::ElfSection section;
    const char* needle;
  };
  std::vector<uint8_t> seg(table);
  seg.resize(256, 0);
  const Case cases[] = {
      {"nobits", {.name = ".resource_table", .type = 8, .segment = 1, .size = size}, "SHT_NOBITS"},
      {"exec",
       {.name = ".resource_table", .flags = 6, .segment = 1, .size = size},
       "SHF_EXECINSTR"},
      {"into code",
       {.name = ".resource_table", .segment = 0, .offset = 0, .size = 16},
       "overlaps code section"},
      {"past segment",
       {.name = ".resource_table", .segment = 1, .offset = 200, .size = 100},
       "not inside the file bytes"},
  };
  for (const auto& c : cases) {
    ElfBuilder b;
    b.add_segment({.paddr = 0x80100000, .data = std::vector<uint8_t>(64, 0), .flags = 5});
    b.add_segment({.paddr = 0x81200000, .data = seg, .flags = 4});
    b.add_section({.name = ".text", .flags = 6, .segment = 0, .offset = 0, .size = 64});
    b.add_section(c.section);
    const auto elf = b.build();
    const auto views = views_of(elf);
    auto loc = locate_resource_table(views, *plan_unsigned(views));
    ASSERT_FALSE(loc) << c.name;
    EXPECT_EQ(loc.error().code, TeeCode::kBadFormat);
    EXPECT_NE(loc.error().message.find(c.needle), std::string::npos)
        << c.name << ": " << loc.error().message;
  }
}

TEST(LocateResourceTable, OneTableAcrossAllImages) {
  const auto a = test::make_firmware(256, test::demo_resource_table());
  ElfBuilder b;
  const size_t s =
      b.add_segment({.paddr = 0x80000000, .data = test::demo_resource_table(), .flags = 6});
  b.add_section({.name = ".resource_table",
                 .segment = s,
                 .size = static_cast<uint32_t>(test::demo_resource_table().size())});
  const auto second = b.build();
  const auto views = views_of(a, second);
  auto plan = plan_unsigned(views);
  ASSERT_TRUE(plan) << plan.error().message;
  auto loc = locate_resource_table(views, *plan);
  ASSERT_FALSE(loc);
  EXPECT_NE(loc.error().message.find("a second resource table (the first is in image 1)"),
            std::string::npos);
}

TEST(LocateResourceTable, AddressMappingMustBeConsistent) {
  ElfBuilder b;
  b.add_resource_table(0x81200000, test::demo_resource_table());
  auto elf = b.build();
  // Patch sh_addr of section 1 (after the NULL section header).
  const uint32_t shoff = test::get_u32(elf, 32);
  test::put_u32(elf, shoff + 40 + 12, 0x81200010);
  const auto views = views_of(elf);
  auto loc = locate_resource_table(views, *plan_unsigned(views));
  ASSERT_FALSE(loc);
  EXPECT_NE(loc.error().message.find("sh_addr 0x81200010 does not match"), std::string::npos);
}

}  // namespace
}  // namespace rproctee::image
