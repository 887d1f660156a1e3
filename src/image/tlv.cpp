#include "image/tlv.hpp"

#include <algorithm>

#include "common/byte_reader.hpp"
#include "image/format.hpp"

namespace rproctee::image {

std::string describe_tlv_type(uint32_t type) {
  if (auto name = tlv_name(type)) return fmt::format("{} ({:#x})", *name, type);
  return fmt::format("{:#x}", type);
}

Status walk_tlvs(std::span<const uint8_t> area, uint32_t tlv_len, std::vector<Tlv>& out) {
  const auto bad = TeeCode::kBadFormat;
  if (area.size() != round_up8(tlv_len))
    return make_error(bad, "TLV area is {} bytes, expected RU8(tlv_len {}) = {}", area.size(),
                      tlv_len, round_up8(tlv_len));
  ByteReader in(area, "TLV area", bad);
  uint64_t pos = 0;
  while (pos < tlv_len) {
    if (!range_fits(pos, 8, tlv_len))
      return make_error(bad,
                        "TLV area: {} trailing bytes at offset {:#x} are too short for a TLV "
                        "header (tlv_len {})",
                        tlv_len - pos, pos, tlv_len);
    RPROCTEE_ASSIGN(const uint32_t type, in.u32(pos, "TLV type"));
    RPROCTEE_ASSIGN(const uint32_t length, in.u32(pos + 4, "TLV length"));
    if (!range_fits(pos + 8, length, tlv_len))
      return make_error(bad, "TLV {} at offset {:#x}: length {} runs {} bytes past tlv_len ({})",
                        describe_tlv_type(type), pos, length, pos + 8 + length - tlv_len, tlv_len);
    const uint64_t next = pos + round_up8(8 + uint64_t{length});
    RPROCTEE_ASSIGN(auto padding,
                    in.bytes(pos + 8 + length, next - pos - 8 - length, "TLV padding"));
    if (std::any_of(padding.begin(), padding.end(), [](uint8_t b) { return b != 0; }))
      return make_error(bad, "TLV {} at offset {:#x}: padding after the value is not zero",
                        describe_tlv_type(type), pos);
    for (const Tlv& seen : out)
      if (seen.type == type)
        return make_error(bad, "TLV {} appears twice (offsets {:#x} and {:#x})",
                          describe_tlv_type(type), seen.offset, pos);
    RPROCTEE_ASSIGN(auto value, in.bytes(pos + 8, length, "TLV value"));
    out.push_back(Tlv{type, pos, value});
    pos = next;
  }
  if (pos != area.size())
    return make_error(bad,
                      "TLV area: the last TLV ends at {:#x}, not at the end of the area ({:#x})",
                      pos, area.size());
  return {};
}

size_t TlvWriter::add(uint32_t type, std::span<const uint8_t> value) {
  out_.u32(type);
  out_.u32(static_cast<uint32_t>(value.size()));
  const size_t value_offset = out_.buffer().size();
  out_.bytes(value);
  out_.align(8);
  return value_offset;
}

}  // namespace rproctee::image
