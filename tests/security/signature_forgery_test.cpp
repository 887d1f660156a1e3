// security.md attack classes 8, 9 and 10: forged signatures and key confusion (H3, H10).
//  8: RSA signatures whose EMSA-PKCS1-v1_5 block is malformed, built with the test private key
//     by the raw RSA operation (s = EM^d mod n), out-of-range values and wrong lengths.
//  9: ECDSA P-256 signatures with r/s out of [1, n-1] or of the wrong length; high S accepted.
// 10: an image signed with another algorithm or an attacker's key named by PKEYINFO, and a
//     SIGNTYPE that disagrees with the key that verified the image.
// Every forgery carries a signature over exactly the bytes of its own header || TLV area (the
// header's sign_len included), so that only the signature's construction is wrong.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "crypto/ecdsa_p256.hpp"
#include "security/attack_support.hpp"
#include "support/forgery.hpp"

namespace rproctee::test {
namespace {

using namespace attack;   // NOLINT(google-build-using-namespace)
using namespace forgery;  // NOLINT(google-build-using-namespace)

constexpr TeeCode kSignatureInvalid = TeeCode::kSignatureInvalid;

Bytes fill(size_t n, uint8_t value) {
  return Bytes(n, value);
}

/// What a block builder gets: the modulus length and the data the signature covers.
struct BlockInput {
  size_t k;
  crypto::Digest sha256;
  Bytes sha1;
};

struct EmVariant {
  std::string name;
  std::function<Bytes(const BlockInput&)> build;
};

std::vector<EmVariant> em_variants() {
  auto h = [](const BlockInput& in) { return Bytes(in.sha256.begin(), in.sha256.end()); };
  return {
      {"GarbageAfterTheDigest",
       [=](const BlockInput& in) {
         return type1_block(in.k, cat({kSha256Info, h(in), fill(8, 0xA5)}));
       }},
      {"DigestInfoLongerWithGarbageInTheOctetString",
       [=](const BlockInput& in) {
         Bytes info = kSha256Info;
         info[1] = 0x32;   // SEQUENCE length + 1
         info[18] = 0x21;  // OCTET STRING of 33 bytes
         return type1_block(in.k, cat({info, h(in), Bytes{0xA5}}));
       }},
      {"DigestInfoShorterWithATruncatedDigest",
       [=](const BlockInput& in) {
         Bytes info = kSha256Info;
         info[1] = 0x30;
         info[18] = 0x1f;
         const Bytes digest = h(in);
         return type1_block(in.k, cat({info, std::span(digest).first(31)}));
       }},
      {"PaddingOf7BytesThenTrailingZeros",
       [=](const BlockInput& in) {
         const Bytes head =
             cat({Bytes{0x00, 0x01}, fill(7, 0xFF), Bytes{0x00}, kSha256Info, h(in)});
         return cat({head, fill(in.k - head.size(), 0x00)});
       }},
      {"PaddingOf7BytesThenLeadingZeros",
       [=](const BlockInput& in) {
         const Bytes tail = cat({kSha256Info, h(in)});
         return cat({Bytes{0x00, 0x01}, fill(7, 0xFF), fill(in.k - 9 - tail.size(), 0x00), tail});
       }},
      {"EmptyPadding",
       [=](const BlockInput& in) {
         const Bytes tail = cat({kSha256Info, h(in)});
         return cat({Bytes{0x00, 0x01}, fill(in.k - 2 - tail.size(), 0x00), tail});
       }},
      {"PaddingByteNotFF",
       [=](const BlockInput& in) {
         Bytes em = type1_block(in.k, cat({kSha256Info, h(in)}));
         em[20] = 0xFE;
         return em;
       }},
      {"BlockType02",
       [=](const BlockInput& in) {
         Bytes em = type1_block(in.k, cat({kSha256Info, h(in)}));
         em[1] = 0x02;
         return em;
       }},
      {"BlockType00",
       [=](const BlockInput& in) {
         Bytes em = type1_block(in.k, cat({kSha256Info, h(in)}));
         em[1] = 0x00;
         return em;
       }},
      {"LeadingByteNotZero",
       [=](const BlockInput& in) {
         Bytes em = type1_block(in.k, cat({kSha256Info, h(in)}));
         em[0] = 0x01;
         return em;
       }},
      {"MissingZeroSeparator",
       [=](const BlockInput& in) {
         Bytes em = type1_block(in.k, cat({kSha256Info, h(in)}));
         em[in.k - kSha256Info.size() - 32 - 1] = 0xFF;
         return em;
       }},
      {"Sha1DigestInfo",
       [=](const BlockInput& in) {
         return type1_block(in.k, cat({kSha1Info, in.sha1}));
       }},
      {"Sha256WithoutNullParameters",
       [=](const BlockInput& in) {
         return type1_block(in.k, cat({kSha256InfoNoNull, h(in)}));
       }},
      {"LongFormSequenceLength",
       [=](const BlockInput& in) {
         return type1_block(in.k, cat({kSha256InfoLongSequence, h(in)}));
       }},
      {"LongFormOctetStringLength",
       [=](const BlockInput& in) {
         return type1_block(in.k, cat({kSha256InfoLongOctets, h(in)}));
       }},
      {"DigestOfOtherData",
       [=](const BlockInput& in) {
         Bytes digest = h(in);
         digest[31] ^= 1;
         return type1_block(in.k, cat({kSha256Info, digest}));
       }},
  };
}

/// A single image signed with `key_name`, taken apart (the forgeries replace its signature).
RawImage rsa_base(const std::string& key_name) {
  return decompose(signed_single(key_name));
}

BlockInput block_input(const RawImage& raw, size_t k) {
  const Bytes prefix = signed_prefix(raw, static_cast<uint32_t>(k));
  return BlockInput{k, crypto::Sha256::of(prefix), sha1(prefix)};
}

class RsaForgery : public ::testing::TestWithParam<std::string> {
 protected:
  const TestKey& key() const { return test_key(GetParam()); }
  size_t k() const { return key().signer.signature_size(); }
  image::VerifyReport verify(const Bytes& file) const { return verify_with(file, key()); }
  /// The message of a signature of the right length and range that does not verify.
  std::string mismatch() const {
    return fmt::format("signature does not match the signed data with {} key",
                       key().verifier.key().describe());
  }
};

TEST_P(RsaForgery, CorrectBlockBuiltByTheHelperVerifies) {
  // Control: the raw private operation on a well-formed block gives a valid signature, and
  // the block is the one the library's encoder produces.
  const RawImage raw = rsa_base(GetParam());
  const BlockInput in = block_input(raw, k());
  const Bytes em = type1_block(k(), cat({kSha256Info, Bytes(in.sha256.begin(), in.sha256.end())}));
  ASSERT_EQ(em.size(), k());
  EXPECT_EQ(rsa_private_raw(key(), em), raw.signature);  // PKCS#1 v1.5 is deterministic
  EXPECT_TRUE(Authentic(verify(with_signature(raw, rsa_private_raw(key(), em)))));
}

TEST_P(RsaForgery, MalformedEncodedMessages) {
  const RawImage raw = rsa_base(GetParam());
  const BlockInput in = block_input(raw, k());
  const Bytes good =
      type1_block(k(), cat({kSha256Info, Bytes(in.sha256.begin(), in.sha256.end())}));
  for (const EmVariant& v : em_variants()) {
    SCOPED_TRACE(v.name);
    const Bytes em = v.build(in);
    ASSERT_EQ(em.size(), k());
    ASSERT_NE(em, good);
    const auto report = verify(with_signature(raw, rsa_private_raw(key(), em)));
    EXPECT_TRUE(Rejected(report, kSignatureInvalid, "signature", mismatch()));
    EXPECT_FALSE(report.tlvs.has_value());
  }
}

TEST_P(RsaForgery, SignatureValueZeroAndOne) {
  const RawImage raw = rsa_base(GetParam());
  EXPECT_TRUE(Rejected(verify(with_signature(raw, Bytes(k(), 0))), kSignatureInvalid, "signature",
                       mismatch()));
  EXPECT_TRUE(Rejected(verify(with_signature(raw, be_small(k(), 1))), kSignatureInvalid,
                       "signature", mismatch()));
}

TEST_P(RsaForgery, SignatureValueModulusMinusOne) {
  const RawImage raw = rsa_base(GetParam());
  EXPECT_TRUE(Rejected(verify(with_signature(raw, sub_be(rsa_modulus(key()), be_small(k(), 1)))),
                       kSignatureInvalid, "signature", mismatch()));
}

TEST_P(RsaForgery, SignatureValueEqualToTheModulus) {
  const RawImage raw = rsa_base(GetParam());
  EXPECT_TRUE(Rejected(verify(with_signature(raw, rsa_modulus(key()))), kSignatureInvalid,
                       "signature", "signature value is not below the modulus (s >= n)"));
}

TEST_P(RsaForgery, SignatureValueAboveTheModulus) {
  const RawImage raw = rsa_base(GetParam());
  for (const Bytes& s : {*add_be(rsa_modulus(key()), be_small(k(), 1)), fill(k(), 0xFF)}) {
    EXPECT_TRUE(Rejected(verify(with_signature(raw, s)), kSignatureInvalid, "signature",
                         "signature value is not below the modulus (s >= n)"));
  }
}

TEST_P(RsaForgery, ValidSignaturePlusTheModulus) {
  // s + n is congruent to a valid signature: a verifier that reduces mod n would accept it.
  const Bytes n = rsa_modulus(key());
  const auto [raw, sig] = find_signature(rsa_base(GetParam()), key(), static_cast<uint32_t>(k()),
                                         [&](const Bytes& s) { return add_be(s, n).has_value(); });
  ASSERT_TRUE(Authentic(verify(with_signature(raw, sig))));
  EXPECT_TRUE(Rejected(verify(with_signature(raw, *add_be(sig, n))), kSignatureInvalid, "signature",
                       "signature value is not below the modulus (s >= n)"));
}

TEST_P(RsaForgery, SignatureOneByteShorterThanTheModulus) {
  // A valid signature whose first byte is 0, stored as k-1 bytes (sign_len = k-1, signed):
  // numerically correct, but the length must be exactly k.
  const auto [raw, sig] =
      find_signature(rsa_base(GetParam()), key(), static_cast<uint32_t>(k() - 1),
                     [](const Bytes& s) { return s[0] == 0; });
  const Bytes shorter(sig.begin() + 1, sig.end());
  EXPECT_TRUE(Rejected(verify(with_signature(raw, shorter)), kSignatureInvalid, "signature",
                       fmt::format("signature is {} bytes, the {} key needs exactly {}", k() - 1,
                                   key().verifier.key().describe(), k())));
}

TEST_P(RsaForgery, SignatureOneByteLongerThanTheModulus) {
  // 00 || a valid signature over the header with sign_len = k+1.
  RawImage raw = rsa_base(GetParam());
  const auto k1 = static_cast<uint32_t>(k() + 1);
  auto sig = key().signer.sign(signed_digest(raw, k1));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(Rejected(verify(with_signature(raw, cat({Bytes{0}, *sig}))), kSignatureInvalid,
                       "signature",
                       fmt::format("signature is {} bytes, the {} key needs exactly {}", k() + 1,
                                   key().verifier.key().describe(), k())));
}

INSTANTIATE_TEST_SUITE_P(Class8, RsaForgery,
                         ::testing::Values("rsa2048", "rsa3072", "optee_default"),
                         [](const auto& p) { return p.param; });

// ---- Class 9: ECDSA P-256 -------------------------------------------------------------------

class EcdsaForgery : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = decompose(signed_single("p256"));
    ASSERT_EQ(raw_.signature.size(), 64u);
    r_.assign(raw_.signature.begin(), raw_.signature.begin() + 32);
    s_.assign(raw_.signature.begin() + 32, raw_.signature.end());
  }
  image::VerifyReport verify(const Bytes& signature) const {
    return verify_with(with_signature(raw_, signature), test_key("p256"));
  }
  static constexpr const char* kRNotInRange = "ECDSA r is not in [1, n-1]";
  static constexpr const char* kSNotInRange = "ECDSA s is not in [1, n-1]";
  static constexpr const char* kMismatch =
      "signature does not match the signed data with ECDSA P-256 key";

