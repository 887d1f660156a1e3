// security.md attack classes 1, 2, 13 and 14 (and the boot-address part of H7): the ELF
// container of each image. Classes 1, 2 and 13 change only unsigned ELF bytes (the header,
// TLVs and signature stay valid, so the verifier must notice by itself); class 14 re-signs
// ELFs whose signed program headers are semantically wrong.
//
// Not covered here: the class 14 cases "a segment straddling two regions" and "a segment
// outside every region" need a platform description (memory regions), which does not exist
// yet (issue 3); the offline verifier has no regions to check against.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "security/attack_support.hpp"

namespace rproctee::test {
namespace {

using namespace attack;  // NOLINT(google-build-using-namespace)

constexpr TeeCode kSecurity = TeeCode::kSecurity;
constexpr TeeCode kBadFormat = TeeCode::kBadFormat;

/// The verifier's answer for `raw` assembled as is (no re-signing) with rsa2048.
image::VerifyReport verify_raw(const RawImage& raw, const std::string& key = "rsa2048") {
  return verify_with(assemble_raw(raw), test_key(key));
}

/// Copies `size` bytes inside an image.
void copy_bytes(std::vector<uint8_t>& img, size_t from, size_t to, size_t size) {
  ASSERT_LE(from + size, img.size());
  ASSERT_LE(to + size, img.size());
  std::copy_n(img.begin() + static_cast<long>(from), size, img.begin() + static_cast<long>(to));
}

/// rsc.elf's .symtab: bytes in the file that no segment covers (so no digest covers them).
constexpr size_t kUnsignedSpot = 0x20e8;

// ---- Class 1: signed segments omitted (p_type PT_NULL, e_phnum - 1) -> SECURITY -------------

TEST(ProgramHeaderAttack, DecomposeAssembleRoundTripIsExactAndAuthentic) {
  // The tests below rely on assemble_raw(decompose(f)) reproducing f, so that a rejection can
  // only come from the mutation.
  for (const auto& file : {signed_single(), signed_multi()}) {
    EXPECT_EQ(assemble_raw(decompose(file)), file);
    EXPECT_TRUE(Authentic(verify_with(file, test_key("rsa2048"))));
  }
}

TEST(ProgramHeaderAttack, PtNullHidesTheSecondSegment) {
  RawImage raw = decompose(signed_single());
  set_phdr(raw.images[0], 1, Phdr::kType, 0);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 1 program header 1 differs from the signed one: p_type is 0x0 in "
                       "the ELF but 0x1 in the signed table"));
}

TEST(ProgramHeaderAttack, PtNullHidesTheFirstSegment) {
  RawImage raw = decompose(signed_single());
  set_phdr(raw.images[0], 0, Phdr::kType, 0);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 1 program header 0 differs from the signed one: p_type is 0x0"));
}

TEST(ProgramHeaderAttack, PtNullOnANonLoadHeaderIsAlsoRejected) {
  // app_exidx.elf: program header 0 is PT_ARM_EXIDX, which is in the signed table too.
  RawImage raw = decompose(sign_elfs({vector_elf("app_exidx.elf")}, test_key("rsa2048")));
  ASSERT_EQ(get_phdr(raw.images[0], 0, Phdr::kType), 0x70000001u);
  set_phdr(raw.images[0], 0, Phdr::kType, 0);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 1 program header 0 differs from the signed one: p_type is 0x0 in "
                       "the ELF but 0x70000001 in the signed table"));
}

TEST(ProgramHeaderAttack, PtNullInImage2) {
  RawImage raw = decompose(signed_multi());
  set_phdr(raw.images[1], 1, Phdr::kType, 0);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 2 program header 1 differs from the signed one: p_type is 0x0"));
}

TEST(ProgramHeaderAttack, PhnumMinusOneDropsTheLastSegment) {
  RawImage raw = decompose(signed_single());
  put_u16(raw.images[0], ehdr::kPhnum, 1);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "the images declare 1 program headers (1) but the signed table has 2 "
                       "entries"));
}

