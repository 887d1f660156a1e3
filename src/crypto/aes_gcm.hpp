// AES-256-GCM (sealed core dumps): authenticated encryption of several buffers as one message,
// written straight into the output so that no plaintext copy is ever made on the way.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/result.hpp"

namespace rproctee::crypto {

using GcmKey = std::array<uint8_t, 32>;  // AES-256
using GcmIv = std::array<uint8_t, 12>;   // 96-bit nonce: never reuse one with the same key
using GcmTag = std::array<uint8_t, 16>;

/// Encrypts the concatenation of `parts` into `out` (exactly their total size), authenticating
/// `aad` as well. Returns the tag.
Result<GcmTag> aes_gcm_encrypt(const GcmKey& key, const GcmIv& iv, std::span<const uint8_t> aad,
                               std::span<const std::span<const uint8_t>> parts,
                               std::span<uint8_t> out);

/// Decrypts `in` into `out` (same size) and checks `tag` over `aad` and `in`. On a mismatch
/// `out` is wiped and the error (code SECURITY) says the data was changed.
Status aes_gcm_decrypt(const GcmKey& key, const GcmIv& iv, std::span<const uint8_t> aad,
                       std::span<const uint8_t> in, std::span<uint8_t> out, const GcmTag& tag);

}  // namespace rproctee::crypto
