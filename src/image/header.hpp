// The 20-byte header of a signed image and the layout of the areas it describes.
#pragma once

#include <cstdint>
#include <span>

#include "common/byte_writer.hpp"
#include "common/result.hpp"

namespace rproctee::image {

/// The five header words, as stored.
struct ImageHeader {
  uint32_t magic = 0;
  uint32_t version = 0;
  uint32_t tlv_len = 0;   // TLV area length (the signer makes it a multiple of 8)
  uint32_t sign_len = 0;  // exact signature length
  uint32_t img_len = 0;   // sum of the images' sizes, each rounded up to 8
};

/// Where each area of a signed image lies, computed in 64 bits from a validated header.
struct ContainerLayout {
  ImageHeader header;
  uint64_t tlv_offset = 0;     // always 20
  uint64_t tlv_area_size = 0;  // RU8(tlv_len)
  uint64_t sig_offset = 0;
  uint64_t sig_area_size = 0;  // RU8(sign_len)
  uint64_t images_offset = 0;
  uint64_t images_area_size = 0;  // RU8(img_len)
  uint64_t total_size = 0;

  /// Length of the signed prefix: header || TLV area.
  uint64_t signed_size() const { return tlv_offset + tlv_area_size; }
};

/// Decodes the header words from the first 20 bytes (no checks).
Result<ImageHeader> decode_header(std::span<const uint8_t> bytes);

/// Validates a header against the size of the whole file (magic, version, non-zero and
/// bounded lengths, exact total size) and computes the layout. Error code: BAD_PARAMETERS.
Result<ContainerLayout> parse_header(std::span<const uint8_t> first_bytes, uint64_t file_size);

/// Appends the 20 header bytes.
void write_header(ByteWriter& out, const ImageHeader& header);

}  // namespace rproctee::image
