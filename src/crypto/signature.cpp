#include "crypto/signature.hpp"

#include "crypto/ecdsa_p256.hpp"
#include "crypto/rsa_pkcs1.hpp"

namespace rproctee::crypto {

namespace {
Status check_strength(const PublicKey& key) {
  if (key.algorithm() == KeyAlgorithm::kRsa && key.bits() < kMinRsaBits)
    return make_error(TeeCode::kNotSupported, "RSA key is {} bits; at least {} are required",
                      key.bits(), kMinRsaBits);
  return {};
}
}  // namespace

Result<Verifier> Verifier::create(PublicKey key) {
  RPROCTEE_CHECK(check_strength(key));
  return Verifier(std::move(key));
}

Status Verifier::verify(std::span<const uint8_t, 32> digest,
                        std::span<const uint8_t> signature) const {
  if (key_.algorithm() == KeyAlgorithm::kRsa)
    return rsa_pkcs1_sha256_verify(key_, digest, signature);
  return ecdsa_p256_verify(key_, digest, signature);
}

Result<Signer> Signer::create(PrivateKey key) {
  RPROCTEE_CHECK(check_strength(key.public_key()));
  return Signer(std::move(key));
}

Result<std::vector<uint8_t>> Signer::sign(std::span<const uint8_t, 32> digest) const {
  if (key_.algorithm() == KeyAlgorithm::kRsa) return rsa_pkcs1_sha256_sign(key_, digest);
  return ecdsa_p256_sign(key_, digest);
}

}  // namespace rproctee::crypto
