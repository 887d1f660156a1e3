#include "crypto/rsa_oaep.hpp"

#include <openssl/rsa.h>

namespace rproctee::crypto {

namespace {

/// A context set up for OAEP with SHA-256 as both the hash and the MGF1 hash.
PkeyCtxPtr oaep_context(EVP_PKEY* key, bool encrypt) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx) return nullptr;
  if ((encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1)
    return nullptr;
  return ctx;
}

}  // namespace

Result<std::vector<uint8_t>> rsa_oaep_encrypt(const PublicKey& key,
                                              std::span<const uint8_t> secret) {
  if (key.algorithm() != KeyAlgorithm::kRsa || key.bits() < 2048)
    return make_error(TeeCode::kBadParameters,
                      "RSA-OAEP needs an RSA key of at least 2048 bits, not {}", key.describe());
  PkeyCtxPtr ctx = oaep_context(key.get(), true);
  size_t size = 0;
  if (!ctx || EVP_PKEY_encrypt(ctx.get(), nullptr, &size, secret.data(), secret.size()) != 1)
    return make_error(TeeCode::kGeneric, "RSA-OAEP set-up failed: {}", openssl_error());
  std::vector<uint8_t> out(size);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &size, secret.data(), secret.size()) != 1)
    return make_error(TeeCode::kGeneric, "RSA-OAEP encryption failed: {}", openssl_error());
  out.resize(size);
  return out;
}

Result<std::vector<uint8_t>> rsa_oaep_decrypt(const PrivateKey& key,
                                              std::span<const uint8_t> ciphertext) {
  if (key.algorithm() != KeyAlgorithm::kRsa)
    return make_error(TeeCode::kBadParameters, "RSA-OAEP needs an RSA key, not {}",
                      key.public_key().describe());
  PkeyCtxPtr ctx = oaep_context(key.get(), false);
  size_t size = 0;
  if (!ctx ||
      EVP_PKEY_decrypt(ctx.get(), nullptr, &size, ciphertext.data(), ciphertext.size()) != 1)
    return make_error(TeeCode::kGeneric, "RSA-OAEP set-up failed: {}", openssl_error());
  std::vector<uint8_t> out(size);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &size, ciphertext.data(), ciphertext.size()) != 1) {
    openssl_error();  // drain: the reason is always the same for the caller
    return make_error(TeeCode::kSecurity,
                      "RSA-OAEP decryption failed: not encrypted to this key, or changed");
  }
  out.resize(size);
  return out;
}

}  // namespace rproctee::crypto
