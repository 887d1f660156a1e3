// security.md attack classes 1, 2, 13 and 14 (and the boot-address part of H7): the ELF
// container of each image. Classes 1, 2 and 13 change only unsigned ELF bytes (the header,
// TLVs and signature stay valid, so the verifier must notice by itself); class 14 re-signs
// ELFs whose signed program headers are semantically wrong. The rows:
// program_header_attacks(), elf_header_attacks(), segment_attacks() and
// boot_address_attacks() (security/attack_cases.cpp).
//
// Not covered here: the class 14 cases "a segment straddling two regions" and "a segment
// outside every region" need a platform (memory regions): tests/tee/ta_attacks_test.cpp has
// them; the offline verifier has no regions to check against.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "security/attack_cases.hpp"

namespace rproctee::test {
namespace {

using namespace attack;  // NOLINT(google-build-using-namespace)

constexpr TeeCode kBadFormat = TeeCode::kBadFormat;

/// The verifier's answer for `raw` assembled as is (no re-signing) with rsa2048.
image::VerifyReport verify_raw(const RawImage& raw) {
  return verify_with(assemble_raw(raw), test_key("rsa2048"));
}

std::string row_name(const ::testing::TestParamInfo<ImageAttack>& p) {
  return p.param.name;
}

// ---- Classes 1 and 2: signed segments omitted; duplicated / swapped / moved headers ---------

class ProgramHeaderAttacks : public ::testing::TestWithParam<ImageAttack> {};

TEST_P(ProgramHeaderAttacks, Rejected) {
  EXPECT_TRUE(RejectedOffline(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Class1And2, ProgramHeaderAttacks,
                         ::testing::ValuesIn(program_header_attacks()), row_name);

TEST(ProgramHeaderAttack, DecomposeAssembleRoundTripIsExactAndAuthentic) {
  // The attacks rely on assemble_raw(decompose(f)) reproducing f, so that a rejection can only
  // come from the mutation.
  for (const auto& file : {signed_single(), signed_multi()}) {
    EXPECT_EQ(assemble_raw(decompose(file)), file);
    EXPECT_TRUE(Authentic(verify_with(file, test_key("rsa2048"))));
  }
}

TEST(ProgramHeaderAttack, EveryFieldRowsCoverEveryHeader) {
  // The "EveryFieldOfEveryHeaderIsCompared" rows change each of the 8 words of these headers:
  // all the headers of both images.
  const RawImage raw = decompose(signed_multi());
  std::vector<std::pair<size_t, size_t>> headers;
  for (size_t image = 0; image < raw.images.size(); ++image)
    for (size_t k = 0; k < get_u16(raw.images[image], ehdr::kPhnum); ++k)
      headers.emplace_back(image, k);
  const std::vector<std::pair<size_t, size_t>> rows_change(kMultiImageHeaders.begin(),
                                                           kMultiImageHeaders.end());
  EXPECT_EQ(headers, rows_change);
  size_t rows = 0;
  for (const ImageAttack& a : program_header_attacks())
    rows += a.name.starts_with("EveryFieldOfEveryHeaderIsCompared_");
  EXPECT_EQ(rows, 3u * 8u);
}

TEST(ProgramHeaderAttack, TableMovedByEPhoffWithTheSignedContentIsAccepted) {
  // Control for TableMovedByEPhoffAndReordered: where the table lies is not signed, its
  // content is.
  RawImage raw = decompose(signed_single());
  auto& img = raw.images[0];
  copy_bytes(img, phdr_offset(img, 0), kUnsignedSpot, 64);
  put_u32(img, ehdr::kPhoff, kUnsignedSpot);
  EXPECT_TRUE(Authentic(verify_raw(raw)));
}

// ---- Class 13: per-image ELF header checks, image 1 and image 2 -> BAD_FORMAT ---------------

class ElfHeaderAttack : public ::testing::TestWithParam<ImageAttack> {};

TEST_P(ElfHeaderAttack, RejectedWithBadFormatNamingTheImage) {
  EXPECT_TRUE(RejectedOffline(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Class13, ElfHeaderAttack, ::testing::ValuesIn(elf_header_attacks()),
                         row_name);

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

class SegmentAttacks : public ::testing::TestWithParam<ImageAttack> {};

TEST_P(SegmentAttacks, Rejected) {
  EXPECT_TRUE(RejectedOffline(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Class14, SegmentAttacks, ::testing::ValuesIn(segment_attacks()), row_name);

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

TEST(SegmentAttack, SameAddressInTwoImages) {
  const auto report = resigned_with(decompose(signed_multi()), 0, 0, Phdr::kPaddr, 0x80A00000);
  EXPECT_TRUE(Rejected(report, kBadFormat, "program headers", "segments overlap: "));
  // Both segments start at the same address: either may be named first.
  EXPECT_NE(report.error.message.find("image 1 segment 0 [0x80a00000, 0x80a0012c)"),
            std::string::npos);
  EXPECT_NE(report.error.message.find("image 2 segment 1 [0x80a00000, 0x80a00490)"),
            std::string::npos);
}

TEST(SegmentAttack, TouchingSegmentsDoNotOverlap) {
  // Control for OverlapThroughBssByOneByte: ending exactly where the next segment starts is
  // fine.
  EXPECT_TRUE(Authentic(resigned_with(decompose(signed_multi()), 0, 0, Phdr::kMemsz, 0x100000)));
}

TEST(SegmentAttack, SegmentEndingExactlyAt4GiBDoesNotWrap) {
  // Control for the wrap check: [0xffffff70, 2^32) is representable.
  EXPECT_TRUE(Authentic(resigned_with(decompose(signed_single()), 0, 0, Phdr::kPaddr, 0xFFFFFF70)));
}

// ---- H7: the boot address (BOOTADDR) must be aligned and inside a signed segment ------------

class BootAddressAttacks : public ::testing::TestWithParam<ImageAttack> {};

TEST_P(BootAddressAttacks, Rejected) {
  EXPECT_TRUE(RejectedOffline(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(H7, BootAddressAttacks, ::testing::ValuesIn(boot_address_attacks()),
                         row_name);

TEST(BootAddressAttack, VectorTableAtTheCodeSegmentIsAccepted) {
  SignOptions options;
  options.platform.push_back({image::tlv::kBootAddr, le32(0x80100000)});
  EXPECT_TRUE(Authentic(verify_with(
      sign_elfs({vector_elf("rsc.elf")}, test_key("rsa2048"), options), test_key("rsa2048"))));
}

}  // namespace
}  // namespace rproctee::test
