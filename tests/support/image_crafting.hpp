// Signing and re-signing for tests: sign ELFs with a test key through the library, take a
// signed image apart, change any header word / TLV / image byte, and re-sign it so that only
// the intended property is wrong.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "image/builder.hpp"
#include "image/verify.hpp"
#include "support/test_keys.hpp"

namespace rproctee::test {

/// Options of sign_elfs.
struct SignOptions {
  std::vector<image::PlatformTlv> platform;
  std::optional<std::vector<uint8_t>> key_info;
  std::optional<std::vector<uint8_t>> enc_key;
  image::TlvOrder order = image::TlvOrder::kUpstream;
  std::optional<std::vector<std::array<uint8_t, 16>>> ivs;  // with enc_key: fixed, not random
};

/// Signs ELF files with the library's builder (as `rproctee sign` does).
std::vector<uint8_t> sign_elfs(const std::vector<std::vector<uint8_t>>& elfs, const TestKey& key,
                               const SignOptions& options = {});

/// A signed image taken apart; every field may be changed before reassembly.
struct RawImage {
  uint32_t magic = 0x3543A468, version = 1;
  std::optional<uint32_t> tlv_len, sign_len, img_len;           // computed when absent
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> tlvs;  // written in order, padded
  std::vector<uint8_t> extra_tlv_bytes;                         // appended after the TLVs
  std::vector<std::vector<uint8_t>> images;                     // padded to 8 each
  std::vector<uint8_t> signature;                               // replaced by resign()

  /// The TLV value of `type` (must exist).
  std::vector<uint8_t>& tlv(uint32_t type);
  void remove_tlv(uint32_t type);
};

/// Decodes a valid signed image into parts.
RawImage decompose(std::span<const uint8_t> file);

/// Writes the parts as they are (signature as stored in `raw.signature`).
std::vector<uint8_t> assemble_raw(const RawImage& raw);

/// Recomputes the signature over header || TLV area with `key`, then assembles.
std::vector<uint8_t> resign(RawImage raw, const TestKey& key);

/// Rebuilds the HASHTABLE of a (plain) RawImage from its current images, so that an ELF can
/// be changed and the image still carries matching digests.
void rehash(RawImage& raw);

/// Offline verification with one key (and an AES key).
image::VerifyReport verify_with(std::span<const uint8_t> file, const TestKey& key,
                                std::optional<std::vector<uint8_t>> aes_key = std::nullopt);

/// Little-endian fields of a byte buffer (bounds-checked: std::out_of_range).
void put_u16(std::vector<uint8_t>& bytes, size_t offset, uint16_t value);
void put_u32(std::vector<uint8_t>& bytes, size_t offset, uint32_t value);
uint16_t get_u16(std::span<const uint8_t> bytes, size_t offset);
uint32_t get_u32(std::span<const uint8_t> bytes, size_t offset);

/// The 4 little-endian bytes of `value` (a TLV value, a table word).
std::vector<uint8_t> le32(uint32_t value);

}  // namespace rproctee::test
