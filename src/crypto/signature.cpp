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

namespace {

/// A private key held in memory (a key file).
class SoftwareKey final : public SigningKey {
 public:
  explicit SoftwareKey(PrivateKey key) : key_(std::move(key)) {}
  const PublicKey& public_key() const override { return key_.public_key(); }
  Result<std::vector<uint8_t>> sign(std::span<const uint8_t, 32> digest) const override {
    if (key_.algorithm() == KeyAlgorithm::kRsa) return rsa_pkcs1_sha256_sign(key_, digest);
    return ecdsa_p256_sign(key_, digest);
  }

 private:
  PrivateKey key_;
};

}  // namespace

Result<Signer> Signer::create(PrivateKey key) {
  return create(std::make_shared<SoftwareKey>(std::move(key)));
}

Result<Signer> Signer::create(std::shared_ptr<const SigningKey> key) {
  RPROCTEE_CHECK(check_strength(key->public_key()));
  return Signer(std::move(key));
}

Result<std::vector<uint8_t>> Signer::sign(std::span<const uint8_t, 32> digest) const {
  return key_->sign(digest);
}

}  // namespace rproctee::crypto
