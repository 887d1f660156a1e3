// Signer and Verifier: built once from a key, they can only use the algorithm the key implies
// (Tink-style). The image layer signs and verifies through these two types only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "crypto/keys.hpp"

namespace rproctee::crypto {

/// Verifies SHA-256 digests with one public key.
class Verifier {
 public:
  /// Rejects RSA keys below 2048 bits (NOT_SUPPORTED).
  static Result<Verifier> create(PublicKey key);
  /// Strict check; SIGNATURE_INVALID on any failure.
  Status verify(std::span<const uint8_t, 32> digest, std::span<const uint8_t> signature) const;
  const PublicKey& key() const { return key_; }

 private:
  explicit Verifier(PublicKey key) : key_(std::move(key)) {}
  PublicKey key_;
};

/// A private key that signs SHA-256 digests as the image format wants them (RSA PKCS#1 v1.5;
/// ECDSA P-256 raw r||s): a key in memory, or one that never leaves a token (pkcs11.hpp).
class SigningKey {
 public:
  virtual ~SigningKey() = default;
  virtual const PublicKey& public_key() const = 0;
  virtual Result<std::vector<uint8_t>> sign(std::span<const uint8_t, 32> digest) const = 0;
};

/// Signs SHA-256 digests with one private key.
class Signer {
 public:
  /// Rejects RSA keys below 2048 bits (the TA would never accept their signatures).
  static Result<Signer> create(PrivateKey key);
  static Result<Signer> create(std::shared_ptr<const SigningKey> key);
  Result<std::vector<uint8_t>> sign(std::span<const uint8_t, 32> digest) const;
  const PublicKey& public_key() const { return key_->public_key(); }
  size_t signature_size() const { return key_->public_key().signature_size(); }

 private:
  explicit Signer(std::shared_ptr<const SigningKey> key) : key_(std::move(key)) {}
  std::shared_ptr<const SigningKey> key_;
};

}  // namespace rproctee::crypto
