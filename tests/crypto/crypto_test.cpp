#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "crypto/aes_cbc.hpp"
#include "crypto/ecdsa_p256.hpp"
#include "crypto/keys.hpp"
#include "crypto/rsa_pkcs1.hpp"
#include "crypto/sha256.hpp"
#include "crypto/signature.hpp"
#include "support/test_data.hpp"

namespace rproctee::crypto {
namespace {

std::string key_path(const std::string& name) {
  return (test::vectors_dir() / "keys" / name).string();
}

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

/// A fresh key of a kind the project refuses, as PKCS#8 PEM, made with OpenSSL directly.
std::string generated_pem(const char* type, const char* param) {
  EVP_PKEY* key = std::string_view(type) == "RSA"
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024})
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", param);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

TEST(Sha256, KnownAnswersAndStreaming) {
  EXPECT_EQ(to_hex(Sha256::of(bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(Sha256::of({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.update(bytes("a"));
  h.update(bytes("bc"));
  EXPECT_EQ(h.finish(), Sha256::of(bytes("abc")));
  h.reset();
  h.update(bytes("abc"));
  EXPECT_EQ(h.finish(), Sha256::of(bytes("abc")));
}

TEST(Keys, LoadsEveryFormAndFingerprintsThePublicKey) {
  auto priv = PrivateKey::load_file(key_path("rsa2048.pem"), std::nullopt);
  ASSERT_TRUE(priv) << priv.error().message;
  auto pub = PublicKey::load_file(key_path("rsa2048.pub.pem"));
  ASSERT_TRUE(pub);
  EXPECT_EQ(priv->public_key().fingerprint(), pub->fingerprint());
  EXPECT_EQ(pub->bits(), 2048u);
  EXPECT_EQ(pub->signature_size(), 256u);
  EXPECT_EQ(pub->describe(), "RSA-2048");
  // DER SubjectPublicKeyInfo round trip, and a private key file used as a public key.
  auto der = PublicKey::from_bytes(pub->spki_der(), "der");
  ASSERT_TRUE(der);
  EXPECT_EQ(der->fingerprint(), pub->fingerprint());
  auto from_priv = PublicKey::load_file(key_path("rsa2048.pem"));
  ASSERT_TRUE(from_priv);
  EXPECT_EQ(from_priv->fingerprint(), pub->fingerprint());

  auto ec = PublicKey::load_file(key_path("p256.pub.pem"));
  ASSERT_TRUE(ec);
  EXPECT_EQ(ec->algorithm(), KeyAlgorithm::kEcdsaP256);
  EXPECT_EQ(ec->signature_size(), 64u);
  EXPECT_EQ(ec->components().first.size(), 32u);
}

TEST(Keys, PassphraseProtectedKeys) {
  auto none = PrivateKey::load_file(key_path("rsa2048_pw.pem"), std::nullopt);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("the key is encrypted: give its passphrase"),
            std::string::npos);
  auto wrong = PrivateKey::load_file(key_path("rsa2048_pw.pem"), std::string("nope"));
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos);
  auto right = PrivateKey::load_file(key_path("rsa2048_pw.pem"), std::string("vector-pass"));
  ASSERT_TRUE(right) << right.error().message;
  EXPECT_EQ(right->public_key().fingerprint(),
            PublicKey::load_file(key_path("rsa2048.pub.pem"))->fingerprint());
}

TEST(Keys, RejectsGarbageAndOtherCurves) {
  auto junk = PublicKey::from_bytes(bytes("not a key"), "junk.pem");
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().message.find("junk.pem: not a PEM or DER public key"), std::string::npos);
  auto p384 = PrivateKey::from_bytes(bytes(generated_pem("EC", "P-384")), "p384.pem", std::nullopt);
  ASSERT_FALSE(p384);
  EXPECT_EQ(p384.error().code, TeeCode::kNotSupported);
  EXPECT_NE(p384.error().message.find("secp384r1"), std::string::npos) << p384.error().message;
}

TEST(Keys, GeneratedKeysSignAndVerify) {
  auto key = PrivateKey::generate(KeySpec::kP256);
  ASSERT_TRUE(key);
  auto reloaded = PrivateKey::from_bytes(bytes(key->pem()), "gen", std::nullopt);
  ASSERT_TRUE(reloaded);
  const auto digest = Sha256::of(bytes("firmware"));
  auto sig = Signer::create(*reloaded)->sign(digest);
  ASSERT_TRUE(sig);
  EXPECT_TRUE(Verifier::create(key->public_key())->verify(digest, *sig));
}

TEST(Rsa, DeterministicAndStrict) {
  auto key = PrivateKey::load_file(key_path("rsa3072.pem"), std::nullopt);
  ASSERT_TRUE(key);
  const auto digest = Sha256::of(bytes("header and tlvs"));
  auto a = rsa_pkcs1_sha256_sign(*key, digest);
  auto b = rsa_pkcs1_sha256_sign(*key, digest);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->size(), 384u);
  EXPECT_TRUE(rsa_pkcs1_sha256_verify(key->public_key(), digest, *a));
  auto other = Sha256::of(bytes("other"));
  auto r = rsa_pkcs1_sha256_verify(key->public_key(), other, *a);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TeeCode::kSignatureInvalid);
  auto shorter = *a;
  shorter.pop_back();
  r = rsa_pkcs1_sha256_verify(key->public_key(), digest, shorter);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("signature is 383 bytes, the RSA-3072 key needs exactly 384"),
            std::string::npos);
  r = rsa_pkcs1_sha256_verify(key->public_key(), digest, std::vector<uint8_t>(384, 0xFF));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("s >= n"), std::string::npos);
}

