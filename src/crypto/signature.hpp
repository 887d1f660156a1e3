// Signer and Verifier: built once from a key, they can only use the algorithm the key implies
// (Tink-style). The image layer signs and verifies through these two types only.
#pragma once

#include <cstdint>
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

/// Signs SHA-256 digests with one private key.
class Signer {
 public:
  /// Rejects RSA keys below 2048 bits (the TA would never accept their signatures).
  static Result<Signer> create(PrivateKey key);
  Result<std::vector<uint8_t>> sign(std::span<const uint8_t, 32> digest) const;
  const PublicKey& public_key() const { return key_.public_key(); }
  size_t signature_size() const { return key_.public_key().signature_size(); }

 private:
  explicit Signer(PrivateKey key) : key_(std::move(key)) {}
  PrivateKey key_;
};

}  // namespace rproctee::crypto
