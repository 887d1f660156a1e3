#include "protocol/uuid.hpp"

namespace rproctee::protocol {

Result<Uuid> Uuid::parse(std::string_view t) {
  auto bad = [&] {
    return make_error(TeeCode::kBadParameters, "\"{}\" is not a UUID (8-4-4-4-12 hex)", t);
  };
  if (t.size() != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-') return bad();
  std::array<uint8_t, 16> b{};
  size_t k = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '-') continue;
    const char c = t[i];
    const int v = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (v < 0) return bad();
    b[k / 2] = static_cast<uint8_t>(b[k / 2] << 4 | v);
    ++k;
  }
  Uuid u;
  u.time_low = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
  u.time_mid = static_cast<uint16_t>(b[4] << 8 | b[5]);
  u.time_hi_and_version = static_cast<uint16_t>(b[6] << 8 | b[7]);
  std::copy(b.begin() + 8, b.end(), u.clock_seq_and_node.begin());
  return u;
}

std::string Uuid::str() const {
  const auto& c = clock_seq_and_node;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                     time_low, time_mid, time_hi_and_version, c[0], c[1], c[2], c[3], c[4], c[5],
                     c[6], c[7]);
}

}  // namespace rproctee::protocol
