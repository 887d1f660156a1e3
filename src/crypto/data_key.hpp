// A fresh AES-256 key that only the holder of one private key can recover (sealed core dumps):
// for an RSA recipient a random key wrapped with RSA-OAEP-SHA256; for a P-256 recipient a key
// derived with ECDH (fresh ephemeral key) and HKDF-SHA256.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "crypto/aes_gcm.hpp"
#include "crypto/keys.hpp"

namespace rproctee::crypto {

/// How a data key reaches its recipient (the numbers are part of the sealed-dump format).
enum class KeyWrapping : uint32_t { kRsaOaepSha256 = 1, kEcdhP256HkdfSha256 = 2 };

/// "RSA-OAEP-SHA256" / "ECDH-P256-HKDF-SHA256".
std::string_view key_wrapping_name(KeyWrapping wrapping);

/// What the recipient needs besides its private key: the RSA-OAEP ciphertext of the key, or
/// the ephemeral P-256 point.
struct WrappedKey {
  KeyWrapping wrapping = KeyWrapping::kRsaOaepSha256;
  std::vector<uint8_t> bytes;
};

struct DataKey {
  GcmKey key{};
  WrappedKey wrapped;
};

/// The wrapping a recipient key implies.
KeyWrapping key_wrapping_for(const PublicKey& recipient);
/// Size of WrappedKey::bytes for `recipient`, known before any key is made.
size_t wrapped_key_size(const PublicKey& recipient);

/// A new data key for `recipient`. `context` binds a derived key to its use (HKDF info).
Result<DataKey> new_data_key(const PublicKey& recipient, std::span<const uint8_t> context);

/// The data key `wrapped` carries, with the recipient's private key and the same `context`.
/// Error code SECURITY when it was not made for this key.
Result<GcmKey> recover_data_key(const PrivateKey& recipient, const WrappedKey& wrapped,
                                std::span<const uint8_t> context);

}  // namespace rproctee::crypto
