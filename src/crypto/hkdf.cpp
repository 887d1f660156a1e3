#include "crypto/hkdf.hpp"

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "crypto/ossl.hpp"

namespace rproctee::crypto {

namespace {
using KdfPtr = std::unique_ptr<EVP_KDF, OsslDeleter<EVP_KDF_free>>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, OsslDeleter<EVP_KDF_CTX_free>>;
}  // namespace

Result<std::array<uint8_t, 32>> hkdf_sha256(std::span<const uint8_t> secret,
                                            std::span<const uint8_t> salt,
                                            std::span<const uint8_t> info) {
  KdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  KdfCtxPtr ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  char digest[] = "SHA256";
  // OSSL_PARAM takes non-const pointers; OpenSSL only reads these buffers.
  auto* key = const_cast<uint8_t*>(secret.data());
  auto* s = const_cast<uint8_t*>(salt.data());
  auto* i = const_cast<uint8_t*>(info.data());
  // An empty salt is left out: HKDF then uses a block of zeros (RFC 5869 2.2).
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key, secret.size());
  if (!salt.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, s, salt.size());
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, i, info.size());
  params[n] = OSSL_PARAM_construct_end();
  std::array<uint8_t, 32> out{};
  if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1)
    return make_error(TeeCode::kGeneric, "HKDF-SHA256 failed: {}", openssl_error());
  return out;
}

}  // namespace rproctee::crypto
