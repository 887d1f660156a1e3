// ECDH on P-256 (sealed core dumps): a fresh ephemeral key agrees a secret with a recipient's
// public key; the recipient computes the same secret from the ephemeral public point.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "crypto/keys.hpp"

namespace rproctee::crypto {

/// Size of an uncompressed P-256 point (0x04 || X || Y).
inline constexpr size_t kP256PointSize = 65;

using EcdhSecret = std::array<uint8_t, 32>;  // the X coordinate of the shared point

/// One side of a key agreement: the ephemeral public point to send, and the shared secret.
struct EcdhShare {
  std::array<uint8_t, kP256PointSize> ephemeral_point{};
  EcdhSecret secret{};
};

/// A fresh ephemeral key pair agreed with `recipient` (a P-256 public key).
Result<EcdhShare> ecdh_p256_share(const PublicKey& recipient);

/// The secret `ecdh_p256_share` agreed, from the recipient's private key and the ephemeral
/// point. BAD_FORMAT when the point is not on the curve.
Result<EcdhSecret> ecdh_p256_receive(const PrivateKey& recipient,
                                     std::span<const uint8_t> ephemeral_point);

}  // namespace rproctee::crypto
