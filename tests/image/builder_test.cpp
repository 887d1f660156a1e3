#include "image/builder.hpp"

#include <gtest/gtest.h>

#include "common/byte_reader.hpp"
#include "image/container.hpp"
#include "image/format.hpp"
#include "image/tlv.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/test_data.hpp"

namespace rproctee::image {
namespace {

std::vector<uint32_t> tlv_types(std::span<const uint8_t> file) {
  auto areas = split_container(file);
  std::vector<Tlv> tlvs;
  EXPECT_TRUE(walk_tlvs(areas->tlv_area, areas->layout.header.tlv_len, tlvs));
  std::vector<uint32_t> types;
  for (const auto& t : tlvs) types.push_back(t.type);
  return types;
}

TEST(Builder, UpstreamAndStTlvOrders) {
  const auto elf = test::read_bytes(test::vectors_dir() / "elf" / "rsc.elf");
  const auto& key = test::test_key("rsa2048");
  test::SignOptions opts;
  opts.platform = {{tlv::kBootAddr, {0, 0, 0x10, 0x80}}};
  opts.key_info = std::vector<uint8_t>{1, 2, 3};
  EXPECT_EQ(
      tlv_types(test::sign_elfs({elf}, key, opts)),
      (std::vector<uint32_t>{tlv::kSignType, tlv::kNumImg, tlv::kImgType, tlv::kImgSize,
                             tlv::kHashType, tlv::kHashTable, tlv::kPKeyInfo, tlv::kBootAddr}));
  opts.order = TlvOrder::kSt;
  EXPECT_EQ(tlv_types(test::sign_elfs({elf}, key, opts)),
            (std::vector<uint32_t>{tlv::kSignType, tlv::kHashTable, tlv::kNumImg, tlv::kImgType,
                                   tlv::kImgSize, tlv::kHashType, tlv::kPKeyInfo, tlv::kBootAddr}));
  opts.enc_key = std::vector<uint8_t>(32, 7);
  const auto aligned = test::read_bytes(test::vectors_dir() / "elf" / "rsc_aligned16.elf");
  EXPECT_EQ(tlv_types(test::sign_elfs({aligned}, key, opts)),
            (std::vector<uint32_t>{tlv::kSignType, tlv::kEncType, tlv::kEncTable, tlv::kNumImg,
                                   tlv::kImgType, tlv::kImgSize, tlv::kHashType, tlv::kPKeyInfo,
                                   tlv::kBootAddr}));
}

TEST(Builder, ImagesAreCopiedVerbatimAndPaddedTo8) {
  auto elf = test::make_firmware(100, {});
  elf.push_back(0x5A);  // odd size
  const auto file = test::sign_elfs({elf, test::make_firmware(64, {})}, test::test_key("rsa2048"));
  auto areas = split_container(file);
  ASSERT_TRUE(areas);
  EXPECT_TRUE(std::equal(elf.begin(), elf.end(), areas->images.begin()));
  const size_t pad = round_up8(elf.size()) - elf.size();
  for (size_t i = 0; i < pad; ++i) EXPECT_EQ(areas->images[elf.size() + i], 0);
  EXPECT_EQ(file.size() % 8, 4u);  // 20-byte header, everything after padded to 8
}

TEST(Builder, EncryptionNeedsBlockMultiples) {
  BuildParams p;
  const auto elf = test::make_firmware(100, {});  // 100-byte code segment
  p.images = {{"fw.elf", elf}};
  p.signature_size = 256;
  p.enc_key = std::vector<uint8_t>(16, 1);
  auto u = build_unsigned(p);
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("fw.elf: segment 0 p_filesz (0x64) is not a multiple of 16"),
            std::string::npos)
      << u.error().message;
  p.enc_key = std::vector<uint8_t>(15, 1);
  u = build_unsigned(p);
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("an AES key is 16, 24 or 32 raw bytes"), std::string::npos);
}

TEST(Builder, GivenIvsMakeEncryptionDeterministic) {
  const auto elf = test::read_bytes(test::vectors_dir() / "elf" / "rsc_aligned16.elf");
  BuildParams p;
  p.images = {{"fw", elf}};
  p.signature_size = 256;
  p.enc_key = std::vector<uint8_t>(32, 3);
  p.order = TlvOrder::kSt;
  p.ivs = std::vector<std::array<uint8_t, 16>>{{}, {}};
  (*p.ivs)[1][0] = 9;
  auto a = build_unsigned(p);
  auto b = build_unsigned(p);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->to_be_signed(), b->to_be_signed());
  EXPECT_NE(std::vector<uint8_t>(a->images[0].begin(), a->images[0].end()), elf);
  p.ivs.reset();
  auto c = build_unsigned(p);
  EXPECT_NE(c->to_be_signed(), a->to_be_signed());  // random IVs
}

TEST(Builder, RejectsNonElfInputsWithTheirName) {
  BuildParams p;
  const std::vector<uint8_t> junk(100, 0x41);
  p.images = {{"notes.txt", junk}};
  auto u = build_unsigned(p);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().message.rfind("notes.txt: ELF magic is 41 41 41 41", 0), 0u)
      << u.error().message;
  p.images.clear();
  EXPECT_FALSE(build_unsigned(p));
}

