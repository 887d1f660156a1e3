// HKDF with SHA-256 (RFC 5869): turns an agreed secret into a key bound to its context.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/result.hpp"

namespace rproctee::crypto {

/// 32 bytes of output keying material from `secret`, `salt` (may be empty) and `info`.
Result<std::array<uint8_t, 32>> hkdf_sha256(std::span<const uint8_t> secret,
                                            std::span<const uint8_t> salt,
                                            std::span<const uint8_t> info);

}  // namespace rproctee::crypto
