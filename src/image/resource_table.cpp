#include "image/resource_table.hpp"

#include <algorithm>

#include "common/byte_reader.hpp"

namespace rproctee::image {

namespace {

const TeeCode kBad = TeeCode::kBadFormat;

std::string read_name(std::span<const uint8_t> bytes) {
  const auto nul = std::find(bytes.begin(), bytes.end(), uint8_t{0});
  return std::string(bytes.begin(), nul);
}

Error entry_error(uint32_t index, uint32_t offset, std::string what) {
  return make_error(kBad, "resource table entry {} (offset {:#x}): {}", index, offset, what);
}

/// Carveout and devmem share a layout: da, pa, len, flags, reserved, name[32].
template <typename T>
Result<T> parse_memory(const ByteReader& in, uint32_t index, uint32_t off) {
  if (!in.contains(off, rsc::kCarveoutSize))
    return entry_error(index, off,
                       fmt::format("{}-byte {} runs past the {}-byte table", rsc::kCarveoutSize,
                                   rsc_type_name(rsc::kCarveout), in.size()));
  T m;
  RPROCTEE_ASSIGN(m.da, in.u32(off + 4, "da"));
  RPROCTEE_ASSIGN(m.pa, in.u32(off + 8, "pa"));
  RPROCTEE_ASSIGN(m.len, in.u32(off + 12, "len"));
  RPROCTEE_ASSIGN(m.flags, in.u32(off + 16, "flags"));
  RPROCTEE_ASSIGN(const uint32_t reserved, in.u32(off + 20, "reserved"));
  if (reserved != 0)
    return entry_error(index, off, fmt::format("reserved field is {:#x}, must be 0", reserved));
  RPROCTEE_ASSIGN(auto name, in.bytes(off + 24, rsc::kNameSize, "name"));
  m.name = read_name(name);
  return m;
}

Result<RscTrace> parse_trace(const ByteReader& in, uint32_t index, uint32_t off) {
  if (!in.contains(off, rsc::kTraceSize))
    return entry_error(
        index, off,
        fmt::format("{}-byte trace entry runs past the {}-byte table", rsc::kTraceSize, in.size()));
  RscTrace t;
  RPROCTEE_ASSIGN(t.da, in.u32(off + 4, "da"));
  RPROCTEE_ASSIGN(t.len, in.u32(off + 8, "len"));
  RPROCTEE_ASSIGN(const uint32_t reserved, in.u32(off + 12, "reserved"));
  if (reserved != 0)
    return entry_error(index, off, fmt::format("reserved field is {:#x}, must be 0", reserved));
  RPROCTEE_ASSIGN(auto name, in.bytes(off + 16, rsc::kNameSize, "name"));
  t.name = read_name(name);
  return t;
}

Result<RscVdev> parse_vdev(const ByteReader& in, uint32_t index, uint32_t off) {
  if (!in.contains(off, rsc::kVdevSize))
    return entry_error(
        index, off,
        fmt::format("{}-byte vdev entry runs past the {}-byte table", rsc::kVdevSize, in.size()));
  RscVdev v;
  RPROCTEE_ASSIGN(v.id, in.u32(off + 4, "id"));
  RPROCTEE_ASSIGN(v.notifyid, in.u32(off + 8, "notifyid"));
  RPROCTEE_ASSIGN(v.dfeatures, in.u32(off + 12, "dfeatures"));
  RPROCTEE_ASSIGN(v.gfeatures, in.u32(off + 16, "gfeatures"));
  RPROCTEE_ASSIGN(v.config_len, in.u32(off + 20, "config_len"));
  v.status_offset = off + 24;
  RPROCTEE_ASSIGN(v.status, in.u8(off + 24, "status"));
  RPROCTEE_ASSIGN(v.num_of_vrings, in.u8(off + 25, "num_of_vrings"));
  RPROCTEE_ASSIGN(const uint16_t reserved, in.u16(off + 26, "reserved"));
  if (reserved != 0)
    return entry_error(index, off,
                       fmt::format("vdev reserved bytes are {:#x}, must be 0", reserved));
  if (v.num_of_vrings > rsc::kMaxVrings)
    return entry_error(index, off,
                       fmt::format("vdev has {} vrings, at most {} are supported", v.num_of_vrings,
                                   rsc::kMaxVrings));
  const uint64_t vrings_off = uint64_t{off} + rsc::kVdevSize;
  const uint64_t vrings_size = uint64_t{v.num_of_vrings} * rsc::kVringSize;
  if (!in.contains(vrings_off, vrings_size + v.config_len))
    return entry_error(index, off,
                       fmt::format("vdev with {} vrings and config_len {} runs past "
                                   "the {}-byte table",
                                   v.num_of_vrings, v.config_len, in.size()));
  for (uint32_t i = 0; i < v.num_of_vrings; ++i) {
    const uint64_t vo = vrings_off + uint64_t{i} * rsc::kVringSize;
    RscVring r;
    r.offset = static_cast<uint32_t>(vo);
    RPROCTEE_ASSIGN(r.da, in.u32(vo, "vring da"));
    RPROCTEE_ASSIGN(r.align, in.u32(vo + 4, "vring align"));
    RPROCTEE_ASSIGN(r.num, in.u32(vo + 8, "vring num"));
    RPROCTEE_ASSIGN(r.notifyid, in.u32(vo + 12, "vring notifyid"));
    RPROCTEE_ASSIGN(r.pa, in.u32(vo + 16, "vring pa"));
    if (r.num == 0 || r.align == 0)
      return entry_error(index, off,
                         fmt::format("vring {} has num {} and align {}: both must be "
                                     "non-zero",
                                     i, r.num, r.align));
    v.vrings.push_back(r);
  }
  v.config_offset = static_cast<uint32_t>(vrings_off + vrings_size);
  return v;
}

}  // namespace

std::string rsc_type_name(uint32_t type) {
  switch (type) {
    case rsc::kCarveout:
      return "carveout";
    case rsc::kDevmem:
      return "devmem";
    case rsc::kTrace:
      return "trace";
    case rsc::kVdev:
      return "vdev";
    default:
      return type >= rsc::kVendorFirst && type <= rsc::kVendorLast ? "vendor" : "unknown";
  }
}

Result<ResourceTable> parse_resource_table(std::span<const uint8_t> table) {
  ByteReader in(table, "resource table", kBad);
  if (table.size() < rsc::kHeaderSize)
    return make_error(kBad, "resource table is {} bytes, smaller than its {}-byte header",
                      table.size(), rsc::kHeaderSize);
  ResourceTable t;
  t.size = static_cast<uint32_t>(table.size());
  RPROCTEE_ASSIGN(t.version, in.u32(0, "ver"));
  if (t.version != 1)
    return make_error(kBad, "resource table version is {}, expected 1", t.version);
  RPROCTEE_ASSIGN(const uint32_t num, in.u32(4, "num"));
  RPROCTEE_ASSIGN(const uint32_t reserved0, in.u32(8, "reserved[0]"));
  RPROCTEE_ASSIGN(const uint32_t reserved1, in.u32(12, "reserved[1]"));
  if (reserved0 != 0 || reserved1 != 0)
    return make_error(kBad, "resource table reserved words are {:#x} {:#x}, must be 0", reserved0,
                      reserved1);
  const uint64_t entries_start = rsc::kHeaderSize + uint64_t{num} * 4;
  if (entries_start > table.size())
    return make_error(kBad,
                      "resource table has num {} entries: the offset array ({} bytes) runs "
                      "past the {}-byte table",
                      num, uint64_t{num} * 4, table.size());
  t.entries.reserve(num);
  for (uint32_t i = 0; i < num; ++i) {
    RPROCTEE_ASSIGN(const uint32_t off, in.u32(rsc::kHeaderSize + uint64_t{i} * 4, "offset[]"));
    if (off < entries_start || !in.contains(off, 4))
      return entry_error(i, off,
                         fmt::format("offset is outside the entry area [{:#x}, {:#x})",
                                     entries_start, table.size()));
    RscEntry e;
    e.offset = off;
    RPROCTEE_ASSIGN(e.type, in.u32(off, "type"));
    switch (e.type) {
      case rsc::kCarveout: {
        RPROCTEE_ASSIGN(e.body, parse_memory<RscCarveout>(in, i, off));
        break;
      }
      case rsc::kDevmem: {
        RPROCTEE_ASSIGN(e.body, parse_memory<RscDevmem>(in, i, off));
        break;
      }
      case rsc::kTrace: {
        RPROCTEE_ASSIGN(e.body, parse_trace(in, i, off));
        break;
      }
      case rsc::kVdev: {
        RPROCTEE_ASSIGN(e.body, parse_vdev(in, i, off));
        break;
      }
      default:
        e.body = RscOther{};
        break;
    }
    t.entries.push_back(std::move(e));
  }
  return t;
}

}  // namespace rproctee::image
