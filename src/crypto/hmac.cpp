#include "crypto/hmac.hpp"

#include <openssl/hmac.h>

namespace rproctee::crypto {

Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Digest d{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), d.data(),
       &len);
  return d;
}

}  // namespace rproctee::crypto
