// The TLV area: a canonical, bounds-checked walk and the writer the signer uses.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/byte_writer.hpp"
#include "common/result.hpp"

namespace rproctee::image {

/// One TLV as found in the area: its type, where its 8-byte header starts, and its value.
struct Tlv {
  uint32_t type = 0;
  uint64_t offset = 0;  // offset of the TLV header inside the TLV area
  std::span<const uint8_t> value;
};

/// "HASHTABLE (0x10)" or "0x10010" for unnamed types.
std::string describe_tlv_type(uint32_t type);

/// Walks `area` (the RU8(tlv_len) bytes after the header) canonically (H4): every TLV fits in
/// tlv_len, padding is zero and keeps each TLV 8-byte aligned, the walk ends exactly at the end
/// of the area, and no type appears twice. Appends each TLV decoded so far to `out`, so that
/// on error the caller can still show what came before. Error code: BAD_FORMAT.
Status walk_tlvs(std::span<const uint8_t> area, uint32_t tlv_len, std::vector<Tlv>& out);

/// Appends TLVs the way the reference signer does: type, length, value, zero padding so that
/// (8 + length) is a multiple of 8.
class TlvWriter {
 public:
  /// Appends one TLV; returns the offset of its value in the area.
  size_t add(uint32_t type, std::span<const uint8_t> value);
  void add_u8(uint32_t type, uint8_t value) { add(type, std::span<const uint8_t>(&value, 1)); }
  std::span<const uint8_t> bytes() const { return out_.buffer(); }
  std::vector<uint8_t> take() { return out_.take(); }

 private:
  mutable ByteWriter out_;
};

}  // namespace rproctee::image
