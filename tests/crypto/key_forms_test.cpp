// Every key encoding the loaders accept (PKCS#1, PKCS#8, SEC1, encrypted PKCS#8 and legacy
// encrypted PEM, SPKI and PKCS#1 RSA public keys; PEM and DER), each written by OpenSSL's own
// encoders, loads to the same key; and the SubjectPublicKeyInfo the library encodes itself for
// fingerprints is byte for byte what i2d_PUBKEY writes.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <string>
#include <vector>

#include "crypto/keys.hpp"
#include "crypto/sha256.hpp"
#include "support/test_data.hpp"

namespace rproctee::crypto {
namespace {

constexpr const char* kPass = "key-forms-pass";

std::vector<uint8_t> encode(EVP_PKEY* key, int selection, const char* type, const char* structure,
                            bool encrypt = false) {
  std::unique_ptr<OSSL_ENCODER_CTX, OsslDeleter<OSSL_ENCODER_CTX_free>> ctx(
      OSSL_ENCODER_CTX_new_for_pkey(key, selection, type, structure, nullptr));
  EXPECT_TRUE(ctx) << type << " " << structure;
  if (!ctx) return {};
  if (encrypt) {
    OSSL_ENCODER_CTX_set_cipher(ctx.get(), "AES-256-CBC", nullptr);
    OSSL_ENCODER_CTX_set_passphrase(ctx.get(), reinterpret_cast<const unsigned char*>(kPass),
                                    std::strlen(kPass));
  }
  unsigned char* data = nullptr;
  size_t len = 0;
  EXPECT_EQ(OSSL_ENCODER_to_data(ctx.get(), &data, &len), 1) << type << " " << structure;
  std::vector<uint8_t> out(data, data + len);
  OPENSSL_free(data);
  return out;
}

/// PKCS#1 / SEC1 PEM with the legacy "Proc-Type: 4,ENCRYPTED" header.
std::vector<uint8_t> legacy_encrypted_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, OsslDeleter<BIO_free>> bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_PrivateKey_traditional(
                bio.get(), key, EVP_aes_128_cbc(), reinterpret_cast<const unsigned char*>(kPass),
                static_cast<int>(std::strlen(kPass)), nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::vector<uint8_t>(data, data + len);
}

std::vector<uint8_t> openssl_spki(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  EXPECT_GT(len, 0);
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

class KeyForms : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const auto path = (test::vectors_dir() / "keys" / (GetParam() + ".pem")).string();
    auto key = PrivateKey::load_file(path, std::nullopt);
    ASSERT_TRUE(key) << key.error().message;
    key_.emplace(*std::move(key));
    expected_fingerprint_ = to_hex(Sha256::of(openssl_spki(key_->get())));
  }
  bool rsa() const { return GetParam() != "p256"; }

  std::optional<PrivateKey> key_;
  std::string expected_fingerprint_;
};

TEST_P(KeyForms, FingerprintIsTheSha256OfOpensslsSpki) {
  EXPECT_EQ(key_->public_key().spki_der(), openssl_spki(key_->get()));
  EXPECT_EQ(key_->public_key().fingerprint(), expected_fingerprint_);
}

TEST_P(KeyForms, EveryPrivateFormLoads) {
  struct Form {
    const char* type;
    const char* structure;
    bool encrypted;
  };
  const Form forms[] = {
      {"PEM", "PrivateKeyInfo", false},        {"DER", "PrivateKeyInfo", false},
      {"PEM", "type-specific", false},  // PKCS#1 / SEC1
      {"DER", "type-specific", false},         {"PEM", "EncryptedPrivateKeyInfo", true},
      {"DER", "EncryptedPrivateKeyInfo", true}};
  for (const Form& f : forms) {
    SCOPED_TRACE(std::string(f.type) + " " + f.structure);
    const auto bytes = encode(key_->get(), EVP_PKEY_KEYPAIR, f.type, f.structure, f.encrypted);
    const std::optional<std::string> pass =
        f.encrypted ? std::optional<std::string>(kPass) : std::nullopt;
    auto loaded = PrivateKey::from_bytes(bytes, "key", pass);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->public_key().fingerprint(), expected_fingerprint_);
    auto as_public = PublicKey::from_bytes(bytes, "key");
    if (!f.encrypted) {
      ASSERT_TRUE(as_public) << as_public.error().message;
      EXPECT_EQ(as_public->fingerprint(), expected_fingerprint_);
    }
  }
  auto legacy = PrivateKey::from_bytes(legacy_encrypted_pem(key_->get()), "key", kPass);
  ASSERT_TRUE(legacy) << legacy.error().message;
  EXPECT_EQ(legacy->public_key().fingerprint(), expected_fingerprint_);
}