  RawImage raw_;
  Bytes r_, s_;
};

TEST_F(EcdsaForgery, OriginalSignatureVerifies) {
  EXPECT_TRUE(Authentic(verify(cat({r_, s_}))));
}

TEST_F(EcdsaForgery, RZero) {
  EXPECT_TRUE(
      Rejected(verify(cat({fill(32, 0), s_})), kSignatureInvalid, "signature", kRNotInRange));
}

TEST_F(EcdsaForgery, SZero) {
  EXPECT_TRUE(
      Rejected(verify(cat({r_, fill(32, 0)})), kSignatureInvalid, "signature", kSNotInRange));
}

TEST_F(EcdsaForgery, AllZero) {
  EXPECT_TRUE(Rejected(verify(fill(64, 0)), kSignatureInvalid, "signature", kRNotInRange));
}

TEST_F(EcdsaForgery, REqualsN) {
  EXPECT_TRUE(
      Rejected(verify(cat({kP256Order, s_})), kSignatureInvalid, "signature", kRNotInRange));
}

TEST_F(EcdsaForgery, SEqualsN) {
  EXPECT_TRUE(
      Rejected(verify(cat({r_, kP256Order})), kSignatureInvalid, "signature", kSNotInRange));
}

TEST_F(EcdsaForgery, SAboveN) {
  EXPECT_TRUE(Rejected(verify(cat({r_, *add_be(kP256Order, be_small(32, 1))})), kSignatureInvalid,
                       "signature", kSNotInRange));
}

