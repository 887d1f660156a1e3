// The primitives behind sealed core dumps: AES-256-GCM (known answers from the GCM
// specification, multi-part input, any change detected and the output wiped), RSA-OAEP-SHA256
// (round trip, and OpenSSL's command line decrypts what we encrypt), ECDH P-256 (both sides
// agree; an off-curve point is refused), HKDF-SHA256 (RFC 5869 test case 1), and the data key
// composed of them (only the recipient's private key and the same context recover it).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "crypto/aes_gcm.hpp"
#include "crypto/data_key.hpp"
#include "crypto/ecdh_p256.hpp"
#include "crypto/hkdf.hpp"
#include "crypto/keys.hpp"
#include "crypto/rsa_oaep.hpp"
#include "crypto/sha256.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::crypto {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

PrivateKey load_private(const std::string& name) {
  auto key = PrivateKey::load_file((test::vectors_dir() / "keys" / (name + ".pem")).string(),
                                   std::nullopt);
  EXPECT_TRUE(key) << key.error().message;
  return *key;
}

TEST(CryptoAesGcm, KnownAnswersOfTheGcmSpecification) {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13 and 14.
  const GcmKey key{};
  const GcmIv iv{};
  auto empty = aes_gcm_encrypt(key, iv, {}, {}, {});
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(to_hex(*empty), "530f8afbc74536b9a963b4f1c4cb738b");
  const Bytes zeros(16, 0);
  const std::span<const uint8_t> parts[] = {zeros};
  Bytes out(16);
  auto tag = aes_gcm_encrypt(key, iv, {}, parts, out);
  ASSERT_TRUE(tag);
  EXPECT_EQ(to_hex(out), "cea7403d4d606b6e074ec5d3baf39d18");
  EXPECT_EQ(to_hex(*tag), "d0d1c8a799996bf0265b98b5d48ab919");
}

TEST(CryptoAesGcm, PartsAreOneMessageAndEveryChangeIsDetected) {
  GcmKey key{};
  GcmIv iv{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  iv[3] = 7;
  const Bytes a(1000, 0x41), b(37, 0x42), aad = {1, 2, 3};
  const std::span<const uint8_t> parts[] = {a, b};
  Bytes cipher(a.size() + b.size());
  auto tag = aes_gcm_encrypt(key, iv, aad, parts, cipher);
  ASSERT_TRUE(tag);
  // The same as one buffer.
  Bytes joined = a;
  joined.insert(joined.end(), b.begin(), b.end());
  const std::span<const uint8_t> one[] = {joined};
  Bytes cipher2(joined.size());
  EXPECT_EQ(*aes_gcm_encrypt(key, iv, aad, one, cipher2), *tag);
  EXPECT_EQ(cipher2, cipher);

  Bytes plain(cipher.size());
  ASSERT_TRUE(aes_gcm_decrypt(key, iv, aad, cipher, plain, *tag));
  EXPECT_EQ(plain, joined);

  const auto refused = [&](Bytes c, Bytes d, GcmTag t) {
    Bytes out(c.size(), 0x55);
    const Status s = aes_gcm_decrypt(key, iv, d, c, out, t);
    return !s && s.error().code == TeeCode::kSecurity &&
           std::all_of(out.begin(), out.end(), [](uint8_t v) { return v == 0; });
  };
  Bytes changed = cipher;
  changed[500] ^= 1;
  EXPECT_TRUE(refused(changed, aad, *tag));
  EXPECT_TRUE(refused(cipher, {1, 2, 4}, *tag));
  GcmTag bad = *tag;
  bad[15] ^= 0x80;
  EXPECT_TRUE(refused(cipher, aad, bad));
  // Sizes must agree.
  Bytes small(3);
  EXPECT_FALSE(aes_gcm_encrypt(key, iv, aad, parts, small));
  EXPECT_FALSE(aes_gcm_decrypt(key, iv, aad, cipher, small, *tag));
}

TEST(CryptoRsaOaep, RoundTripAndOpenSslDecryptsIt) {
  const PrivateKey key = load_private("rsa2048");
  const Bytes secret(32, 0x3C);
  auto wrapped = rsa_oaep_encrypt(key.public_key(), secret);
  ASSERT_TRUE(wrapped) << wrapped.error().message;
  EXPECT_EQ(wrapped->size(), 256u);
  EXPECT_NE(*rsa_oaep_encrypt(key.public_key(), secret), *wrapped);  // randomised
  auto back = rsa_oaep_decrypt(key, *wrapped);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, secret);
  // Another key, or one changed byte: SECURITY.
  auto other = rsa_oaep_decrypt(load_private("rsa3072"), *wrapped);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, TeeCode::kSecurity);
  Bytes changed = *wrapped;
  changed[100] ^= 1;
  EXPECT_FALSE(rsa_oaep_decrypt(key, changed));
  // A P-256 key cannot be used.
  EXPECT_FALSE(rsa_oaep_encrypt(load_private("p256").public_key(), secret));

  // Interoperability: OpenSSL's command line with OAEP, SHA-256 and MGF1-SHA-256.
  test::TempDir tmp;
  test::write_bytes(tmp / "wrapped.bin", *wrapped);
  const auto r = test::run_command({"/usr/bin/openssl", "pkeyutl", "-decrypt", "-inkey",
                                    (test::vectors_dir() / "keys" / "rsa2048.pem").string(), "-in",
                                    tmp / "wrapped.bin", "-out", tmp / "secret.bin", "-pkeyopt",
                                    "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                                    "-pkeyopt", "rsa_mgf1_md:sha256"});
  if (r.exit_code == 127) GTEST_SKIP() << "openssl command line not installed";
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_bytes(tmp / "secret.bin"), secret);
}

