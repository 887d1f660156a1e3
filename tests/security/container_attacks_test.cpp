// security.md attack classes 4 and 6: the 20-byte header and the signed prefix.
//  4: lengths whose 32-bit round-up or sum wraps (upstream computes ROUNDUP in 32 bits, so
//     tlv_len 0xFFFFFFF9..0xFFFFFFFF rounds to 0 and the TLV walk runs past its buffer) must be
//     BAD_PARAMETERS from the header stage, before anything else is read.
//  6: any change of the header or the TLV area without re-signing must be SIGNATURE_INVALID
//     from the signature stage: no TLV is interpreted before the signature verified.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <vector>

#include "common/byte_reader.hpp"
#include "security/attack_support.hpp"

namespace rproctee::test {
namespace {

using namespace attack;  // NOLINT(google-build-using-namespace)

constexpr TeeCode kBadParameters = TeeCode::kBadParameters;
constexpr TeeCode kSignatureInvalid = TeeCode::kSignatureInvalid;

constexpr size_t kTlvLenAt = 8, kSignLenAt = 12, kImgLenAt = 16;

/// Size of header || TLV area of a signed file.
size_t signed_size(const std::vector<uint8_t>& file) {
  return 20 + round_up8(get_u32(file, kTlvLenAt));
}

/// Nothing after the header stage ran: no layout, no TLV decoded, no key tried.
::testing::AssertionResult StoppedAtHeader(const image::VerifyReport& r) {
  if (r.layout || r.tlvs || r.key_index || !r.images.empty())
    return ::testing::AssertionFailure() << "the verifier went past the header";
  return ::testing::AssertionSuccess();
}

/// The signature failed and no TLV was interpreted.
::testing::AssertionResult StoppedAtSignature(const image::VerifyReport& r) {
  if (!r.layout) return ::testing::AssertionFailure() << "the header did not pass";
  if (r.tlvs || r.key_index || !r.images.empty())
    return ::testing::AssertionFailure() << "TLVs were interpreted before the signature verified";
  return ::testing::AssertionSuccess();
}

/// `file` without the bytes [from, from + size).
std::vector<uint8_t> without(std::vector<uint8_t> file, size_t from, size_t size) {
  file.erase(file.begin() + static_cast<long>(from), file.begin() + static_cast<long>(from + size));
  return file;
}

// ---- Class 4: lengths near 2^32 -> BAD_PARAMETERS from the header, no TLV read -------------

TEST(ContainerAttack, TlvLenWhose32BitRoundUpIsZero) {
  const auto good = signed_single();
  for (uint32_t tlv_len = 0xFFFFFFF9; tlv_len != 0; ++tlv_len) {
    SCOPED_TRACE(fmt::format("tlv_len {:#x}", tlv_len));
    auto file = good;
    put_u32(file, kTlvLenAt, tlv_len);
    const auto report = verify_with(file, test_key("rsa2048"));
    EXPECT_TRUE(Rejected(
        report, kBadParameters, "header",
        fmt::format("header tlv_len is {:#x}, more than the 0x100000-byte limit", tlv_len)));
    EXPECT_TRUE(StoppedAtHeader(report));
  }
}

TEST(ContainerAttack, TlvLenWrapWithTheFileSizeUpstreamWouldExpect) {
  // The file has no TLV area at all, exactly what a 32-bit ROUNDUP(tlv_len) = 0 predicts.
  const auto good = signed_single();
  const auto file0 = without(good, 20, signed_size(good) - 20);
  for (uint32_t tlv_len = 0xFFFFFFF9; tlv_len != 0; ++tlv_len) {
    SCOPED_TRACE(fmt::format("tlv_len {:#x}", tlv_len));
    auto file = file0;
    put_u32(file, kTlvLenAt, tlv_len);
    const auto report = verify_with(file, test_key("rsa2048"));
    EXPECT_TRUE(Rejected(report, kBadParameters, "header",
                         fmt::format("header tlv_len is {:#x}, more than", tlv_len)));
    EXPECT_TRUE(StoppedAtHeader(report));
  }
}

TEST(ContainerAttack, SignLenNear4GiB) {
  const auto good = signed_single();
  const size_t sig_at = signed_size(good);
  const auto no_signature = without(good, sig_at, 256);  // what a 32-bit RU8 = 0 predicts
  for (uint32_t sign_len = 0xFFFFFFF9; sign_len != 0; ++sign_len) {
    for (const auto* base : {&good, &no_signature}) {
      SCOPED_TRACE(fmt::format("sign_len {:#x}, {}-byte file", sign_len, base->size()));
      auto file = *base;
      put_u32(file, kSignLenAt, sign_len);
      const auto report = verify_with(file, test_key("rsa2048"));
      EXPECT_TRUE(Rejected(
          report, kBadParameters, "header",
          fmt::format("header sign_len is {:#x}, more than the 1024-byte limit", sign_len)));
      EXPECT_TRUE(StoppedAtHeader(report));
    }
  }
}

TEST(ContainerAttack, ImgLenNear4GiB) {
  const auto good = signed_single();
  const size_t images_at = signed_size(good) + 256;
  const auto no_images = without(good, images_at, good.size() - images_at);
  for (const uint32_t img_len :
       {0x80000000u, 0xFFFFFFF0u, 0xFFFFFFF8u, 0xFFFFFFF9u, 0xFFFFFFFCu, 0xFFFFFFFFu}) {
    for (const auto* base : {&good, &no_images}) {
      SCOPED_TRACE(fmt::format("img_len {:#x}, {}-byte file", img_len, base->size()));
      auto file = *base;
      put_u32(file, kImgLenAt, img_len);
      const uint64_t total = images_at + round_up8(img_len);  // computed in 64 bits
      const auto report = verify_with(file, test_key("rsa2048"));
      EXPECT_TRUE(Rejected(report, kBadParameters, "header",
                           fmt::format("file is {} bytes shorter than the header says ({} vs {})",
                                       total - file.size(), file.size(), total)));
      EXPECT_TRUE(StoppedAtHeader(report));
    }
  }
}

TEST(ContainerAttack, ZeroLengths) {
  const auto good = signed_single();
  const std::pair<size_t, const char*> cases[] = {
      {kTlvLenAt, "header tlv_len is 0: the TLV area is empty"},
      {kSignLenAt, "header sign_len is 0: no signature"},
      {kImgLenAt, "header img_len is 0: no image"}};
  for (const auto& [at, needle] : cases) {
    auto file = good;
    put_u32(file, at, 0);
    const auto report = verify_with(file, test_key("rsa2048"));
    EXPECT_TRUE(Rejected(report, kBadParameters, "header", needle));
    EXPECT_TRUE(StoppedAtHeader(report));
  }
}

TEST(ContainerAttack, FileOneByteLongerOrShorter) {
  auto longer = signed_single();
  const size_t size = longer.size();
  longer.push_back(0);
  EXPECT_TRUE(Rejected(
      verify_with(longer, test_key("rsa2048")), kBadParameters, "header",
      fmt::format("file is 1 bytes longer than the header says ({} vs {})", size + 1, size)));
  auto shorter = signed_single();
  shorter.pop_back();
  EXPECT_TRUE(Rejected(
      verify_with(shorter, test_key("rsa2048")), kBadParameters, "header",
      fmt::format("file is 1 bytes shorter than the header says ({} vs {})", size - 1, size)));
}

TEST(ContainerAttack, TruncatedHeader) {
  const auto good = signed_single();
  const std::vector<uint8_t> file(good.begin(), good.begin() + 19);
  EXPECT_TRUE(Rejected(verify_with(file, test_key("rsa2048")), kBadParameters, "header",
                       "file is 19 bytes, smaller than the 20-byte header"));
}

TEST(ContainerAttack, BadMagicAndVersion) {
  auto magic = signed_single();
  magic[0] ^= 1;
  EXPECT_TRUE(Rejected(verify_with(magic, test_key("rsa2048")), kBadParameters, "header",
                       "header magic is 0x3543a469, expected 0x3543a468"));
  auto version = signed_single();
  put_u32(version, 4, 2);
  EXPECT_TRUE(Rejected(verify_with(version, test_key("rsa2048")), kBadParameters, "header",
                       "header version is 2, only version 1 exists"));
  EXPECT_TRUE(Rejected(verify_with(vector_elf("rsc.elf"), test_key("rsa2048")), kBadParameters,
                       "header", "this is a plain ELF file, not a signed image"));
}

TEST(ContainerAttack, NonZeroSignaturePadding) {
  // sign_len 255 keeps the total size (RU8 = 256); the last signature byte becomes padding
  // and must be zero, so no unsigned byte can hide there.
  auto file = signed_single();
  put_u32(file, kSignLenAt, 255);
  file[signed_size(file) + 255] = 0xAA;
  EXPECT_TRUE(Rejected(verify_with(file, test_key("rsa2048")), kBadParameters, "header",
                       "the 1 padding bytes after the 255-byte signature are not zero"));
}

// ---- Class 6: header/TLV bytes changed without re-signing -> SIGNATURE_INVALID --------------

struct SignedCase {
  std::string name;
  std::vector<uint8_t> (*make)();
  std::string key;
};

void PrintTo(const SignedCase& c, std::ostream* os) {
  *os << c.name;
}

class SignatureBypassAttack : public ::testing::TestWithParam<SignedCase> {
 protected:
  std::vector<uint8_t> file() const { return GetParam().make(); }
  const TestKey& key() const { return test_key(GetParam().key); }
};

TEST_P(SignatureBypassAttack, UnchangedFileIsAuthentic) {
  EXPECT_TRUE(Authentic(verify_with(file(), key())));
}

TEST_P(SignatureBypassAttack, EveryHeaderBitFlipStopsAtTheHeader) {
  // magic and version are checked first, and every length flip changes the total size.
  const auto good = file();
  int wrong = 0;
  for (size_t at = 0; at < 20; ++at)
    for (int bit = 0; bit < 8; ++bit) {
      auto f = good;
      f[at] = static_cast<uint8_t>(f[at] ^ (1u << bit));
      const auto report = verify_with(f, key());
      if ((!Rejected(report, kBadParameters, "header", "") || !StoppedAtHeader(report)) &&
          ++wrong <= 5)
        ADD_FAILURE() << "byte " << at << " bit " << bit << ": "
                      << Rejected(report, kBadParameters, "header", "").message();
    }
  EXPECT_EQ(wrong, 0);
}

TEST_P(SignatureBypassAttack, EveryTlvBitFlipFailsTheSignatureBeforeAnyTlvIsRead) {
  const auto good = file();
  const size_t end = signed_size(good);
  const std::string needle = "signature does not match the signed data";
  int wrong = 0, flips = 0;
  for (size_t at = 20; at < end; ++at)
    for (int bit = 0; bit < 8; ++bit) {
      auto f = good;
      f[at] = static_cast<uint8_t>(f[at] ^ (1u << bit));
      const auto report = verify_with(f, key());
      ++flips;
      const auto rejected = Rejected(report, kSignatureInvalid, "signature", needle);
      const auto stopped = StoppedAtSignature(report);
      if ((!rejected || !stopped) && ++wrong <= 5)
        ADD_FAILURE() << "byte " << at << " bit " << bit << ": " << rejected.message() << " "
                      << stopped.message();
    }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(flips, static_cast<int>(8 * (end - 20)));
}

TEST_P(SignatureBypassAttack, EverySignatureBitFlipIsRejected) {
  const auto good = file();
  const size_t at0 = signed_size(good);
  const size_t len = get_u32(good, kSignLenAt);
  int wrong = 0;
  for (size_t at = at0; at < at0 + len; ++at)
    for (int bit = 0; bit < 8; ++bit) {
      auto f = good;
      f[at] = static_cast<uint8_t>(f[at] ^ (1u << bit));
      const auto report = verify_with(f, key());
      // Depending on the bit, "does not match", "s >= n" or "r/s not in [1, n-1]".
      const auto rejected = Rejected(report, kSignatureInvalid, "signature", "");
      if ((!rejected || !StoppedAtSignature(report)) && ++wrong <= 5)
        ADD_FAILURE() << "byte " << at << " bit " << bit << ": " << rejected.message();
    }
  EXPECT_EQ(wrong, 0);
}

TEST_P(SignatureBypassAttack, LengthsChangedWithinTheirRoundingNeedTheSignature) {
  // tlv_len - 1..7 and img_len - 1..7 keep the total size: only the signature (which covers
  // the header) can tell, and the TLV walk (which would complain) must not have run.
  const auto good = file();
  for (const size_t at : {kTlvLenAt, kImgLenAt}) {
    ASSERT_EQ(get_u32(good, at) % 8, 0u);
    for (uint32_t d = 1; d < 8; ++d) {
      SCOPED_TRACE(fmt::format("word at {} minus {}", at, d));
      auto f = good;
      put_u32(f, at, get_u32(good, at) - d);
      const auto report = verify_with(f, key());
      EXPECT_TRUE(Rejected(report, kSignatureInvalid, "signature",
                           "signature does not match the signed data"));
      EXPECT_TRUE(StoppedAtSignature(report));
    }
  }
}

TEST_P(SignatureBypassAttack, SignTypeSwitchedWithoutResigning) {
  // SIGNTYPE is the first TLV (value at offset 20 + 8): switching it must not reach the
  // SIGNTYPE check, let alone choose the algorithm.
  auto f = file();
  ASSERT_EQ(get_u32(f, 20), image::tlv::kSignType);
  f[28] = f[28] == 1 ? 2 : 1;
  const auto report = verify_with(f, key());
  EXPECT_TRUE(
      Rejected(report, kSignatureInvalid, "signature", "signature does not match the signed data"));
  EXPECT_TRUE(StoppedAtSignature(report));
}

TEST_P(SignatureBypassAttack, MalformedTlvAreaWithoutResigning) {
  // The first TLV's length becomes 0xFFFFFFFF: a walk would fail with BAD_FORMAT, but no walk
  // may run before the signature.
  auto f = file();
  put_u32(f, 24, 0xFFFFFFFF);
  const auto report = verify_with(f, key());
  EXPECT_TRUE(
      Rejected(report, kSignatureInvalid, "signature", "signature does not match the signed data"));
  EXPECT_TRUE(StoppedAtSignature(report));
}

TEST_P(SignatureBypassAttack, SignatureOfAnotherImageWithTheSameKey) {
  // The signature of a different image (same key, same layout) replayed onto this one.
  const auto good = file();
  RawImage other = decompose(good);
  other.tlvs.emplace_back(0x1FFF0, std::vector<uint8_t>{'x'});
  const auto other_file = resign(other, key());
  ASSERT_TRUE(Authentic(verify_with(other_file, key())));
  auto f = good;
  const size_t at = signed_size(good);
  const size_t len = get_u32(good, kSignLenAt);
  std::copy_n(other_file.begin() + static_cast<long>(signed_size(other_file)), len,
              f.begin() + static_cast<long>(at));
  ASSERT_NE(f, good);
  const auto report = verify_with(f, key());
  EXPECT_TRUE(
      Rejected(report, kSignatureInvalid, "signature", "signature does not match the signed data"));
  EXPECT_TRUE(StoppedAtSignature(report));
}

std::vector<uint8_t> rsa2048_single() {
  return signed_single("rsa2048");
}
std::vector<uint8_t> p256_single() {
  return signed_single("p256");
}
std::vector<uint8_t> rsa3072_multi_with_tlvs() {
  SignOptions options;
  options.platform.push_back({image::tlv::kBootAddr, {0x00, 0x00, 0x00, 0x80}});
  options.platform.push_back({0x10010, {'h', 'e', 'l', 'l', 'o'}});
  options.key_info = std::vector<uint8_t>{'k', 'e', 'y', '-', 'i', 'd'};
  return sign_elfs({vector_elf("tfm.elf"), vector_elf("rsc.elf")}, test_key("rsa3072"), options);
}
std::vector<uint8_t> optee_default_exidx() {
  return sign_elfs({vector_elf("app_exidx.elf")}, test_key("optee_default"));
}
std::vector<uint8_t> p256_multi() {
  return signed_multi("p256");
}

INSTANTIATE_TEST_SUITE_P(Class6, SignatureBypassAttack,
                         ::testing::Values(SignedCase{"Rsa2048Single", rsa2048_single, "rsa2048"},
                                           SignedCase{"P256Single", p256_single, "p256"},
                                           SignedCase{"Rsa3072MultiWithPlatformTlvsAndKeyInfo",
                                                      rsa3072_multi_with_tlvs, "rsa3072"},
                                           SignedCase{"OpteeDefaultExidx", optee_default_exidx,
                                                      "optee_default"},
                                           SignedCase{"P256Multi", p256_multi, "p256"}),
                         [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace rproctee::test
