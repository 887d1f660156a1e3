// Opening a sealed core dump (sealed_core.hpp) with the debug key: the sealed regions are
// decrypted and authenticated, and the result is a plain ELF core (core_file.hpp) holding the
// open segments and the unsealed ones, in address order, with the same registers. The file is
// untrusted input: every field is read through the bounds-checked reader.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "crypto/data_key.hpp"
#include "crypto/keys.hpp"

namespace rproctee::image {

/// What the sealed section says about itself (readable without the key).
struct SealedRegion {
  uint32_t address = 0;
  uint32_t size = 0;
};
struct SealedSummary {
  crypto::KeyWrapping wrapping = crypto::KeyWrapping::kRsaOaepSha256;
  std::string recipient;  // SHA-256 of the debug key's SubjectPublicKeyInfo, lower-case hex
  std::vector<SealedRegion> regions;
};

struct OpenedCore {
  std::vector<uint8_t> elf;  // the plain core file
  SealedSummary sealed;
};

/// Opens `file` (named `file_name` in errors) with `key` (named `key_name`). BAD_FORMAT for a
/// file that is not a sealed core; SECURITY for a key the dump was not sealed for ("the dump
/// was sealed for key SHA256:... not for KEY") or sealed bytes that fail authentication.
Result<OpenedCore> open_sealed_coredump(std::span<const uint8_t> file, std::string_view file_name,
                                        const crypto::PrivateKey& key, std::string_view key_name);

}  // namespace rproctee::image