TEST(CheckLoadable, CatchesWhatTheTaWouldReject) {
  BuildParams p;
  const auto fw = test::make_firmware(256, test::demo_resource_table());
  p.images = {{"a", fw}};
  EXPECT_TRUE(check_loadable(p));
  p.order = TlvOrder::kSt;
  p.platform = {{tlv::kBootAddr, {0x40, 0, 0x10, 0x80}}};  // 0x80100040: not 128-aligned
  EXPECT_FALSE(check_loadable(p));
  p.platform.clear();
  p.images = {{"a", fw}, {"b", fw}};  // overlapping images
  auto r = check_loadable(p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("segments overlap"), std::string::npos);
}

// 0x10001/0x10002 are ST's BOOTADDR/BOOTSEC only in ST's order; upstream gives them no meaning.
TEST(CheckLoadable, BootTlvsMeanSomethingOnlyInStOrder) {
  BuildParams p;
  const auto fw = test::make_firmware(256, test::demo_resource_table());
  p.images = {{"a", fw}};
  const std::vector<std::pair<PlatformTlv, std::string>> wrong = {
      {{tlv::kBootAddr, {'0', 'X', '1', '0'}}, "0x30315830"},  // a string, not 0x10
      {{tlv::kBootAddr, {0x40, 0, 0x10, 0x80}}, "128-byte aligned"},
      {{tlv::kBootAddr, {0x10}}, "is 1 bytes long"},
      {{tlv::kBootSec, {2, 0, 0, 0}}, "ST's BOOTSEC) is 2"},
      {{tlv::kBootSec, {'s', 'e', 'c'}}, "is 3 bytes long"},
  };
  for (const auto& [tlv_value, why] : wrong) {
    p.platform = {tlv_value};
    p.order = TlvOrder::kUpstream;
    EXPECT_TRUE(check_loadable(p)) << why;
    const auto st = check_st_boot_tlvs(p);
    ASSERT_FALSE(st) << why;
    EXPECT_NE(st.error().message.find(why), std::string::npos) << st.error().message;
    p.order = TlvOrder::kSt;
    const auto refused = check_loadable(p);
    ASSERT_FALSE(refused) << why;
    EXPECT_EQ(refused.error().message, st.error().message);
  }
  p.platform = {{tlv::kBootAddr, {0x00, 0, 0x10, 0x80}}, {tlv::kBootSec, {1, 0, 0, 0}}};
  EXPECT_TRUE(check_st_boot_tlvs(p));
  EXPECT_TRUE(check_loadable(p));
}

TEST(Assemble, SignatureMustHaveTheHeaderLength) {
  BuildParams p;
  const auto fw = test::make_firmware(256, {});
  p.images = {{"a", fw}};
  p.signature_size = 64;
  auto u = build_unsigned(p);
  ASSERT_TRUE(u);
  EXPECT_FALSE(assemble(*u, std::vector<uint8_t>(63)));
  auto f = assemble(*u, std::vector<uint8_t>(64));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size(), u->file_size());
  EXPECT_EQ(f->flatten().size(), f->size());
}

TEST(Builder, TheLayoutIsFinalBeforeTheSegmentsAreHashed) {
  // `sign` writes image_parts() at images_offset() while build_unsigned hashes: both must be
  // what the final file holds, and the table's hashes are filled in only after the callback.
  for (const bool encrypted : {false, true}) {
    BuildParams p;
    auto first = test::make_firmware(96, {});
    const auto second = test::make_firmware(64, {});
    p.signature_size = 384;
    if (encrypted) {
      p.images = {{"a", first}};
      p.enc_key = std::vector<uint8_t>(16, 1);
      p.ivs = std::vector<std::array<uint8_t, 16>>(2, std::array<uint8_t, 16>{9});
    } else {
      first.push_back(0x5A);  // an odd size: padded to 8 in the file
      p.images = {{"a", first}, {"b", second}};
    }
    int calls = 0;
    uint64_t offset_seen = 0;
    std::vector<uint8_t> images_seen, tlvs_seen;
    auto u = build_unsigned(p, [&](const UnsignedImage& laid_out) {
      ++calls;
      offset_seen = laid_out.images_offset();
      for (auto part : laid_out.image_parts())
        images_seen.insert(images_seen.end(), part.begin(), part.end());
      tlvs_seen = laid_out.tlv_area;
    });
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(calls, 1);
    const auto file = assemble(*u, std::vector<uint8_t>(384, 0xEE))->flatten();
    ASSERT_EQ(offset_seen + images_seen.size(), file.size()) << "encrypted " << encrypted;
    EXPECT_TRUE(std::equal(images_seen.begin(), images_seen.end(),
                           file.begin() + static_cast<long>(offset_seen)));
    // Same TLV area but for the 32-byte hashes, which were zero at the callback.
    ASSERT_EQ(tlvs_seen.size(), u->tlv_area.size());
    size_t differing = 0;
    for (size_t i = 0; i < tlvs_seen.size(); ++i) {
      if (tlvs_seen[i] == u->tlv_area[i]) continue;
      ++differing;
      EXPECT_EQ(tlvs_seen[i], 0) << "byte " << i << " changed after the callback";
    }
    EXPECT_GT(differing, 32U) << "no hash filled in after the callback";
    // And the same bytes as a build without a callback.
    EXPECT_EQ(build_unsigned(p)->tlv_area, u->tlv_area);
  }
}

}  // namespace
}  // namespace rproctee::image
