// Key material the secure world holds (the firmware-encryption key, the device key of the
// anti-rollback store): one buffer per secret, on pages of its own that are locked in RAM
// (mlock: never swapped out), left out of core dumps (MADV_DONTDUMP) and cleansed before they
// are given back. Copies share that one buffer, so a secret is never duplicated in the heap.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "common/result.hpp"

namespace rproctee::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  /// A locked copy of `bytes`. The caller cleanses its own copy (e.g. cleanse()).
  static Result<SecretBytes> copy_of(std::span<const uint8_t> bytes);
  /// `size` random bytes generated in place (never in the heap).
  static Result<SecretBytes> random(size_t size);

  std::span<const uint8_t> bytes() const;
  size_t size() const { return bytes().size(); }
  bool empty() const { return size() == 0; }
  /// True when the pages are locked in RAM (mlock can fail under a low RLIMIT_MEMLOCK: the
  /// secret is then still excluded from core dumps and cleansed).
  bool locked() const;

 private:
  struct Pages;
  std::shared_ptr<const Pages> pages_;
};

/// Overwrites `bytes` with zeros in a way the compiler may not remove (OPENSSL_cleanse).
void cleanse(std::span<uint8_t> bytes);

}  // namespace rproctee::crypto