TEST(CryptoEcdhP256, BothSidesAgreeAndOffCurvePointsAreRefused) {
  const PrivateKey key = load_private("p256");
  auto share = ecdh_p256_share(key.public_key());
  ASSERT_TRUE(share) << share.error().message;
  EXPECT_EQ(share->ephemeral_point[0], 0x04);
  auto received = ecdh_p256_receive(key, share->ephemeral_point);
  ASSERT_TRUE(received) << received.error().message;
  EXPECT_EQ(*received, share->secret);
  // Each share uses a fresh ephemeral key.
  EXPECT_NE(ecdh_p256_share(key.public_key())->ephemeral_point, share->ephemeral_point);
  // Off the curve, truncated, compressed form, wrong key kind.
  Bytes point(share->ephemeral_point.begin(), share->ephemeral_point.end());
  point[64] ^= 1;
  auto off = ecdh_p256_receive(key, point);
  ASSERT_FALSE(off);
  EXPECT_EQ(off.error().code, TeeCode::kBadFormat);
  EXPECT_FALSE(ecdh_p256_receive(key, std::span(point).first(64)));
  point[0] = 0x02;
  EXPECT_FALSE(ecdh_p256_receive(key, point));
  EXPECT_FALSE(ecdh_p256_share(load_private("rsa2048").public_key()));
}

TEST(CryptoHkdf, Rfc5869TestCase1) {
  const Bytes ikm(22, 0x0b);
  const Bytes salt = from_hex("000102030405060708090a0b0c");
  const Bytes info = from_hex("f0f1f2f3f4f5f6f7f8f9");
  auto okm = hkdf_sha256(ikm, salt, info);
  ASSERT_TRUE(okm) << okm.error().message;
  // The first 32 of the RFC's 42 bytes.
  EXPECT_EQ(to_hex(*okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
}

TEST(CryptoDataKey, OnlyTheRecipientWithTheSameContextRecoversIt) {
  const Bytes context = {'c', 't', 'x'};
  for (const std::string name : {"rsa2048", "p256"}) {
    SCOPED_TRACE(name);
    const PrivateKey key = load_private(name);
    auto made = new_data_key(key.public_key(), context);
    ASSERT_TRUE(made) << made.error().message;
    EXPECT_EQ(made->wrapped.bytes.size(), wrapped_key_size(key.public_key()));
    EXPECT_EQ(made->wrapped.wrapping, key_wrapping_for(key.public_key()));
    auto back = recover_data_key(key, made->wrapped, context);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, made->key);
    EXPECT_NE(new_data_key(key.public_key(), context)->key, made->key);  // fresh each time
    // A key of the other kind is refused before any decryption.
    const PrivateKey other = load_private(name == "rsa2048" ? "p256" : "rsa2048");
    auto wrong = recover_data_key(other, made->wrapped, context);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, TeeCode::kSecurity);
  }
  // ECDH: the derived key is bound to the context.
  const PrivateKey ec = load_private("p256");
  auto made = new_data_key(ec.public_key(), context);
  ASSERT_TRUE(made);
  EXPECT_NE(*recover_data_key(ec, made->wrapped, Bytes{'x'}), made->key);
  EXPECT_EQ(key_wrapping_name(KeyWrapping::kRsaOaepSha256), "RSA-OAEP-SHA256");
  EXPECT_EQ(key_wrapping_name(KeyWrapping::kEcdhP256HkdfSha256), "ECDH-P256-HKDF-SHA256");
}

}  // namespace
}  // namespace rproctee::crypto
