#include "crypto/aes_gcm.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <climits>

#include "crypto/ossl.hpp"

namespace rproctee::crypto {

namespace {

constexpr size_t kStep = size_t{1} << 30;  // EVP takes int lengths

CipherCtxPtr start(bool encrypt, const GcmKey& key, const GcmIv& iv, std::span<const uint8_t> aad) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data(), -1) != 1)
    return nullptr;
  for (size_t off = 0; off < aad.size(); off += kStep) {
    const size_t n = std::min(kStep, aad.size() - off);
    if (EVP_CipherUpdate(ctx.get(), nullptr, &len, aad.data() + off, static_cast<int>(n)) != 1)
      return nullptr;
  }
  return ctx;
}

bool update(EVP_CIPHER_CTX* ctx, std::span<const uint8_t> in, uint8_t* out) {
  int len = 0;
  for (size_t off = 0; off < in.size(); off += kStep) {
    const size_t n = std::min(kStep, in.size() - off);
    if (EVP_CipherUpdate(ctx, out + off, &len, in.data() + off, static_cast<int>(n)) != 1)
      return false;
  }
  return true;
}

}  // namespace

Result<GcmTag> aes_gcm_encrypt(const GcmKey& key, const GcmIv& iv, std::span<const uint8_t> aad,
                               std::span<const std::span<const uint8_t>> parts,
                               std::span<uint8_t> out) {
  size_t total = 0;
  for (const auto& p : parts) total += p.size();
  if (total != out.size())
    return make_error(TeeCode::kBadParameters,
                      "AES-GCM: {} bytes of plaintext for a {}-byte output", total, out.size());
  CipherCtxPtr ctx = start(true, key, iv, aad);
  if (!ctx) return make_error(TeeCode::kGeneric, "AES-GCM set-up failed: {}", openssl_error());
  size_t at = 0;
  for (const auto& p : parts) {
    if (!update(ctx.get(), p, out.data() + at))
      return make_error(TeeCode::kGeneric, "AES-GCM encryption failed: {}", openssl_error());
    at += p.size();
  }
  GcmTag tag{};
  int len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag.size()),
                          tag.data()) != 1)
    return make_error(TeeCode::kGeneric, "AES-GCM tag failed: {}", openssl_error());
  return tag;
}

Status aes_gcm_decrypt(const GcmKey& key, const GcmIv& iv, std::span<const uint8_t> aad,
                       std::span<const uint8_t> in, std::span<uint8_t> out, const GcmTag& tag) {
  if (in.size() != out.size())
    return make_error(TeeCode::kBadParameters,
                      "AES-GCM: {} bytes of ciphertext for a {}-byte output", in.size(),
                      out.size());
  CipherCtxPtr ctx = start(false, key, iv, aad);
  if (!ctx) return make_error(TeeCode::kGeneric, "AES-GCM set-up failed: {}", openssl_error());
  GcmTag expected = tag;  // OpenSSL wants a writable buffer
  int len = 0;
  const bool ok = update(ctx.get(), in, out.data()) &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                                      static_cast<int>(expected.size()), expected.data()) == 1 &&
                  EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());  // unauthenticated plaintext is never handed out
    openssl_error();                          // drain the queue
    return make_error(TeeCode::kSecurity,
                      "AES-GCM authentication failed: the data or its tag was changed");
  }
  return {};
}

}  // namespace rproctee::crypto
