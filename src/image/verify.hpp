// Offline verification: replays every check of the trusted application that needs no
// platform (H1-H4, H5, H6, H7 without regions, H9 structure, H10), including the digest of
// every segment, and reports what it decoded even when a check fails.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/signature.hpp"
#include "image/container.hpp"
#include "image/load_plan.hpp"
#include "image/resource_table.hpp"
#include "image/signed_tlvs.hpp"

namespace rproctee::image {

struct VerifyOptions {
  std::vector<crypto::Verifier> keys;
  std::optional<std::vector<uint8_t>> aes_key;  // decrypt ENC_ELF segments after their digest
};

enum class DigestStatus { kNotChecked, kMatch, kMismatch };

struct SegmentReport {
  uint32_t table_index = 0;
  Elf32Phdr phdr;  // signed values
  DigestStatus digest = DigestStatus::kNotChecked;
  bool encrypted = false;
  bool decrypted = false;
};

struct ImageReport {
  ImageType type = ImageType::kElf;
  uint32_t size = 0;
  std::optional<uint32_t> entry;
  std::vector<SegmentReport> segments;
  std::optional<RscLocation> rsc_location;
  std::optional<ResourceTable> rsc_table;
  bool rsc_encrypted = false;  // table lies in ciphertext and no AES key was given
};

struct VerifyReport {
  /// kSuccess when authentic; otherwise the code the TA would return and why.
  Error error{TeeCode::kSuccess, ""};
  /// The check that failed (or the last one run): "header", "signature", "TLVs", ...
  std::string check;
  std::optional<size_t> key_index;
  std::optional<ContainerLayout> layout;
  std::optional<SignedTlvs> tlvs;  // spans point into the verified file
  std::vector<ImageReport> images;

  bool authentic() const { return error.code == TeeCode::kSuccess; }
};

/// Verifies a whole signed image held in memory.
VerifyReport verify_signed_image(std::span<const uint8_t> file, const VerifyOptions& options);

}  // namespace rproctee::image