TEST(ProgramHeaderAttack, PhnumMinusOneInImage2) {
  RawImage raw = decompose(signed_multi());
  put_u16(raw.images[1], ehdr::kPhnum, 1);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "the images declare 2 program headers (1 + 1) but the signed table has 3 "
                       "entries"));
}

TEST(ProgramHeaderAttack, PhnumMovedFromImage2ToImage1KeepsTheTotalButNotTheSlices) {
  // 1 + 2 becomes 2 + 1: the count matches, but image 1's second "header" (zeros after its
  // table) is compared with the signed entry that belongs to image 2.
  RawImage raw = decompose(signed_multi());
  put_u16(raw.images[0], ehdr::kPhnum, 2);
  put_u16(raw.images[1], ehdr::kPhnum, 1);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 1 program header 1 differs from the signed one"));
}

// ---- Class 2: duplicated / swapped / moved program headers -> SECURITY ----------------------

TEST(ProgramHeaderAttack, DuplicatedProgramHeaderReplacesAnother) {
  RawImage raw = decompose(signed_single());
  auto& img = raw.images[0];
  copy_bytes(img, phdr_offset(img, 0), phdr_offset(img, 1), 32);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 1 program header 1 differs from the signed one: p_offset is 0x1000 "
                       "in the ELF but 0x2000 in the signed table"));
}

TEST(ProgramHeaderAttack, DuplicatedProgramHeaderAppended) {
  // e_phnum + 1 with a copy of header 1 after the table (zero padding before the segments).
  RawImage raw = decompose(signed_single());
  auto& img = raw.images[0];
  copy_bytes(img, phdr_offset(img, 1), phdr_offset(img, 2), 32);
  put_u16(img, ehdr::kPhnum, 3);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "the images declare 3 program headers (3) but the signed table has 2 "
                       "entries"));
}

TEST(ProgramHeaderAttack, SwappedProgramHeaders) {
  RawImage raw = decompose(signed_single());
  auto& img = raw.images[0];
  std::vector<uint8_t> first(img.begin() + static_cast<long>(phdr_offset(img, 0)),
                             img.begin() + static_cast<long>(phdr_offset(img, 1)));
  copy_bytes(img, phdr_offset(img, 1), phdr_offset(img, 0), 32);
  std::copy(first.begin(), first.end(), img.begin() + static_cast<long>(phdr_offset(img, 1)));
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 1 program header 0 differs from the signed one: p_offset is 0x2000 "
                       "in the ELF but 0x1000 in the signed table"));
}

TEST(ProgramHeaderAttack, MovedSegmentWhoseBytesStillMatchTheDigest) {
  // The segment's bytes are copied to an unsigned spot and p_offset points there: the digest
  // of the bytes at the new offset is the signed one, only the header comparison catches it.
  RawImage raw = decompose(signed_single());
  auto& img = raw.images[0];
  const uint32_t offset = get_phdr(img, 0, Phdr::kOffset);
  const uint32_t filesz = get_phdr(img, 0, Phdr::kFilesz);
  copy_bytes(img, offset, kUnsignedSpot, filesz);
  set_phdr(img, 0, Phdr::kOffset, kUnsignedSpot);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 1 program header 0 differs from the signed one: p_offset is 0x20e8 "
                       "in the ELF but 0x1000 in the signed table"));
}

TEST(ProgramHeaderAttack, MovedLoadAddress) {
  // Upstream matches ELF headers to the table by p_paddr; moving the address is caught here.
  RawImage raw = decompose(signed_single());
  set_phdr(raw.images[0], 0, Phdr::kPaddr, 0x80200000);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 1 program header 0 differs from the signed one: p_paddr is "
                       "0x80200000 in the ELF but 0x80100000 in the signed table"));
}

