// The meaning of a signed image's TLVs, decoded after the signature has been verified (H3)
// with the exact lengths and cross-checks of H4.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "image/elf32.hpp"
#include "image/format.hpp"
#include "image/tlv.hpp"

namespace rproctee::image {

/// One HASHTABLE (64 bytes) or ENCTABLE (80 bytes) entry.
struct SegmentEntry {
  std::span<const uint8_t> raw_phdr;          // the 32 signed program-header bytes
  Elf32Phdr phdr;                             // decoded from raw_phdr
  std::array<uint8_t, 32> digest{};           // SHA-256 of the (encrypted, for ENCTABLE) file bytes
  std::optional<std::array<uint8_t, 16>> iv;  // ENCTABLE only
};

/// Everything the TLV area says, checked.
struct SignedTlvs {
  SignType sign_type = SignType::kRsaPkcs1Sha256;
  uint8_t hash_type = 0;
  std::vector<ImageType> image_types;
  std::vector<uint32_t> image_sizes;
  bool encrypted = false;              // ENCTABLE + ENCTYPE instead of HASHTABLE
  std::vector<SegmentEntry> segments;  // every program header of every image, in order
  std::optional<std::span<const uint8_t>> key_info;  // PKEYINFO: a hint, never a key
  std::vector<Tlv> platform;                         // 0x10000..0x1FFFF, in area order
  std::optional<uint32_t> boot_addr;                 // BOOTADDR
  std::optional<uint32_t> boot_sec;                  // BOOTSEC

  /// The platform TLV of that type, if present.
  const Tlv* find_platform(uint32_t type) const;
};

/// Decodes the TLVs of a walked area. Checks (H4): required TLVs present (NO_DATA; a missing
/// SIGNTYPE is BAD_PARAMETERS, as upstream), exact lengths, HASHTYPE == SHA-256, NUM_IMG >= 1,
/// IMGTYPE/IMGSIZE sized by NUM_IMG, every IMGSIZE a non-zero multiple of 8 summing to
/// img_len, table sizes, no unknown generic type, one kind of image (all ELF with HASHTABLE,
/// or all ENC_ELF with ENCTYPE + ENCTABLE).
Result<SignedTlvs> decode_signed_tlvs(const std::vector<Tlv>& tlvs, uint32_t img_len);

/// Decodes a HASHTABLE/ENCTABLE value into entries (structure only).
Result<std::vector<SegmentEntry>> decode_segment_table(std::span<const uint8_t> table,
                                                       bool encrypted);

/// Parses a platform-TLV value that must be one u32 ("BOOTADDR must be 4 bytes").
Result<uint32_t> platform_u32(const Tlv& tlv);

}  // namespace rproctee::image
