// security.md attack class 7: TLV areas that are correctly signed (re-signed with the test key
// after the change) but not canonical or inconsistent. The walk (H4) must reject trailing
// bytes, overruns, non-zero padding and duplicates with BAD_FORMAT; the decoding must reject
// wrong lengths and values with the codes of image-format.md (BAD_PARAMETERS, NO_DATA,
// BAD_FORMAT, NOT_SUPPORTED), all from the "TLVs" check.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/byte_writer.hpp"
#include "image/format.hpp"
#include "security/attack_support.hpp"

namespace rproctee::test {
namespace {

using namespace attack;  // NOLINT(google-build-using-namespace)
namespace tlv = image::tlv;

constexpr TeeCode kBadFormat = TeeCode::kBadFormat;
constexpr TeeCode kBadParameters = TeeCode::kBadParameters;
constexpr TeeCode kNoData = TeeCode::kNoData;

/// Re-signs `raw` with rsa2048 and verifies it with rsa2048.
image::VerifyReport resign_verify(const RawImage& raw) {
  return verify_with(resign(raw, test_key("rsa2048")), test_key("rsa2048"));
}

/// tlv_len of the unmodified single image (the offset where appended bytes start).
uint32_t base_tlv_len(const RawImage& raw) {
  return get_u32(assemble_raw(raw), 8);
}

std::vector<uint8_t> le32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}

/// A raw TLV header (type, length) followed by `value` bytes, no padding.
std::vector<uint8_t> raw_tlv(uint32_t type, uint32_t length, const std::vector<uint8_t>& value) {
  ByteWriter w;
  w.u32(type);
  w.u32(length);
  w.bytes(value);
  return w.take();
}

TEST(TlvAttack, ResignedUnchangedImagesAreAuthentic) {
  // Control: decompose + resign alone never causes a rejection.
  EXPECT_TRUE(Authentic(resign_verify(decompose(signed_single()))));
  EXPECT_TRUE(Authentic(resign_verify(decompose(signed_multi()))));
}

TEST(TlvAttack, TlvOrderIsFree) {
  // Control: the reference signers use two orders; any order of unique TLVs is canonical.
  RawImage raw = decompose(signed_multi());
  std::reverse(raw.tlvs.begin(), raw.tlvs.end());
  EXPECT_TRUE(Authentic(resign_verify(raw)));
}

// ---- The walk: trailing bytes, overruns, padding, duplicates -> BAD_FORMAT ------------------

TEST(TlvAttack, TrailingBytesTooShortForATlvHeader) {
  for (size_t n = 1; n < 8; ++n) {
    SCOPED_TRACE(fmt::format("{} trailing bytes", n));
    RawImage raw = decompose(signed_single());
    const uint32_t at = base_tlv_len(raw);
    raw.extra_tlv_bytes.assign(n, 0xEE);
    EXPECT_TRUE(
        Rejected(resign_verify(raw), kBadFormat, "TLVs",
                 fmt::format("TLV area: {} trailing bytes at offset {:#x} are too short for "
                             "a TLV header (tlv_len {})",
                             n, at, at + n)));
  }
}

TEST(TlvAttack, TrailingZeroBytesAreATlvOfUnknownType0) {
  RawImage raw = decompose(signed_single());
  const uint32_t at = base_tlv_len(raw);
  raw.extra_tlv_bytes.assign(8, 0);
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       fmt::format("TLV type 0x0 at offset {:#x} is neither a known type nor in "
                                   "the platform range",
                                   at)));
}

TEST(TlvAttack, TlvOverrunningTheArea) {
  RawImage raw = decompose(signed_single());
  const uint32_t at = base_tlv_len(raw);
  raw.extra_tlv_bytes = raw_tlv(0x10010, 100, std::vector<uint8_t>(8, 0x55));
  const uint32_t tlv_len = at + 16;
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       fmt::format("TLV 0x10010 at offset {:#x}: length 100 runs {} bytes past "
                                   "tlv_len ({})",
                                   at, at + 8 + 100 - tlv_len, tlv_len)));
}