TEST(ProgramHeaderAttack, EveryFieldOfEveryHeaderIsCompared) {
  const RawImage base = decompose(signed_multi());
  const char* names[] = {"p_type",   "p_offset", "p_vaddr", "p_paddr",
                         "p_filesz", "p_memsz",  "p_flags", "p_align"};
  int cases = 0;
  for (size_t image = 0; image < 2; ++image)
    for (size_t k = 0; k < get_u16(base.images[image], ehdr::kPhnum); ++k)
      for (size_t f = 0; f < 8; ++f) {
        RawImage raw = base;
        const auto field = static_cast<Phdr>(f);
        const uint32_t was = get_phdr(raw.images[image], k, field);
        set_phdr(raw.images[image], k, field, was ^ 0x10u);
        SCOPED_TRACE(fmt::format("image {} header {} {}", image + 1, k, names[f]));
        EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                             fmt::format("image {} program header {} differs from the signed one: "
                                         "{} is {:#x} in the ELF but {:#x} in the signed table",
                                         image + 1, k, names[f], was ^ 0x10u, was)));
        ++cases;
      }
  EXPECT_EQ(cases, 3 * 8);
}

TEST(ProgramHeaderAttack, TableMovedByEPhoffAndReordered) {
  RawImage raw = decompose(signed_single());
  auto& img = raw.images[0];
  copy_bytes(img, phdr_offset(img, 1), kUnsignedSpot, 32);
  copy_bytes(img, phdr_offset(img, 0), kUnsignedSpot + 32, 32);
  put_u32(img, ehdr::kPhoff, kUnsignedSpot);
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "program headers",
                       "image 1 program header 0 differs from the signed one: p_offset is 0x2000"));
}

TEST(ProgramHeaderAttack, TableMovedByEPhoffWithTheSignedContentIsAccepted) {
  // Control for the test above: where the table lies is not signed, its content is.
  RawImage raw = decompose(signed_single());
  auto& img = raw.images[0];
  copy_bytes(img, phdr_offset(img, 0), kUnsignedSpot, 64);
  put_u32(img, ehdr::kPhoff, kUnsignedSpot);
  EXPECT_TRUE(Authentic(verify_raw(raw)));
}

TEST(ProgramHeaderAttack, SegmentBytesChangedAfterSigning) {
  // Not a header attack, but the last line of defence behind the header comparison.
  RawImage raw = decompose(signed_multi());
  raw.images[1][get_phdr(raw.images[1], 1, Phdr::kOffset) + 4] ^= 1;
  EXPECT_TRUE(Rejected(verify_raw(raw), kSecurity, "segment digests",
                       "image 2 segment 1 (LOAD at 0x80a00000, 0x8c bytes): SHA-256 is"));
}

// ---- Class 13: per-image ELF header checks, image 1 and image 2 -> BAD_FORMAT ---------------

struct HeaderMutation {
  std::string name;
  /// Changes the ELF and returns the text the rejection must contain (after "image N: ").
  std::function<std::string(std::vector<uint8_t>&)> apply;
};

void PrintTo(const HeaderMutation& m, std::ostream* os) {
  *os << m.name;
}

