#include "crypto/data_key.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "crypto/aes_cbc.hpp"
#include "crypto/ecdh_p256.hpp"
#include "crypto/hkdf.hpp"
#include "crypto/rsa_oaep.hpp"

namespace rproctee::crypto {

namespace {

/// HKDF info: the caller's context, then the ephemeral point (both sides see the same bytes).
Result<GcmKey> derive(const EcdhSecret& secret, std::span<const uint8_t> point,
                      std::span<const uint8_t> context) {
  std::vector<uint8_t> info(context.begin(), context.end());
  info.insert(info.end(), point.begin(), point.end());
  return hkdf_sha256(secret, {}, info);
}

}  // namespace

std::string_view key_wrapping_name(KeyWrapping wrapping) {
  switch (wrapping) {
    case KeyWrapping::kRsaOaepSha256:
      return "RSA-OAEP-SHA256";
    case KeyWrapping::kEcdhP256HkdfSha256:
      return "ECDH-P256-HKDF-SHA256";
  }
  return "unknown";
}

KeyWrapping key_wrapping_for(const PublicKey& recipient) {
  return recipient.algorithm() == KeyAlgorithm::kRsa ? KeyWrapping::kRsaOaepSha256
                                                     : KeyWrapping::kEcdhP256HkdfSha256;
}

size_t wrapped_key_size(const PublicKey& recipient) {
  return recipient.algorithm() == KeyAlgorithm::kRsa ? (recipient.bits() + 7) / 8 : kP256PointSize;
}

Result<DataKey> new_data_key(const PublicKey& recipient, std::span<const uint8_t> context) {
  DataKey out;
  out.wrapped.wrapping = key_wrapping_for(recipient);
  if (out.wrapped.wrapping == KeyWrapping::kRsaOaepSha256) {
    RPROCTEE_CHECK(random_bytes(out.key));
    RPROCTEE_ASSIGN(out.wrapped.bytes, rsa_oaep_encrypt(recipient, out.key));
  } else {
    RPROCTEE_ASSIGN(EcdhShare share, ecdh_p256_share(recipient));
    out.wrapped.bytes.assign(share.ephemeral_point.begin(), share.ephemeral_point.end());
    auto key = derive(share.secret, share.ephemeral_point, context);
    OPENSSL_cleanse(share.secret.data(), share.secret.size());
    RPROCTEE_ASSIGN(out.key, std::move(key));
  }
  if (out.wrapped.bytes.size() != wrapped_key_size(recipient))
    return make_error(TeeCode::kGeneric, "wrapped key is {} bytes, expected {}",
                      out.wrapped.bytes.size(), wrapped_key_size(recipient));
  return out;
}

Result<GcmKey> recover_data_key(const PrivateKey& recipient, const WrappedKey& wrapped,
                                std::span<const uint8_t> context) {
  if (wrapped.wrapping != key_wrapping_for(recipient.public_key()))
    return make_error(TeeCode::kSecurity, "the key was wrapped with {}, which a {} key cannot open",
                      key_wrapping_name(wrapped.wrapping), recipient.public_key().describe());
  if (wrapped.wrapping == KeyWrapping::kRsaOaepSha256) {
    RPROCTEE_ASSIGN(auto bytes, rsa_oaep_decrypt(recipient, wrapped.bytes));
    GcmKey key{};
    const bool fits = bytes.size() == key.size();
    if (fits) std::copy(bytes.begin(), bytes.end(), key.begin());
    OPENSSL_cleanse(bytes.data(), bytes.size());
    if (!fits)
      return make_error(TeeCode::kSecurity, "the wrapped key is {} bytes, not {}", bytes.size(),
                        key.size());
    return key;
  }
  RPROCTEE_ASSIGN(EcdhSecret secret, ecdh_p256_receive(recipient, wrapped.bytes));
  auto key = derive(secret, wrapped.bytes, context);
  OPENSSL_cleanse(secret.data(), secret.size());
  return key;
}

}  // namespace rproctee::crypto