TEST_P(KeyForms, EncryptedFormsKeepTheirErrors) {
  const std::vector<std::vector<uint8_t>> pems = {
      encode(key_->get(), EVP_PKEY_KEYPAIR, "PEM", "EncryptedPrivateKeyInfo", true),
      legacy_encrypted_pem(key_->get())};
  for (const auto& pem : pems) {
    auto none = PrivateKey::from_bytes(pem, "k.pem", std::nullopt);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message, "k.pem: the key is encrypted: give its passphrase (--key_pwd)");
    auto wrong = PrivateKey::from_bytes(pem, "k.pem", std::string("wrong"));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().message, "k.pem: cannot decrypt the key: wrong passphrase");
  }
  auto der = PrivateKey::from_bytes(
      encode(key_->get(), EVP_PKEY_KEYPAIR, "DER", "EncryptedPrivateKeyInfo", true), "k.der",
      std::nullopt);
  ASSERT_FALSE(der);
  EXPECT_EQ(der.error().message, "k.der: not a PEM or DER private key");
}

TEST_P(KeyForms, EveryPublicFormLoads) {
  std::vector<std::pair<const char*, const char*>> forms = {{"PEM", "SubjectPublicKeyInfo"},
                                                            {"DER", "SubjectPublicKeyInfo"}};
  if (rsa()) {
    forms.emplace_back("PEM", "type-specific");  // PKCS#1 RSAPublicKey
    forms.emplace_back("DER", "type-specific");
  }
  for (const auto& [type, structure] : forms) {
    SCOPED_TRACE(std::string(type) + " " + structure);
    auto pub =
        PublicKey::from_bytes(encode(key_->get(), EVP_PKEY_PUBLIC_KEY, type, structure), "pub");
    ASSERT_TRUE(pub) << pub.error().message;
    EXPECT_EQ(pub->fingerprint(), expected_fingerprint_);
    EXPECT_EQ(pub->spki_der(), openssl_spki(pub->get()));
  }
}

INSTANTIATE_TEST_SUITE_P(Keys, KeyForms, ::testing::Values("rsa2048", "rsa3072", "p256"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

TEST(KeyFormsEc, CompressedPointKeepsOpensslsEncoding) {
  // The library's own SPKI encoder only handles uncompressed points; a key decoded from a
  // compressed point is encoded by OpenSSL, compressed, as before.
  const auto path = (test::vectors_dir() / "keys" / "p256.pem").string();
  auto key = PrivateKey::load_file(path, std::nullopt);
  ASSERT_TRUE(key);
  PkeyPtr copy(EVP_PKEY_dup(key->get()));
  ASSERT_TRUE(copy);
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(copy.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                           "compressed"),
            1);
  const auto compressed = openssl_spki(copy.get());
  ASSERT_EQ(compressed.size(), 59u);  // 0x02/0x03 || X instead of 0x04 || X || Y
  auto pub = PublicKey::from_bytes(compressed, "compressed.der");
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(pub->spki_der(), compressed);
  EXPECT_EQ(pub->fingerprint(), to_hex(Sha256::of(compressed)));
}

TEST(KeyFormsHint, MislabelledPemStillDecidesLikeBefore) {
  // A PKCS#1 body under a "PRIVATE KEY" label: the narrowed decoder fails and the full
  // search gives the same answer as it always did.
  const auto path = (test::vectors_dir() / "keys" / "rsa2048.pem").string();
  auto key = PrivateKey::load_file(path, std::nullopt);
  ASSERT_TRUE(key);
  auto pem = encode(key->get(), EVP_PKEY_KEYPAIR, "PEM", "type-specific");
  std::string text(pem.begin(), pem.end());
  for (size_t at; (at = text.find("RSA PRIVATE KEY")) != std::string::npos;)
    text.replace(at, 15, "PRIVATE KEY");
  auto loaded =
      PrivateKey::from_bytes(std::vector<uint8_t>(text.begin(), text.end()), "m.pem", std::nullopt);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, "m.pem: not a PEM or DER private key");
}

}  // namespace
}  // namespace rproctee::crypto
