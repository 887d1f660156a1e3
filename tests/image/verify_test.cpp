#include "image/verify.hpp"

#include <gtest/gtest.h>

#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/test_data.hpp"

namespace rproctee::image {
namespace {

TEST(Verify, ReportsImagesSegmentsAndTable) {
  const auto fw = test::make_firmware(4096, test::demo_resource_table());
  test::SignOptions opts;
  opts.platform = {{tlv::kBootAddr, {0, 0, 0x10, 0x80}}};
  const auto file = test::sign_elfs({fw}, test::test_key("p256"), opts);
  const auto r = test::verify_with(file, test::test_key("p256"));
  ASSERT_TRUE(r.authentic()) << r.check << ": " << r.error.message;
  EXPECT_EQ(r.check, "resource table");  // the last stage ran
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0].entry, 0x80100041u);
  ASSERT_EQ(r.images[0].segments.size(), 3u);
  for (const auto& s : r.images[0].segments) EXPECT_EQ(s.digest, DigestStatus::kMatch);
  ASSERT_TRUE(r.images[0].rsc_table);
  EXPECT_EQ(r.images[0].rsc_location->address, 0x81200000u);
  EXPECT_EQ(r.tlvs->boot_addr, 0x80100000u);
}

TEST(Verify, AnyKeyOfSeveralMayMatch) {
  const auto file = test::sign_elfs({test::make_firmware(256, {})}, test::test_key("rsa3072"));
  VerifyOptions opts;
  opts.keys = {test::test_key("p256").verifier, test::test_key("rsa2048").verifier,
               test::test_key("rsa3072").verifier};
  auto r = verify_signed_image(file, opts);
  ASSERT_TRUE(r.authentic()) << r.error.message;
  EXPECT_EQ(r.key_index, 2u);
  opts.keys.pop_back();
  r = verify_signed_image(file, opts);
  ASSERT_FALSE(r.authentic());
  EXPECT_EQ(r.error.code, TeeCode::kSignatureInvalid);
  EXPECT_NE(r.error.message.find("verifies with none of the 2 keys"), std::string::npos);
}

TEST(Verify, NoKeyIsNeverAuthentic) {
  const auto file = test::sign_elfs({test::make_firmware(256, {})}, test::test_key("rsa2048"));
  auto r = verify_signed_image(file, {});
  EXPECT_FALSE(r.authentic());
  EXPECT_EQ(r.error.code, TeeCode::kSignatureInvalid);
}

TEST(Verify, SegmentDigestMismatchNamesTheSegment) {
  auto raw =
      test::decompose(test::sign_elfs({test::make_firmware(512, {})}, test::test_key("rsa2048")));
  // Flip a code byte (inside segment 0, after the vector table): the TLVs are unchanged.
  const auto view = Elf32View::parse(raw.images[0], "x");
  raw.images[0][view->phdrs()[0].offset + 100] ^= 0xFF;
  const auto file = test::assemble_raw(raw);
  const auto r = test::verify_with(file, test::test_key("rsa2048"));
  ASSERT_FALSE(r.authentic());
  EXPECT_EQ(r.error.code, TeeCode::kSecurity);
  EXPECT_EQ(r.check, "segment digests");
  EXPECT_NE(r.error.message.find("image 1 segment 0 (LOAD at 0x80100000"), std::string::npos)
      << r.error.message;
  EXPECT_EQ(r.images[0].segments[0].digest, DigestStatus::kMismatch);
}

TEST(Verify, SignaturePaddingMustBeZero) {
  // A 62-byte signature field leaves 2 padding bytes before the images (sign_len 62, area 64).
  auto raw =
      test::decompose(test::sign_elfs({test::make_firmware(256, {})}, test::test_key("p256")));
  raw.signature.resize(62);
  auto file = test::assemble_raw(raw);
  const size_t pad_at = 20 + test::get_u32(file, 8) + 62;
  file[pad_at] = 0x01;
  const auto r = test::verify_with(file, test::test_key("p256"));
  ASSERT_FALSE(r.authentic());
  EXPECT_EQ(r.check, "header");
  EXPECT_NE(r.error.message.find("padding bytes after the 62-byte signature are not zero"),
            std::string::npos)
      << r.error.message;
}

}  // namespace
}  // namespace rproctee::image