TEST(TlvAttack, TlvLengthFFFFFFFF) {
  RawImage raw = decompose(signed_single());
  const uint32_t at = base_tlv_len(raw);
  raw.extra_tlv_bytes = raw_tlv(tlv::kPKeyInfo, 0xFFFFFFFF, std::vector<uint8_t>(8, 0));
  EXPECT_TRUE(
      Rejected(resign_verify(raw), kBadFormat, "TLVs",
               fmt::format("TLV PKEYINFO (0x11) at offset {:#x}: length 4294967295 runs", at)));
}

TEST(TlvAttack, KnownTlvOverrunningTheArea) {
  // The last TLV (HASHTABLE) claims 8 more bytes than the area holds.
  RawImage raw = decompose(signed_single());
  const uint32_t at = base_tlv_len(raw);
  const auto table = raw.tlv(tlv::kHashTable);
  raw.remove_tlv(tlv::kHashTable);
  const uint32_t table_at = base_tlv_len(raw);
  raw.extra_tlv_bytes = raw_tlv(tlv::kHashTable, static_cast<uint32_t>(table.size() + 8), table);
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       fmt::format("TLV HASHTABLE (0x10) at offset {:#x}: length {} runs 8 bytes "
                                   "past tlv_len ({})",
                                   table_at, table.size() + 8, at)));
}

TEST(TlvAttack, NonZeroPaddingAfterAValue) {
  RawImage raw = decompose(signed_single());
  const uint32_t at = base_tlv_len(raw);
  raw.extra_tlv_bytes = raw_tlv(0x10010, 1, {'a', 0, 0, 0, 0, 0, 0, 1});
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       fmt::format("TLV 0x10010 at offset {:#x}: padding after the value is not "
                                   "zero",
                                   at)));
}

TEST(TlvAttack, DuplicateSignType) {
  RawImage raw = decompose(signed_single());
  const uint32_t at = base_tlv_len(raw);
  raw.tlvs.emplace_back(tlv::kSignType, std::vector<uint8_t>{1});
  EXPECT_TRUE(
      Rejected(resign_verify(raw), kBadFormat, "TLVs",
               fmt::format("TLV SIGNTYPE (0x1) appears twice (offsets 0x0 and {:#x})", at)));
}

TEST(TlvAttack, DuplicateSignTypeWithAnotherValueFirst) {
  // An ECDSA SIGNTYPE in front of the real one: still a duplicate, whatever the order.
  RawImage raw = decompose(signed_single());
  raw.tlvs.insert(raw.tlvs.begin(), {tlv::kSignType, std::vector<uint8_t>{2}});
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       "TLV SIGNTYPE (0x1) appears twice (offsets 0x0 and 0x10)"));
}

TEST(TlvAttack, DuplicateHashTable) {
  RawImage raw = decompose(signed_single());
  const uint32_t at = base_tlv_len(raw);
  const size_t table_size = raw.tlv(tlv::kHashTable).size();
  raw.tlvs.emplace_back(tlv::kHashTable, raw.tlv(tlv::kHashTable));
  // Upstream order: HASHTABLE is the last TLV of the original area.
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       fmt::format("TLV HASHTABLE (0x10) appears twice (offsets {:#x} and {:#x})",
                                   at - 8 - table_size, at)));
}

TEST(TlvAttack, DuplicateNumImgAndPlatformTlv) {
  {
    RawImage raw = decompose(signed_single());
    raw.tlvs.emplace_back(tlv::kNumImg, std::vector<uint8_t>{1});
    EXPECT_TRUE(
        Rejected(resign_verify(raw), kBadFormat, "TLVs", "TLV NUM_IMG (0x3) appears twice"));
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlvs.emplace_back(tlv::kBootAddr, le32(0x80100000));
    raw.tlvs.emplace_back(tlv::kBootAddr, le32(0x80a00000));
    EXPECT_TRUE(
        Rejected(resign_verify(raw), kBadFormat, "TLVs", "TLV BOOTADDR (0x10001) appears twice"));
  }
}

