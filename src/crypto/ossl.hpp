// RAII owners for OpenSSL handles and the helper that turns OpenSSL's error queue into text.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace rproctee::crypto {

template <auto Free>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<EVP_CIPHER_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;

/// Shared, immutable key handle (EVP_PKEY is reference counted and thread-safe to use).
using SharedPkey = std::shared_ptr<EVP_PKEY>;
inline SharedPkey share(PkeyPtr key) {
  return SharedPkey(key.release(), EVP_PKEY_free);
}

/// Drains OpenSSL's error queue into one line ("" when empty).
std::string openssl_error();

}  // namespace rproctee::crypto