std::vector<HeaderMutation> header_mutations() {
  auto set8 = [](size_t offset, uint8_t value) {
    return [=](std::vector<uint8_t>& elf) {
      elf.at(offset) = value;
      return std::string();
    };
  };
  auto with = [](auto change, std::string needle) {
    return [=](std::vector<uint8_t>& elf) {
      change(elf);
      return needle;
    };
  };
  return {
      {"BadMagic", with(set8(3, 'G'), "ELF magic is 7f 45 4c 47, expected 7f 45 4c 46")},
      {"ZeroMagic", with(set8(0, 0), "ELF magic is 00 45 4c 46")},
      {"Elfclass64", with(set8(ehdr::kClass, 2), "EI_CLASS is 2, expected 1 (ELFCLASS32)")},
      {"ElfclassNone", with(set8(ehdr::kClass, 0), "EI_CLASS is 0, expected 1")},
      {"BigEndian", with(set8(ehdr::kData, 2), "EI_DATA is 2, expected 1 (little-endian)")},
      {"IdentVersion0", with(set8(ehdr::kIdentVersion, 0), "EI_VERSION is 0, expected 1")},
      {"MachineX86_64", with([](auto& e) { put_u16(e, ehdr::kMachine, 62); },
                             "e_machine is 62, expected 40 (EM_ARM)")},
      {"MachineAArch64",
       with([](auto& e) { put_u16(e, ehdr::kMachine, 183); }, "e_machine is 183, expected 40")},
      {"EVersion0",
       with([](auto& e) { put_u32(e, ehdr::kVersion, 0); }, "e_version is 0, expected 1")},
      {"Phentsize56",
       with([](auto& e) { put_u16(e, ehdr::kPhentsize, 56); }, "e_phentsize is 56, expected 32")},
      {"Phentsize0", with([](auto& e) { put_u16(e, ehdr::kPhentsize, 0); }, "e_phentsize is 0")},
      {"PhoffPastTheImage",
       [](std::vector<uint8_t>& e) {
         // The table ends 4 bytes past this image's slot (for image 1: inside image 2's bytes).
         const uint16_t phnum = get_u16(e, ehdr::kPhnum);
         const auto phoff = static_cast<uint32_t>(e.size() - 32u * phnum + 4);
         put_u32(e, ehdr::kPhoff, phoff);
         return fmt::format(
             "program header table (e_phoff {:#x} + {} * 32 bytes) ends past the "
             "{:#x}-byte image",
             phoff, phnum, e.size());
       }},
      {"PhoffWraps", with([](auto& e) { put_u32(e, ehdr::kPhoff, 0xFFFFFFF0); },
                          "program header table (e_phoff 0xfffffff0")},
      {"PhnumXnum", with([](auto& e) { put_u16(e, ehdr::kPhnum, 0xFFFF); },
                         "e_phnum is 0xffff (PN_XNUM, extended numbering), not supported")},
      {"Phnum0",
       with([](auto& e) { put_u16(e, ehdr::kPhnum, 0); }, "e_phnum is 0: no program headers")},
      {"Shentsize64",
       with([](auto& e) { put_u16(e, ehdr::kShentsize, 64); }, "e_shentsize is 64, expected 40")},
  };
}

class ElfHeaderAttack : public ::testing::TestWithParam<std::tuple<size_t, HeaderMutation>> {};

TEST_P(ElfHeaderAttack, RejectedWithBadFormatNamingTheImage) {
  const auto& [image, mutation] = GetParam();
  RawImage raw = decompose(signed_multi());
  const std::string needle = mutation.apply(raw.images[image]);
  EXPECT_TRUE(Rejected(verify_raw(raw), kBadFormat, "ELF headers",
                       fmt::format("image {}: {}", image + 1, needle)));
}

INSTANTIATE_TEST_SUITE_P(Class13, ElfHeaderAttack,
                         ::testing::Combine(::testing::Values(size_t{0}, size_t{1}),
                                            ::testing::ValuesIn(header_mutations())),
                         [](const auto& p) {
                           return fmt::format("Image{}_{}", std::get<0>(p.param) + 1,
                                              std::get<1>(p.param).name);
                         });

TEST(ElfSlotAttack, Image2SlotSmallerThanAnElfHeader) {
  // IMGSIZE gives image 2 a 48-byte slot (re-signed, signed table unchanged): its ELF header
  // does not fit, and nothing may be read past the slot.
  RawImage raw = decompose(signed_multi());
  raw.images[1].resize(48);
  put_u32(raw.tlv(image::tlv::kImgSize), 4, 48);
  EXPECT_TRUE(Rejected(verify_with(resign(raw, test_key("rsa2048")), test_key("rsa2048")),
                       kBadFormat, "ELF headers",
                       "image 2: 48 bytes is too small for an ELF header (52 bytes)"));
}