// ---- Lengths and values -> BAD_PARAMETERS / NO_DATA / BAD_FORMAT / NOT_SUPPORTED ------------

TEST(TlvAttack, SignTypeLength2) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kSignType) = {1, 0};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "TLV SIGNTYPE (0x1) is 2 bytes long, expected 1"));
}

TEST(TlvAttack, SignTypeLength0) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kSignType).clear();
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "TLV SIGNTYPE (0x1) is 0 bytes long, expected 1"));
}

TEST(TlvAttack, SignTypeUnknown) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kSignType) = {3};
  EXPECT_TRUE(Rejected(resign_verify(raw), TeeCode::kNotSupported, "TLVs",
                       "SIGNTYPE is 3: only 1 (RSA PKCS#1 v1.5) and 2 (ECDSA P-256) exist"));
}

TEST(TlvAttack, HashType2) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kHashType) = {2};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "HASHTYPE is 2: only 1 (SHA-256) exists"));
}

TEST(TlvAttack, HashTypeLength2) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kHashType) = {1, 1};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "TLV HASHTYPE (0x2) is 2 bytes long, expected 1"));
}

TEST(TlvAttack, NumImg0) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kNumImg) = {0};
  EXPECT_TRUE(
      Rejected(resign_verify(raw), kNoData, "TLVs", "NUM_IMG is 0: the image holds no firmware"));
}

TEST(TlvAttack, NumImgLength2) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kNumImg) = {1, 0};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       "TLV NUM_IMG (0x3) is 2 bytes long, expected 1"));
}

TEST(TlvAttack, NumImgAboveTheLimit) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kNumImg) = {17};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "NUM_IMG is 17, more than the 16 supported"));
}

TEST(TlvAttack, NumImg2ForOneImage) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kNumImg) = {2};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "IMGTYPE is 1 bytes long but NUM_IMG is 2"));
}

TEST(TlvAttack, ImgTypeLongerThanNumImg) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kImgType) = {1, 1};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "IMGTYPE is 2 bytes long but NUM_IMG is 1"));
}

TEST(TlvAttack, ImgTypeEmpty) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kImgType).clear();
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "IMGTYPE is 0 bytes long but NUM_IMG is 1"));
}

TEST(TlvAttack, ImgTypeShorterThanNumImgInMulti) {
  RawImage raw = decompose(signed_multi());
  raw.tlv(tlv::kImgType) = {1};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "IMGTYPE is 1 bytes long but NUM_IMG is 2"));
}

TEST(TlvAttack, ImgTypeUnknownForImage2) {
  RawImage raw = decompose(signed_multi());
  raw.tlv(tlv::kImgType) = {1, 3};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       "IMGTYPE of image 2 is 3: only 1 (ELF) and 2 (encrypted ELF) exist"));
}

TEST(TlvAttack, ImgTypeEncryptedWithAHashTable) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kImgType) = {2};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       "encrypted images carry ENCTABLE, but a HASHTABLE is present"));
}

TEST(TlvAttack, ImgTypeMixed) {
  RawImage raw = decompose(signed_multi());
  raw.tlv(tlv::kImgType) = {1, 2};
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       "IMGTYPE mixes plain and encrypted ELF images"));
}

TEST(TlvAttack, EncryptionTlvsWithPlainImages) {
  {
    RawImage raw = decompose(signed_single());
    raw.tlvs.emplace_back(tlv::kEncType, std::vector<uint8_t>{1});
    EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                         "ENCTYPE is present but IMGTYPE says the images are not encrypted"));
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlvs.emplace_back(tlv::kEncTable, std::vector<uint8_t>(80, 0));
    EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                         "ENCTABLE is present but IMGTYPE says the images are not encrypted"));
  }
}

TEST(TlvAttack, ImgSizeLengthNotFourTimesNumImg) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kImgSize).resize(8, 0);
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "IMGSIZE is 8 bytes long but NUM_IMG 1 needs 4"));
}

