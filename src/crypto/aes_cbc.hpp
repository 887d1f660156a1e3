// AES-CBC without padding (ST's encrypted firmware segments), and random bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/result.hpp"

namespace rproctee::crypto {

using AesIv = std::array<uint8_t, 16>;

/// Encrypts or decrypts `in` into `out` (same size, a multiple of 16; may alias) with a 16-,
/// 24- or 32-byte key. Error code: BAD_PARAMETERS for bad sizes.
Status aes_cbc_encrypt(std::span<const uint8_t> key, const AesIv& iv, std::span<const uint8_t> in,
                       std::span<uint8_t> out);
Status aes_cbc_decrypt(std::span<const uint8_t> key, const AesIv& iv, std::span<const uint8_t> in,
                       std::span<uint8_t> out);

/// Checks an AES key length (16, 24 or 32 bytes).
Status check_aes_key(std::span<const uint8_t> key, std::string_view source);

/// Cryptographically secure random bytes.
Status random_bytes(std::span<uint8_t> out);

}  // namespace rproctee::crypto