// ---- Class 14: re-signed ELFs with wrong segment semantics -> BAD_FORMAT --------------------

/// `raw` with a signed program-header word changed in the ELF and the table, re-signed.
image::VerifyReport resigned_with(RawImage raw, size_t image, size_t phdr, Phdr field,
                                  uint32_t value) {
  set_signed_phdr(raw, image, phdr, field, value);
  return verify_with(resign(raw, test_key("rsa2048")), test_key("rsa2048"));
}

TEST(SegmentAttack, ResigningAnUnchangedHeaderIsAccepted) {
  // Control: set_signed_phdr + resign keep the image valid when the value does not change.
  const RawImage raw = decompose(signed_multi());
  EXPECT_TRUE(Authentic(resigned_with(raw, 1, 1, Phdr::kMemsz, 0x490)));
}

TEST(SegmentAttack, MemszSmallerThanFilesz) {
  EXPECT_TRUE(Rejected(resigned_with(decompose(signed_single()), 0, 1, Phdr::kMemsz, 0x8b),
                       kBadFormat, "program headers",
                       "image 1 segment 1: p_filesz (0x8c) is larger than p_memsz (0x8b)"));
}

TEST(SegmentAttack, MemszZeroWithFileBytes) {
  EXPECT_TRUE(Rejected(resigned_with(decompose(signed_single()), 0, 0, Phdr::kMemsz, 0), kBadFormat,
                       "program headers",
                       "image 1 segment 0: p_filesz (0x90) is larger than p_memsz (0x0)"));
}

TEST(SegmentAttack, MemszSmallerThanFileszInImage2) {
  EXPECT_TRUE(Rejected(resigned_with(decompose(signed_multi()), 1, 1, Phdr::kMemsz, 0x10),
                       kBadFormat, "program headers",
                       "image 2 segment 1: p_filesz (0x8c) is larger than p_memsz (0x10)"));
}

TEST(SegmentAttack, OverlappingSegmentsInOneImage) {
  EXPECT_TRUE(Rejected(resigned_with(decompose(signed_single()), 0, 1, Phdr::kPaddr, 0x80100080),
                       kBadFormat, "program headers",
                       "segments overlap: image 1 segment 0 [0x80100000, 0x80100090) and image 1 "
                       "segment 1 [0x80100080, 0x80100510)"));
}

TEST(SegmentAttack, OverlappingSegmentsAcrossImages) {
  EXPECT_TRUE(Rejected(resigned_with(decompose(signed_multi()), 0, 0, Phdr::kPaddr, 0x800FFF00),
                       kBadFormat, "program headers",
                       "segments overlap: image 1 segment 0 [0x800fff00, 0x8010002c) and image 2 "
                       "segment 0 [0x80100000, 0x80100090)"));
}

TEST(SegmentAttack, SameAddressInTwoImages) {
  const auto report = resigned_with(decompose(signed_multi()), 0, 0, Phdr::kPaddr, 0x80A00000);
  EXPECT_TRUE(Rejected(report, kBadFormat, "program headers", "segments overlap: "));
  // Both segments start at the same address: either may be named first.
  EXPECT_NE(report.error.message.find("image 1 segment 0 [0x80a00000, 0x80a0012c)"),
            std::string::npos);
  EXPECT_NE(report.error.message.find("image 2 segment 1 [0x80a00000, 0x80a00490)"),
            std::string::npos);
}

TEST(SegmentAttack, OverlapThroughBssByOneByte) {
  // tfm's .bss (p_memsz) is grown to end one byte inside image 2's first segment.
  EXPECT_TRUE(Rejected(resigned_with(decompose(signed_multi()), 0, 0, Phdr::kMemsz, 0x100001),
                       kBadFormat, "program headers",
                       "segments overlap: image 1 segment 0 [0x80000000, 0x80100001) and image 2 "
                       "segment 0 [0x80100000, 0x80100090)"));
}

