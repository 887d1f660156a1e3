// SHA-256, streaming and one-shot, over OpenSSL's EVP interface.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "crypto/ossl.hpp"

namespace rproctee::crypto {

using Digest = std::array<uint8_t, 32>;

/// Incremental SHA-256. Not copyable; reusable after finish() via reset().
class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> data);
  Digest finish();
  void reset();

  /// SHA-256 of one buffer.
  static Digest of(std::span<const uint8_t> data);

 private:
  MdCtxPtr ctx_;
};

/// Lower-case hex of any bytes.
std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace rproctee::crypto
