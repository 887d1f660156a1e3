// RSASSA-PKCS1-v1_5 with SHA-256: deterministic signing and strict verification by
// encode-and-compare of the whole encoded message (H10).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "crypto/keys.hpp"

namespace rproctee::crypto {

inline constexpr uint32_t kMinRsaBits = 2048;

/// Signs a SHA-256 digest; the result is exactly modulus-length bytes.
Result<std::vector<uint8_t>> rsa_pkcs1_sha256_sign(const PrivateKey& key,
                                                   std::span<const uint8_t, 32> digest);

/// Strict verification: signature length == modulus length, s < n, then s^e mod n must equal
/// 00 01 FF..FF 00 || DigestInfo(SHA-256, NULL params) || digest byte for byte.
/// Error code: SIGNATURE_INVALID, message saying which rule failed.
Status rsa_pkcs1_sha256_verify(const PublicKey& key, std::span<const uint8_t, 32> digest,
                               std::span<const uint8_t> signature);

/// DigestInfo { sha256, NULL } || digest (51 bytes): what an RSA PKCS#1 v1.5 signer pads and
/// exponentiates (the input of PKCS#11's CKM_RSA_PKCS).
std::vector<uint8_t> sha256_digest_info(std::span<const uint8_t, 32> digest);

/// The expected EMSA-PKCS1-v1_5 block for a SHA-256 digest and a k-byte modulus.
std::vector<uint8_t> emsa_pkcs1_sha256(std::span<const uint8_t, 32> digest, size_t k);

}  // namespace rproctee::crypto
