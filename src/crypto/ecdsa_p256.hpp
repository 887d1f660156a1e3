// ECDSA P-256 with SHA-256, signatures as raw r||s (32 + 32 bytes, as pycryptodome's
// DSS 'fips-186-3' writes them). Verification checks 1 <= r, s < n and accepts high S (H10).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "crypto/keys.hpp"

namespace rproctee::crypto {

/// Signs a SHA-256 digest; returns 64 bytes r||s (randomised).
Result<std::vector<uint8_t>> ecdsa_p256_sign(const PrivateKey& key,
                                             std::span<const uint8_t, 32> digest);

/// Verifies a raw r||s signature. Error code: SIGNATURE_INVALID.
Status ecdsa_p256_verify(const PublicKey& key, std::span<const uint8_t, 32> digest,
                         std::span<const uint8_t> signature);

/// DER ECDSA-Sig-Value -> 64-byte r||s (for signatures made by an HSM or openssl).
Result<std::vector<uint8_t>> ecdsa_der_to_raw(std::span<const uint8_t> der);
/// 64-byte r||s -> DER.
Result<std::vector<uint8_t>> ecdsa_raw_to_der(std::span<const uint8_t> raw);

}  // namespace rproctee::crypto