TEST_F(EcdsaForgery, AllOnes) {
  EXPECT_TRUE(Rejected(verify(fill(64, 0xFF)), kSignatureInvalid, "signature", kRNotInRange));
}

TEST_F(EcdsaForgery, ROneSOne) {
  EXPECT_TRUE(Rejected(verify(cat({be_small(32, 1), be_small(32, 1)})), kSignatureInvalid,
                       "signature", kMismatch));
}

TEST_F(EcdsaForgery, RAndSSwapped) {
  EXPECT_TRUE(Rejected(verify(cat({s_, r_})), kSignatureInvalid, "signature", kMismatch));
}

TEST_F(EcdsaForgery, HighSIsAccepted) {
  // (r, n - s) is the other valid signature of the same message; the reference signer does
  // not normalise S, so both must verify.
  const Bytes high = sub_be(kP256Order, s_);
  ASSERT_NE(high, s_);
  EXPECT_TRUE(Authentic(verify(cat({r_, high}))));
}

TEST_F(EcdsaForgery, Signature63Bytes) {
  // A valid signature whose r starts with a zero byte, stored as 63 bytes (sign_len = 63).
  const auto [raw, sig] =
      find_signature(raw_, test_key("p256"), 63, [](const Bytes& s) { return s[0] == 0; });
  EXPECT_TRUE(Rejected(
      verify_with(with_signature(raw, Bytes(sig.begin() + 1, sig.end())), test_key("p256")),
      kSignatureInvalid, "signature",
      "signature is 63 bytes, an ECDSA P-256 signature is exactly 64 (raw r||s)"));
}

