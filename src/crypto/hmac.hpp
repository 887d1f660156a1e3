// HMAC-SHA256 (integrity of the secure side's persistent state).
#pragma once

#include <span>

#include "crypto/sha256.hpp"

namespace rproctee::crypto {

Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data);

}  // namespace rproctee::crypto
