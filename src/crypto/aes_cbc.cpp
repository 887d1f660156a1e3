#include "crypto/aes_cbc.hpp"

#include <openssl/rand.h>

#include <climits>

#include "crypto/ossl.hpp"

namespace rproctee::crypto {

namespace {

const EVP_CIPHER* cipher_for(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_cbc();
    case 24:
      return EVP_aes_192_cbc();
    case 32:
      return EVP_aes_256_cbc();
    default:
      return nullptr;
  }
}

Status run(bool encrypt, std::span<const uint8_t> key, const AesIv& iv, std::span<const uint8_t> in,
           std::span<uint8_t> out) {
  RPROCTEE_CHECK(check_aes_key(key, "AES key"));
  if (in.size() % 16 != 0 || out.size() != in.size() || in.size() > INT_MAX)
    return make_error(TeeCode::kBadParameters,
                      "AES-CBC data is {} bytes: it must be a multiple of 16", in.size());
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), cipher_for(key.size()), nullptr, key.data(), iv.data(),
                        encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size())) != 1)
    return make_error(TeeCode::kGeneric, "AES-CBC failed: {}", openssl_error());
  return {};
}

}  // namespace

Status check_aes_key(std::span<const uint8_t> key, std::string_view source) {
  if (!cipher_for(key.size()))
    return make_error(TeeCode::kBadParameters,
                      "{} is {} bytes: an AES key is 16, 24 or 32 raw bytes", source, key.size());
  return {};
}

Status aes_cbc_encrypt(std::span<const uint8_t> key, const AesIv& iv, std::span<const uint8_t> in,
                       std::span<uint8_t> out) {
  return run(true, key, iv, in, out);
}

Status aes_cbc_decrypt(std::span<const uint8_t> key, const AesIv& iv, std::span<const uint8_t> in,
                       std::span<uint8_t> out) {
  return run(false, key, iv, in, out);
}

Status random_bytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
    return make_error(TeeCode::kGeneric, "random generator failed: {}", openssl_error());
  return {};
}

}  // namespace rproctee::crypto
