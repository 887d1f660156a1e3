#include "image/header.hpp"

#include "common/byte_reader.hpp"
#include "image/format.hpp"

namespace rproctee::image {

namespace {
constexpr uint32_t kElfMagicLe = 0x464C457F;  // "\x7fELF" read as a little-endian u32
}

Result<ImageHeader> decode_header(std::span<const uint8_t> bytes) {
  ByteReader in(bytes, "header", TeeCode::kBadParameters);
  if (bytes.size() < kHeaderSize)
    return make_error(TeeCode::kBadParameters,
                      "file is {} bytes, smaller than the {}-byte header of a signed image",
                      bytes.size(), kHeaderSize);
  ImageHeader h;
  RPROCTEE_ASSIGN(h.magic, in.u32(0, "magic"));
  RPROCTEE_ASSIGN(h.version, in.u32(4, "version"));
  RPROCTEE_ASSIGN(h.tlv_len, in.u32(8, "tlv_len"));
  RPROCTEE_ASSIGN(h.sign_len, in.u32(12, "sign_len"));
  RPROCTEE_ASSIGN(h.img_len, in.u32(16, "img_len"));
  return h;
}

Result<ContainerLayout> parse_header(std::span<const uint8_t> first_bytes, uint64_t file_size) {
  RPROCTEE_ASSIGN(const ImageHeader h, decode_header(first_bytes));
  const auto bad = TeeCode::kBadParameters;
  if (h.magic != kMagic) {
    if (h.magic == kElfMagicLe)
      return make_error(bad,
                        "header magic is {:#010x} (\"\\x7fELF\"), expected {:#010x}: this is a "
                        "plain ELF file, not a signed image; sign it with `rproctee sign`",
                        h.magic, kMagic);
    return make_error(bad, "header magic is {:#010x}, expected {:#010x}", h.magic, kMagic);
  }
  if (h.version != kVersion)
    return make_error(bad, "header version is {}, only version {} exists", h.version, kVersion);
  if (h.tlv_len == 0) return make_error(bad, "header tlv_len is 0: the TLV area is empty");
  if (h.tlv_len > kMaxTlvLen)
    return make_error(bad, "header tlv_len is {:#x}, more than the {:#x}-byte limit", h.tlv_len,
                      kMaxTlvLen);
  if (h.sign_len == 0) return make_error(bad, "header sign_len is 0: no signature");
  if (h.sign_len > kMaxSignLen)
    return make_error(bad, "header sign_len is {:#x}, more than the {}-byte limit", h.sign_len,
                      kMaxSignLen);
  if (h.img_len == 0) return make_error(bad, "header img_len is 0: no image");

  ContainerLayout l;
  l.header = h;
  l.tlv_offset = kHeaderSize;
  l.tlv_area_size = round_up8(h.tlv_len);
  l.sig_offset = l.tlv_offset + l.tlv_area_size;
  l.sig_area_size = round_up8(h.sign_len);
  l.images_offset = l.sig_offset + l.sig_area_size;
  l.images_area_size = round_up8(h.img_len);
  l.total_size = l.images_offset + l.images_area_size;  // < 2^33: no overflow in 64 bits
  if (file_size > l.total_size)
    return make_error(bad, "file is {} bytes longer than the header says ({} vs {})",
                      file_size - l.total_size, file_size, l.total_size);
  if (file_size < l.total_size)
    return make_error(bad, "file is {} bytes shorter than the header says ({} vs {})",
                      l.total_size - file_size, file_size, l.total_size);
  return l;
}

void write_header(ByteWriter& out, const ImageHeader& header) {
  out.u32(header.magic);
  out.u32(header.version);
  out.u32(header.tlv_len);
  out.u32(header.sign_len);
  out.u32(header.img_len);
}

}  // namespace rproctee::image
