#include "crypto/ossl.hpp"

#include <openssl/err.h>

namespace rproctee::crypto {

std::string openssl_error() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace rproctee::crypto