TEST(Rsa, EncodedMessageLayout) {
  Digest d{};
  d.fill(0x11);
  const auto em = emsa_pkcs1_sha256(d, 256);
  EXPECT_EQ(em[0], 0x00);
  EXPECT_EQ(em[1], 0x01);
  EXPECT_EQ(em[2], 0xFF);
  EXPECT_EQ(em[256 - 52], 0x00);
  EXPECT_EQ(em[256 - 51], 0x30);
  EXPECT_EQ(em.back(), 0x11);
}

TEST(Ecdsa, RawAndDerConversions) {
  auto key = PrivateKey::load_file(key_path("p256.pem"), std::nullopt);
  ASSERT_TRUE(key);
  const auto digest = Sha256::of(bytes("x"));
  auto raw = ecdsa_p256_sign(*key, digest);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), 64u);
  auto der = ecdsa_raw_to_der(*raw);
  ASSERT_TRUE(der);
  EXPECT_EQ(*ecdsa_der_to_raw(*der), *raw);
  EXPECT_TRUE(ecdsa_p256_verify(key->public_key(), digest, *raw));
  EXPECT_FALSE(ecdsa_der_to_raw(std::vector<uint8_t>{0x30, 0x00, 0x01}));
}

TEST(SignerVerifier, RefuseWeakRsaKeys) {
  auto weak = PrivateKey::from_bytes(bytes(generated_pem("RSA", "1024")), "rsa1024", std::nullopt);
  ASSERT_TRUE(weak) << weak.error().message;
  auto s = Signer::create(*weak);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, TeeCode::kNotSupported);
  EXPECT_NE(s.error().message.find("RSA key is 1024 bits; at least 2048"), std::string::npos);
  EXPECT_FALSE(Verifier::create(weak->public_key()));
}

TEST(AesCbc, RoundTripAndSizeChecks) {
  const std::vector<uint8_t> key(32, 0x2B);
  AesIv iv{};
  iv[0] = 1;
  std::vector<uint8_t> data(64);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  auto enc = data;
  ASSERT_TRUE(aes_cbc_encrypt(key, iv, enc, enc));
  EXPECT_NE(enc, data);
  auto dec = enc;
  ASSERT_TRUE(aes_cbc_decrypt(key, iv, dec, dec));
  EXPECT_EQ(dec, data);
  std::vector<uint8_t> odd(15);
  EXPECT_FALSE(aes_cbc_encrypt(key, iv, odd, odd));
  EXPECT_FALSE(aes_cbc_encrypt(std::vector<uint8_t>(20), iv, data, data));
}

TEST(AesCbc, KnownAnswer) {
  // NIST SP 800-38A F.2.1 CBC-AES128.Encrypt, first block.
  const std::vector<uint8_t> key = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                    0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
  const AesIv iv = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const std::vector<uint8_t> plain = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
                                      0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a};
  std::vector<uint8_t> out(16);
  ASSERT_TRUE(aes_cbc_encrypt(key, iv, plain, out));
  EXPECT_EQ(to_hex(out), "7649abac8119b246cee98e9b12e9197d");
}

}  // namespace
}  // namespace rproctee::crypto