TEST_F(EcdsaForgery, Signature65Bytes) {
  auto sig = test_key("p256").signer.sign(signed_digest(raw_, 65));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(Rejected(verify(cat({Bytes{0}, *sig})), kSignatureInvalid, "signature",
                       "signature is 65 bytes, an ECDSA P-256 signature is exactly 64"));
}

TEST_F(EcdsaForgery, Signature72BytesDer) {
  // A valid signature in DER (72 bytes when both r and s have their top bit set), with the
  // header's sign_len = 72: only raw r||s is the format.
  const auto [raw, sig] = find_signature(raw_, test_key("p256"), 72, [](const Bytes& s) {
    auto der = crypto::ecdsa_raw_to_der(s);
    return der && der->size() == 72;
  });
  const Bytes der = *crypto::ecdsa_raw_to_der(sig);
  ASSERT_EQ(der.size(), 72u);
  EXPECT_TRUE(Rejected(verify_with(with_signature(raw, der), test_key("p256")), kSignatureInvalid,
                       "signature",
                       "signature is 72 bytes, an ECDSA P-256 signature is exactly 64"));
}

// ---- Class 10: key confusion ----------------------------------------------------------------

image::VerifyReport verify_with_keys(const Bytes& file, const std::vector<std::string>& keys) {
  image::VerifyOptions options;
  for (const auto& k : keys) options.keys.push_back(test_key(k).verifier);
  return image::verify_signed_image(file, options);
}

TEST(KeyConfusionAttack, EcdsaImageAgainstAProvisionedRsaKey) {
  const auto report = verify_with(signed_single("p256"), test_key("rsa2048"));
  EXPECT_TRUE(Rejected(report, kSignatureInvalid, "signature",
                       "signature is 64 bytes, the RSA-2048 key needs exactly 256"));
  EXPECT_FALSE(report.tlvs.has_value());  // SIGNTYPE 2 was never read
}