TEST(SegmentAttack, TouchingSegmentsDoNotOverlap) {
  // Control for the test above: ending exactly where the next segment starts is fine.
  EXPECT_TRUE(Authentic(resigned_with(decompose(signed_multi()), 0, 0, Phdr::kMemsz, 0x100000)));
}

TEST(SegmentAttack, AddressWrapsPast4GiB) {
  EXPECT_TRUE(
      Rejected(resigned_with(decompose(signed_single()), 0, 0, Phdr::kPaddr, 0xFFFFFF80),
               kBadFormat, "program headers",
               "image 1 segment 0: p_paddr (0xffffff80) + p_memsz (0x90) wraps past 4 GiB"));
}

TEST(SegmentAttack, HugeMemszWrapsPast4GiBInImage2) {
  EXPECT_TRUE(Rejected(resigned_with(decompose(signed_multi()), 1, 1, Phdr::kMemsz, 0xFFFFFFFF),
                       kBadFormat, "program headers",
                       "image 2 segment 1: p_paddr (0x80a00000) + p_memsz (0xffffffff) wraps past "
                       "4 GiB"));
}

TEST(SegmentAttack, SegmentEndingExactlyAt4GiBDoesNotWrap) {
  // Control for the wrap check: [0xffffff70, 2^32) is representable.
  EXPECT_TRUE(Authentic(resigned_with(decompose(signed_single()), 0, 0, Phdr::kPaddr, 0xFFFFFF70)));
}

TEST(SegmentAttack, FileBytesPastTheImageSlot) {
  // Image 1's segment is made to end inside image 2's bytes: the bytes exist in the file but
  // not in image 1's IMGSIZE slot.
  RawImage raw = decompose(signed_multi());
  const auto offset = static_cast<uint32_t>(raw.images[0].size() - 0x10);
  EXPECT_TRUE(Rejected(resigned_with(raw, 0, 0, Phdr::kOffset, offset), kBadFormat,
                       "program headers",
                       fmt::format("image 1 segment 0: p_offset ({:#x}) + p_filesz (0x2c) is past "
                                   "the image size ({:#x})",
                                   offset, raw.images[0].size())));
}

// ---- H7: the boot address (BOOTADDR) must be aligned and inside a signed segment ------------

image::VerifyReport with_boot_address(uint32_t address) {
  SignOptions options;
  options.platform.push_back(
      {image::tlv::kBootAddr,
       {static_cast<uint8_t>(address), static_cast<uint8_t>(address >> 8),
        static_cast<uint8_t>(address >> 16), static_cast<uint8_t>(address >> 24)}});
  return verify_with(sign_elfs({vector_elf("rsc.elf")}, test_key("rsa2048"), options),
                     test_key("rsa2048"));
}

TEST(BootAddressAttack, VectorTableAtTheCodeSegmentIsAccepted) {
  EXPECT_TRUE(Authentic(with_boot_address(0x80100000)));
}

TEST(BootAddressAttack, UnalignedBootAddress) {
  EXPECT_TRUE(Rejected(with_boot_address(0x80100004), TeeCode::kBadParameters, "boot address",
                       "boot address 0x80100004 is not 128-byte aligned"));
}

TEST(BootAddressAttack, BootAddressInBssHasNoSignedBytes) {
  EXPECT_TRUE(Rejected(with_boot_address(0x80A00100), TeeCode::kBadParameters, "boot address",
                       "boot address 0x80a00100: its initial SP and PC are not inside the file "
                       "bytes of any signed PT_LOAD segment"));
}

TEST(BootAddressAttack, BootAddressOutsideEverySegment) {
  EXPECT_TRUE(Rejected(with_boot_address(0x90000000), TeeCode::kBadParameters, "boot address",
                       "boot address 0x90000000: its initial SP and PC are not inside"));
}

}  // namespace
}  // namespace rproctee::test
