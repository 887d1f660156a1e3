#include "crypto/rsa_pkcs1.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include <algorithm>

namespace rproctee::crypto {

namespace {
// DER of DigestInfo { AlgorithmIdentifier { sha256, NULL }, OCTET STRING (32) } without the hash.
constexpr uint8_t kSha256DigestInfo[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                         0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
}  // namespace

std::vector<uint8_t> sha256_digest_info(std::span<const uint8_t, 32> digest) {
  std::vector<uint8_t> t(sizeof kSha256DigestInfo + digest.size());
  std::copy(std::begin(kSha256DigestInfo), std::end(kSha256DigestInfo), t.begin());
  std::copy(digest.begin(), digest.end(), t.end() - static_cast<long>(digest.size()));
  return t;
}

std::vector<uint8_t> emsa_pkcs1_sha256(std::span<const uint8_t, 32> digest, size_t k) {
  const std::vector<uint8_t> t = sha256_digest_info(digest);
  std::vector<uint8_t> em(k, 0xFF);
  em[0] = 0x00;
  em[1] = 0x01;
  em[k - t.size() - 1] = 0x00;
  std::copy(t.begin(), t.end(), em.end() - static_cast<long>(t.size()));
  return em;
}

Result<std::vector<uint8_t>> rsa_pkcs1_sha256_sign(const PrivateKey& key,
                                                   std::span<const uint8_t, 32> digest) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  size_t len = key.public_key().signature_size();
  std::vector<uint8_t> sig(len);
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1)
    return make_error(TeeCode::kGeneric, "RSA signing failed: {}", openssl_error());
  sig.resize(len);
  return sig;
}

Status rsa_pkcs1_sha256_verify(const PublicKey& key, std::span<const uint8_t, 32> digest,
                               std::span<const uint8_t> signature) {
  const auto invalid = TeeCode::kSignatureInvalid;
  const size_t k = key.signature_size();
  if (signature.size() != k)
    return make_error(invalid, "signature is {} bytes, the {} key needs exactly {}",
                      signature.size(), key.describe(), k);

  BIGNUM* n_raw = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n_raw) != 1)
    return make_error(TeeCode::kGeneric, "cannot read the RSA modulus: {}", openssl_error());
  BignumPtr n(n_raw);
  BignumPtr s(BN_bin2bn(signature.data(), static_cast<int>(signature.size()), nullptr));
  if (!s) return make_error(TeeCode::kOutOfMemory, "out of memory");
  if (BN_cmp(s.get(), n.get()) >= 0)
    return make_error(invalid, "signature value is not below the modulus (s >= n)");

  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  std::vector<uint8_t> em(k);
  size_t em_len = k;
  if (!ctx || EVP_PKEY_verify_recover_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1 ||
      EVP_PKEY_verify_recover(ctx.get(), em.data(), &em_len, signature.data(), k) != 1) {
    openssl_error();
    return make_error(invalid, "RSA public operation failed on the signature");
  }
  const auto expected = emsa_pkcs1_sha256(digest, k);
  if (em_len != k || CRYPTO_memcmp(em.data(), expected.data(), k) != 0)
    return make_error(invalid, "signature does not match the signed data with {} key {}",
                      key.describe(), key.fingerprint().substr(0, 16));
  return {};
}

}  // namespace rproctee::crypto