TEST(TlvAttack, ImgSizeSumAboveImgLen) {
  RawImage raw = decompose(signed_single());
  const uint32_t size = get_u32(raw.tlv(tlv::kImgSize), 0);
  put_u32(raw.tlv(tlv::kImgSize), 0, size + 8);
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       fmt::format("IMGSIZE entries add up to {} bytes but the header's img_len "
                                   "is {}",
                                   size + 8, size)));
}

TEST(TlvAttack, ImgSizeSumBelowImgLen) {
  RawImage raw = decompose(signed_single());
  const uint32_t size = get_u32(raw.tlv(tlv::kImgSize), 0);
  put_u32(raw.tlv(tlv::kImgSize), 0, size - 8);
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       fmt::format("IMGSIZE entries add up to {} bytes but the header's img_len "
                                   "is {}",
                                   size - 8, size)));
}

TEST(TlvAttack, ImgSizeSumMismatchThroughImage2) {
  RawImage raw = decompose(signed_multi());
  auto& sizes = raw.tlv(tlv::kImgSize);
  const uint32_t a = get_u32(sizes, 0), b = get_u32(sizes, 4);
  put_u32(sizes, 4, b + 16);
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       fmt::format("IMGSIZE entries add up to {} bytes but the header's img_len "
                                   "is {}",
                                   a + b + 16, a + b)));
}

TEST(TlvAttack, ImgSizeSplitShiftedBetweenImages) {
  // The sum still equals img_len, but image 2's slot now starts 8 bytes into its ELF.
  RawImage raw = decompose(signed_multi());
  auto& sizes = raw.tlv(tlv::kImgSize);
  put_u32(sizes, 0, get_u32(sizes, 0) + 8);
  put_u32(sizes, 4, get_u32(sizes, 4) - 8);
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "ELF headers",
                       "image 2: ELF magic is 00 00 00 00, expected 7f 45 4c 46"));
}

TEST(TlvAttack, ImgSizeNotAMultipleOf8) {
  RawImage raw = decompose(signed_multi());
  auto& sizes = raw.tlv(tlv::kImgSize);
  const uint32_t a = get_u32(sizes, 0);
  put_u32(sizes, 0, a - 4);
  put_u32(sizes, 4, get_u32(sizes, 4) + 4);
  EXPECT_TRUE(Rejected(
      resign_verify(raw), kBadParameters, "TLVs",
      fmt::format("IMGSIZE of image 1 is {}: it must be a non-zero multiple of 8", a - 4)));
}

TEST(TlvAttack, ImgSizeZeroForImage1) {
  RawImage raw = decompose(signed_multi());
  auto& sizes = raw.tlv(tlv::kImgSize);
  put_u32(sizes, 4, get_u32(sizes, 0) + get_u32(sizes, 4));
  put_u32(sizes, 0, 0);
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "IMGSIZE of image 1 is 0: it must be a non-zero multiple of 8"));
}

TEST(TlvAttack, RequiredTlvMissing) {
  const std::pair<uint32_t, const char*> required[] = {{tlv::kHashType, "HASHTYPE (0x2)"},
                                                       {tlv::kNumImg, "NUM_IMG (0x3)"},
                                                       {tlv::kImgType, "IMGTYPE (0x4)"},
                                                       {tlv::kImgSize, "IMGSIZE (0x5)"},
                                                       {tlv::kHashTable, "HASHTABLE (0x10)"}};
  for (const auto& [type, name] : required) {
    SCOPED_TRACE(name);
    RawImage raw = decompose(signed_single());
    raw.remove_tlv(type);
    EXPECT_TRUE(Rejected(resign_verify(raw), kNoData, "TLVs",
                         fmt::format("required TLV {} is missing", name)));
  }
}

TEST(TlvAttack, SignTypeMissing) {
  // The upstream TA answers BAD_PARAMETERS here (not NO_DATA as for the other TLVs).
  RawImage raw = decompose(signed_single());
  raw.remove_tlv(tlv::kSignType);
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "required TLV SIGNTYPE (0x1) is missing"));
}