TEST(KeyConfusionAttack, EcdsaSignatureStretchedToTheRsaLength) {
  // SIGNTYPE 2, sign_len 256: an ECDSA r||s followed by zeros, signed over that header.
  RawImage raw = decompose(signed_single("p256"));
  auto sig = test_key("p256").signer.sign(signed_digest(raw, 256));
  ASSERT_TRUE(sig);
  const auto report =
      verify_with(with_signature(raw, cat({*sig, fill(192, 0)})), test_key("rsa2048"));
  EXPECT_TRUE(Rejected(report, kSignatureInvalid, "signature", ""));
  EXPECT_FALSE(report.tlvs.has_value());
}

TEST(KeyConfusionAttack, RsaImageAgainstAProvisionedEcdsaKey) {
  const auto report = verify_with(signed_single("rsa2048"), test_key("p256"));
  EXPECT_TRUE(Rejected(report, kSignatureInvalid, "signature",
                       "signature is 256 bytes, an ECDSA P-256 signature is exactly 64"));
  EXPECT_FALSE(report.tlvs.has_value());
}

TEST(KeyConfusionAttack, KeyInfoCarryingTheAttackersRsaKey) {
  // Same modulus size as the provisioned key, so the rejection is the signature check itself.
  SignOptions options;
  options.key_info = test_key("rsa4096").verifier.key().spki_der();
  const auto file = sign_elfs({vector_elf("rsc.elf")}, test_key("rsa4096"), options);
  ASSERT_TRUE(Authentic(verify_with(file, test_key("rsa4096"))));
  const auto report = verify_with(file, test_key("optee_default"));
  EXPECT_TRUE(
      Rejected(report, kSignatureInvalid, "signature",
               fmt::format("signature does not match the signed data with RSA-4096 key {}",
                           test_key("optee_default").verifier.key().fingerprint().substr(0, 16))));
  EXPECT_FALSE(report.tlvs.has_value());
}

TEST(KeyConfusionAttack, KeyInfoCarryingTheAttackersEcdsaKeyAsPem) {
  SignOptions options;
  const std::string pem = attacker_p256().verifier.key().pem();
  options.key_info = Bytes(pem.begin(), pem.end());
  const auto file = sign_elfs({vector_elf("rsc.elf")}, attacker_p256(), options);
  ASSERT_TRUE(Authentic(verify_with(file, attacker_p256())));
  EXPECT_TRUE(Rejected(verify_with(file, test_key("p256")), kSignatureInvalid, "signature",
                       "signature does not match the signed data with ECDSA P-256 key"));
  EXPECT_TRUE(Rejected(verify_with_keys(file, {"rsa2048", "p256"}), kSignatureInvalid, "signature",
                       "signature verifies with none of the 2 keys"));
}

TEST(KeyConfusionAttack, ForeignKeyInfoDoesNotStopTheProvisionedKey) {
  // Control: PKEYINFO is a hint only; an image signed by the provisioned key verifies with it
  // whatever PKEYINFO says.
  SignOptions options;
  options.key_info = attacker_p256().verifier.key().spki_der();
  const auto file = sign_elfs({vector_elf("rsc.elf")}, test_key("rsa2048"), options);
  const auto report = verify_with_keys(file, {"p256", "rsa2048"});
  EXPECT_TRUE(Authentic(report));
  EXPECT_EQ(report.key_index, 1u);
}

TEST(KeyConfusionAttack, SignTypeEcdsaOnAnRsaSignedImage) {
  RawImage raw = decompose(signed_single("rsa2048"));
  raw.tlv(image::tlv::kSignType) = {2};
  const auto file = resign(raw, test_key("rsa2048"));
  const char* needle = "SIGNTYPE says ECDSA P-256 SHA-256 but the image verified with an RSA key";
  EXPECT_TRUE(Rejected(verify_with(file, test_key("rsa2048")), kSignatureInvalid, "TLVs", needle));
  // With both keys provisioned, SIGNTYPE 2 does not make the ECDSA key the one that counts.
  EXPECT_TRUE(
      Rejected(verify_with_keys(file, {"p256", "rsa2048"}), kSignatureInvalid, "TLVs", needle));
}

TEST(KeyConfusionAttack, SignTypeRsaOnAnEcdsaSignedImage) {
  RawImage raw = decompose(signed_single("p256"));
  raw.tlv(image::tlv::kSignType) = {1};
  const auto file = resign(raw, test_key("p256"));
  EXPECT_TRUE(Rejected(verify_with(file, test_key("p256")), kSignatureInvalid, "TLVs",
                       "SIGNTYPE says RSASSA-PKCS1-v1_5 SHA-256 but the image verified with an "
                       "ECDSA P-256 key"));
}

}  // namespace
}  // namespace rproctee::test
