#include "rpmsg/wire.hpp"

#include <algorithm>
#include <cstring>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"

namespace rproctee::rpmsg {

Result<Header> parse_header(std::span<const uint8_t> buffer) {
  const ByteReader r(buffer, "rpmsg buffer", TeeCode::kBadFormat);
  Header h;
  RPROCTEE_ASSIGN(h.src, r.u32(0, "src"));
  RPROCTEE_ASSIGN(h.dst, r.u32(4, "dst"));
  RPROCTEE_ASSIGN(h.reserved, r.u32(8, "reserved"));
  RPROCTEE_ASSIGN(h.len, r.u16(12, "len"));
  RPROCTEE_ASSIGN(h.flags, r.u16(14, "flags"));
  if (h.len > kMaxPayload)
    return make_error(TeeCode::kBadFormat, "rpmsg header: len {} exceeds the {}-byte payload",
                      h.len, kMaxPayload);
  if (!r.contains(kHeaderSize, h.len))
    return make_error(TeeCode::kBadFormat,
                      "rpmsg header: len {} but the device wrote only {} bytes after the header",
                      h.len, buffer.size() - kHeaderSize);
  return h;
}

void write_message(std::span<uint8_t> out, const Header& header, std::span<const uint8_t> payload) {
  // The caller hands a whole buffer (kBufferSize) for at most kMaxPayload bytes: every store
  // fits.
  store_le(out, 0, header.src);
  store_le(out, 4, header.dst);
  store_le(out, 8, header.reserved);
  store_le(out, 12, header.len);
  store_le(out, 14, header.flags);
  std::copy(payload.begin(), payload.end(), out.begin() + kHeaderSize);
}

Result<NsMessage> parse_ns_message(std::span<const uint8_t> payload) {
  if (payload.size() != kNsMessageSize)
    return make_error(TeeCode::kBadFormat, "name service message of {} bytes (expected {})",
                      payload.size(), kNsMessageSize);
  const ByteReader r(payload, "name service message", TeeCode::kBadFormat);
  RPROCTEE_ASSIGN(const auto name, r.bytes(0, kNameSize, "name"));
  const auto nul = std::find(name.begin(), name.end(), uint8_t{0});
  if (nul == name.end())
    return make_error(TeeCode::kBadFormat, "name service message: name not NUL-terminated");
  if (nul == name.begin())
    return make_error(TeeCode::kBadFormat, "name service message: empty name");
  NsMessage m;
  m.name.assign(name.begin(), nul);
  RPROCTEE_ASSIGN(m.addr, r.u32(kNameSize, "addr"));
  RPROCTEE_ASSIGN(const uint32_t flags, r.u32(kNameSize + 4, "flags"));
  if (flags > static_cast<uint32_t>(NsAction::kDestroy))
    return make_error(TeeCode::kBadFormat, "name service message \"{}\": flags {:#x} unknown",
                      m.name, flags);
  m.action = static_cast<NsAction>(flags);
  return m;
}

std::vector<uint8_t> encode_ns_message(std::string_view name, uint32_t addr, NsAction action) {
  std::vector<uint8_t> out(kNsMessageSize, 0);
  std::memcpy(out.data(), name.data(), std::min(name.size(), kNameSize - 1));
  store_le<uint32_t>(out, kNameSize, addr);
  store_le(out, kNameSize + 4, static_cast<uint32_t>(action));
  return out;
}

}  // namespace rproctee::rpmsg
