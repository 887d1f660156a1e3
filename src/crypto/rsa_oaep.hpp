// RSA-OAEP with SHA-256 (and MGF1-SHA-256, empty label): wraps a short secret for the holder
// of an RSA private key (sealed core dumps).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "crypto/keys.hpp"

namespace rproctee::crypto {

/// Encrypts `secret` to an RSA public key (>= 2048 bits); the result is modulus-sized.
Result<std::vector<uint8_t>> rsa_oaep_encrypt(const PublicKey& key,
                                              std::span<const uint8_t> secret);

/// Decrypts what rsa_oaep_encrypt made for `key`'s public half. Error code SECURITY when the
/// ciphertext was not made for this key (or was changed).
Result<std::vector<uint8_t>> rsa_oaep_decrypt(const PrivateKey& key,
                                              std::span<const uint8_t> ciphertext);

}  // namespace rproctee::crypto
