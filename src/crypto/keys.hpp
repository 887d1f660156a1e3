// Public and private keys: loading (PEM or DER, optional passphrase), generation, export,
// fingerprints. Only RSA (>= 2048 bits for verification) and ECDSA P-256 are accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/ossl.hpp"

namespace rproctee::crypto {

/// The signature algorithm a key implies (the image's SIGNTYPE must agree, H3).
enum class KeyAlgorithm { kRsa, kEcdsaP256 };

std::string_view key_algorithm_name(KeyAlgorithm alg);

/// A public key usable to verify image signatures.
class PublicKey {
 public:
  /// Accepts a SubjectPublicKeyInfo or PKCS#1 RSA public key, or a private key (its public
  /// half), in PEM or DER. `source` names the input in errors (a path).
  static Result<PublicKey> from_bytes(std::span<const uint8_t> data, std::string_view source);
  static Result<PublicKey> load_file(const std::string& path);

  KeyAlgorithm algorithm() const { return alg_; }
  /// Modulus bits (RSA) or 256 (P-256).
  uint32_t bits() const { return bits_; }
  /// Exact signature length: modulus bytes (RSA) or 64 (raw r||s).
  size_t signature_size() const;
  /// "RSA-3072" / "ECDSA P-256".
  std::string describe() const;
  /// SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex.
  const std::string& fingerprint() const { return fingerprint_; }
  std::vector<uint8_t> spki_der() const;
  std::string pem() const;
  /// RSA: big-endian modulus and public exponent. EC: 32-byte X and Y.
  std::pair<std::vector<uint8_t>, std::vector<uint8_t>> components() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  friend class PrivateKey;
  static Result<PublicKey> from_pkey(SharedPkey key, std::string_view source);
  SharedPkey key_;
  KeyAlgorithm alg_ = KeyAlgorithm::kRsa;
  uint32_t bits_ = 0;
  std::string fingerprint_;
};

/// What `keygen` can make.
enum class KeySpec { kRsa2048, kRsa3072, kRsa4096, kP256 };

/// A private signing key.
class PrivateKey {
 public:
  /// PEM or DER (PKCS#1, PKCS#8, SEC1; encrypted forms need `passphrase`).
  static Result<PrivateKey> from_bytes(std::span<const uint8_t> data, std::string_view source,
                                       const std::optional<std::string>& passphrase);
  static Result<PrivateKey> load_file(const std::string& path,
                                      const std::optional<std::string>& passphrase);
  static Result<PrivateKey> generate(KeySpec spec);

  KeyAlgorithm algorithm() const { return public_.algorithm(); }
  const PublicKey& public_key() const { return public_; }
  /// Unencrypted PKCS#8 PEM.
  std::string pem() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  SharedPkey key_;
  PublicKey public_;
};

}  // namespace rproctee::crypto