TEST(TlvAttack, HashTableNotAMultipleOf64) {
  for (const int delta : {-1, 1, -63}) {
    SCOPED_TRACE(delta);
    RawImage raw = decompose(signed_single());
    auto& table = raw.tlv(tlv::kHashTable);
    table.resize(static_cast<size_t>(static_cast<long>(table.size()) + delta), 0);
    EXPECT_TRUE(Rejected(
        resign_verify(raw), kBadParameters, "TLVs",
        fmt::format("HASHTABLE is {} bytes: it must be a non-zero multiple of 64", table.size())));
  }
}

TEST(TlvAttack, HashTableEmpty) {
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kHashTable).clear();
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                       "HASHTABLE is 0 bytes: it must be a non-zero multiple of 64"));
}

TEST(TlvAttack, HashTableOneEntryShort) {
  // A well-formed table with fewer entries than the ELF has program headers (H5).
  RawImage raw = decompose(signed_single());
  raw.tlv(tlv::kHashTable).resize(64);
  EXPECT_TRUE(Rejected(resign_verify(raw), TeeCode::kSecurity, "program headers",
                       "the images declare 2 program headers (2) but the signed table has 1 "
                       "entries"));
}

TEST(TlvAttack, HashTableOneEntryTooMany) {
  RawImage raw = decompose(signed_single());
  auto& table = raw.tlv(tlv::kHashTable);
  table.insert(table.end(), table.begin(), table.begin() + 64);
  EXPECT_TRUE(Rejected(resign_verify(raw), TeeCode::kSecurity, "program headers",
                       "the images declare 2 program headers (2) but the signed table has 3 "
                       "entries"));
}

TEST(TlvAttack, UnknownGenericType) {
  RawImage raw = decompose(signed_single());
  const uint32_t at = base_tlv_len(raw);
  raw.tlvs.emplace_back(0x20, std::vector<uint8_t>{1});
  EXPECT_TRUE(Rejected(resign_verify(raw), kBadFormat, "TLVs",
                       fmt::format("TLV type 0x20 at offset {:#x} is neither a known type nor in "
                                   "the platform range 0x10000..0x1ffff",
                                   at)));
}

TEST(TlvAttack, BootSecAndBootAddrValues) {
  {
    RawImage raw = decompose(signed_single());
    raw.tlvs.emplace_back(tlv::kBootSec, le32(2));
    EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                         "BOOTSEC is 2: only 0 (non-secure) and 1 (secure) exist"));
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlvs.emplace_back(tlv::kBootAddr, std::vector<uint8_t>{0x00, 0x80});
    EXPECT_TRUE(Rejected(resign_verify(raw), kBadParameters, "TLVs",
                         "TLV BOOTADDR (0x10001) is 2 bytes long, expected a 4-byte value"));
  }
}

TEST(TlvAttack, KeyInfoAndUnknownPlatformTlvsAreExposedNotTrusted) {
  // Control: PKEYINFO and platform TLVs outside the known names are accepted and reported.
  RawImage raw = decompose(signed_single());
  raw.tlvs.emplace_back(tlv::kPKeyInfo, std::vector<uint8_t>{'k', 'i'});
  raw.tlvs.emplace_back(0x1FFFF, le32(0xDEADBEEF));
  const auto file = resign(raw, test_key("rsa2048"));  // the report's spans point into it
  const auto report = verify_with(file, test_key("rsa2048"));
  ASSERT_TRUE(Authentic(report));
  ASSERT_TRUE(report.tlvs && report.tlvs->key_info);
  EXPECT_EQ(std::vector<uint8_t>(report.tlvs->key_info->begin(), report.tlvs->key_info->end()),
            (std::vector<uint8_t>{'k', 'i'}));
  ASSERT_NE(report.tlvs->find_platform(0x1FFFF), nullptr);
  EXPECT_EQ(report.key_index, 0u);
}

}  // namespace
}  // namespace rproctee::test
