#include "dt/device_tree.hpp"

extern "C" {
#include <libfdt.h>
}

#include <string.h>

#include <algorithm>

#include "common/byte_reader.hpp"

namespace rproctee::dt {

namespace {

uint32_t be32(std::span<const uint8_t> b) {
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

/// Checks the blob's layout and walks the structure block's tags once, each read
/// bounds-checked, before libfdt sees it. libfdt 1.6.1 (Debian 12) trusts what this checks:
/// - a property's length when it steps to the next tag: 0xfffffff4 brings it back to the same
///   tag, and fdt_check_full never returns;
/// - that the memory reservation map ends before the structure block: fdt_pack moves the blocks
///   up behind a longer map, past the end of the buffer (a heap overflow in normal_world_blob).
/// Both found by fuzz_device_tree. The blocks must be in dtc's order: header, reservation map,
/// structure, strings.
Status check_blocks(std::span<const uint8_t> blob, std::string_view source) {
  const ByteReader header(blob, "device tree header", TeeCode::kBadFormat);
  const auto field = [&](uint64_t offset, std::string_view name) -> Result<uint32_t> {
    RPROCTEE_ASSIGN(auto b, header.bytes(offset, 4, name));
    return be32(b);
  };
  RPROCTEE_ASSIGN(const uint32_t total, field(4, "totalsize"));
  RPROCTEE_ASSIGN(const uint32_t off_struct, field(8, "off_dt_struct"));
  RPROCTEE_ASSIGN(const uint32_t off_strings, field(12, "off_dt_strings"));
  RPROCTEE_ASSIGN(const uint32_t off_rsvmap, field(16, "off_mem_rsvmap"));
  RPROCTEE_ASSIGN(const uint32_t size_strings, field(32, "size_dt_strings"));
  RPROCTEE_ASSIGN(const uint32_t size_struct, field(36, "size_dt_struct"));
  if (total > blob.size())
    return make_error(TeeCode::kBadFormat, "{}: totalsize says {} bytes, the file has {}", source,
                      total, blob.size());
  // In 64 bits: none of these sums wraps.
  if (off_rsvmap < 40 || off_rsvmap % 8 != 0 || off_struct < off_rsvmap ||
      uint64_t{off_struct} + size_struct > off_strings ||
      uint64_t{off_strings} + size_strings > total)
    return make_error(TeeCode::kBadFormat,
                      "{}: blocks out of dtc's order or overlapping (reservation map at {:#x}, "
                      "structure {:#x}+{:#x}, strings {:#x}+{:#x}, total {:#x})",
                      source, off_rsvmap, off_struct, size_struct, off_strings, size_strings,
                      total);
  // The reservation map: 16-byte (address, size) entries up to one of size 0, all before the
  // structure block.
  for (uint64_t entry = off_rsvmap;; entry += 16) {
    if (entry + 16 > off_struct)
      return make_error(TeeCode::kBadFormat,
                        "{}: the memory reservation map at {:#x} runs into the structure block "
                        "at {:#x} (no terminating entry)",
                        source, off_rsvmap, off_struct);
    RPROCTEE_ASSIGN(auto size_hi, header.bytes(entry + 8, 4, "reservation size"));
    RPROCTEE_ASSIGN(auto size_lo, header.bytes(entry + 12, 4, "reservation size"));
    if (be32(size_hi) == 0 && be32(size_lo) == 0) break;
  }
  RPROCTEE_ASSIGN(const ByteReader tags,
                  ByteReader(blob.first(total), "device tree", TeeCode::kBadFormat)
                      .sub(off_struct, size_struct, "structure block"));
  const auto tag_error = [&](uint64_t at, std::string_view what) {
    return make_error(TeeCode::kBadFormat, "{}: structure block offset {:#x}: {}", source, at,
                      what);
  };
  for (uint64_t at = 0;;) {
    RPROCTEE_ASSIGN(auto word, tags.bytes(at, 4, "tag"));
    const uint32_t tag = be32(word);
    const uint64_t next = at + 4;
    switch (tag) {
      case FDT_BEGIN_NODE: {
        const auto rest = tags.data().subspan(static_cast<size_t>(next));
        const auto nul = std::find(rest.begin(), rest.end(), uint8_t{0});
        if (nul == rest.end()) return tag_error(at, "a node name without its NUL");
        at = (next + static_cast<uint64_t>(nul - rest.begin()) + 1 + 3) & ~uint64_t{3};
        break;
      }
      case FDT_PROP: {
        RPROCTEE_ASSIGN(auto len, tags.bytes(next, 4, "property length"));
        RPROCTEE_ASSIGN(auto nameoff, tags.bytes(next + 4, 4, "property name offset"));
        if (!tags.contains(next + 8, be32(len)))
          return tag_error(at, fmt::format("a property of {} bytes runs past the block's end "
                                           "({} bytes)",
                                           be32(len), tags.size()));
        if (be32(nameoff) >= size_strings)
          return tag_error(at, fmt::format("a property name at {} of a {}-byte strings block",
                                           be32(nameoff), size_strings));
        at = (next + 8 + be32(len) + 3) & ~uint64_t{3};
        break;
      }
      case FDT_END_NODE:
      case FDT_NOP:
        at = next;
        break;
      case FDT_END:
        return {};
      default:
        return tag_error(at, fmt::format("unknown tag {:#x}", tag));
    }
  }
}

}  // namespace

Result<DeviceTree> DeviceTree::from_blob(std::vector<uint8_t> blob, std::string source) {
  if (blob.size() < sizeof(fdt_header))
    return make_error(TeeCode::kBadFormat, "{}: {} bytes is too small for a device tree blob",
                      source, blob.size());
  const std::span<const uint8_t> bytes(blob);
  if (const uint32_t magic = be32(bytes.first(4)); magic != FDT_MAGIC)
    return make_error(TeeCode::kBadFormat, "{}: not a device tree blob (magic {:#x})", source,
                      magic);
  // Version 17 (dtc's output since 2007) is the first whose header sizes the structure block.
  if (const uint32_t version = be32(bytes.subspan(20, 4)); version < 17)
    return make_error(TeeCode::kBadFormat, "{}: device tree blob version {} (17 or later needed)",
                      source, version);
  if (const int err = fdt_check_header(blob.data()); err != 0)
    return make_error(TeeCode::kBadFormat, "{}: not a valid device tree blob: {}", source,
                      fdt_strerror(err));
  RPROCTEE_CHECK(check_blocks(blob, source));
  if (const int err = fdt_check_full(blob.data(), blob.size()); err != 0)
    return make_error(TeeCode::kBadFormat, "{}: not a valid device tree blob: {}", source,
                      fdt_strerror(err));
  DeviceTree t;
  t.blob_ = std::move(blob);
  t.source_ = std::move(source);
  t.index_nodes();
  return t;
}

void DeviceTree::index_nodes() {
  // One walk over the validated tree: libfdt finds a parent or a phandle by walking from the
  // root each time, which makes a tree of n nodes cost n^2 to read.
  std::vector<int> above;  // the open node at each depth
  int depth = 0;
  for (int node = 0; node >= 0 && depth >= 0; node = fdt_next_node(fdt(), node, &depth)) {
    above.resize(static_cast<size_t>(depth) + 1);
    above[static_cast<size_t>(depth)] = node;
    parents_.emplace_back(node, depth > 0 ? above[static_cast<size_t>(depth) - 1] : -1);
    const uint32_t phandle = fdt_get_phandle(fdt(), node);
    if (phandle != 0 && phandle != UINT32_MAX) phandles_.emplace_back(phandle, node);
  }
  // Sorted by phandle, tree order among equals: the first node with a phandle wins, as
  // fdt_node_offset_by_phandle answers.
  std::stable_sort(phandles_.begin(), phandles_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

DeviceTree::~DeviceTree() {
  if (!blob_.empty()) ::explicit_bzero(blob_.data(), blob_.size());
}

std::optional<int> DeviceTree::node(std::string_view path) const {
  const int off = fdt_path_offset_namelen(fdt(), path.data(), static_cast<int>(path.size()));
  if (off < 0) return std::nullopt;
  return off;
}

std::vector<int> DeviceTree::find_compatible(std::string_view compatible) const {
  std::vector<int> out;
  const std::string c(compatible);
  for (int off = fdt_node_offset_by_compatible(fdt(), -1, c.c_str()); off >= 0;
       off = fdt_node_offset_by_compatible(fdt(), off, c.c_str()))
    out.push_back(off);
  return out;
}

std::vector<int> DeviceTree::subnodes(int node) const {
  std::vector<int> out;
  int child = 0;
  fdt_for_each_subnode(child, fdt(), node) out.push_back(child);
  return out;
}

int DeviceTree::parent(int node) const {
  // parents_ is in tree order, which is offset order.
  const auto it = std::lower_bound(parents_.begin(), parents_.end(), node,
                                   [](const auto& entry, int n) { return entry.first < n; });
  if (it != parents_.end() && it->first == node) return it->second;
  return fdt_parent_offset(fdt(), node);  // not a node's offset: libfdt's answer (an error)
}

std::string DeviceTree::name(int node) const {
  const char* n = fdt_get_name(fdt(), node, nullptr);
  return n ? n : "?";
}

std::string DeviceTree::path(int node) const {
  if (node == 0) return "/";
  std::vector<int> chain;
  for (int n = node; n > 0; n = parent(n)) chain.push_back(n);
  std::string out;
  for (auto n = chain.rbegin(); n != chain.rend(); ++n) {
    out += '/';
    out += name(*n);
    if (out.size() >= 512) return name(node);  // as fdt_get_path's buffer did
  }
  return out;
}

bool DeviceTree::has(int node, std::string_view property) const {
  return raw(node, property).has_value();
}

std::vector<std::string> DeviceTree::property_names(int node) const {
  std::vector<std::string> out;
  int offset = 0;
  fdt_for_each_property_offset(offset, fdt(), node) {
    const char* name = nullptr;
    if (fdt_getprop_by_offset(fdt(), offset, &name, nullptr) && name) out.emplace_back(name);
  }
  return out;
}

std::optional<std::span<const uint8_t>> DeviceTree::raw(int node, std::string_view property) const {
  int len = 0;
  const void* p =
      fdt_getprop_namelen(fdt(), node, property.data(), static_cast<int>(property.size()), &len);
  if (!p || len < 0) return std::nullopt;
  return std::span(static_cast<const uint8_t*>(p), static_cast<size_t>(len));
}

Error DeviceTree::error(int node, std::string_view property, std::string_view what) const {
  return make_error(TeeCode::kBadFormat, "{}: {}: property \"{}\" {}", source_, path(node),
                    property, what);
}

Result<std::vector<uint32_t>> DeviceTree::cells(int node, std::string_view property) const {
  const auto bytes = raw(node, property);
  if (!bytes) return error(node, property, "is missing");
  if (bytes->size() % 4 != 0)
    return error(node, property,
                 fmt::format("is {} bytes long: not a list of 32-bit cells", bytes->size()));
  std::vector<uint32_t> out;
  for (size_t i = 0; i < bytes->size(); i += 4) out.push_back(be32(bytes->subspan(i, 4)));
  return out;
}

Result<uint32_t> DeviceTree::u32(int node, std::string_view property) const {
  RPROCTEE_ASSIGN(const auto c, cells(node, property));
  if (c.size() != 1)
    return error(node, property, fmt::format("has {} cells, expected 1", c.size()));
  return c[0];
}

Result<std::string> DeviceTree::string(int node, std::string_view property) const {
  const auto bytes = raw(node, property);
  if (!bytes) return error(node, property, "is missing");
  if (bytes->empty() || bytes->back() != 0)
    return error(node, property, "is not a NUL-terminated string");
  return std::string(reinterpret_cast<const char*>(bytes->data()));
}

std::vector<std::string> DeviceTree::strings(int node, std::string_view property) const {
  std::vector<std::string> out;
  const auto bytes = raw(node, property);
  if (!bytes) return out;
  std::string current;
  for (uint8_t b : *bytes) {
    if (b == 0) {
      out.push_back(current);
      current.clear();
    } else {
      current += static_cast<char>(b);
    }
  }
  return out;
}

Result<int> DeviceTree::by_phandle(uint32_t phandle, std::string_view context) const {
  const auto it = std::lower_bound(phandles_.begin(), phandles_.end(), phandle,
                                   [](const auto& entry, uint32_t p) { return entry.first < p; });
  const int off = it != phandles_.end() && it->first == phandle ? it->second : -1;
  if (off < 0)
    return make_error(TeeCode::kBadFormat, "{}: {} refers to phandle {:#x}, which no node has",
                      source_, context, phandle);
  return off;
}

uint32_t DeviceTree::address_cells(int node) const {
  auto c = cells(node, "#address-cells");
  return c && c->size() == 1 ? (*c)[0] : 2;
}

uint32_t DeviceTree::size_cells(int node) const {
  auto c = cells(node, "#size-cells");
  return c && c->size() == 1 ? (*c)[0] : 1;
}

uint64_t combine_cells(std::span<const uint32_t> c, size_t index, uint32_t count) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < count; ++i) v = (v << 32) | c[index + i];
  return v;
}

Result<std::vector<std::pair<uint64_t, uint64_t>>> DeviceTree::reg(int node) const {
  const int p = parent(node);
  const uint32_t ac = address_cells(p), sc = size_cells(p);
  if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
    return error(p, "#address-cells",
                 fmt::format("/#size-cells are {}/{}: only 1 or 2 are supported", ac, sc));
  RPROCTEE_ASSIGN(const auto c, cells(node, "reg"));
  if (c.empty() || c.size() % (ac + sc) != 0)
    return error(node, "reg",
                 fmt::format("has {} cells, not a multiple of {} (address {} + size {})", c.size(),
                             ac + sc, ac, sc));
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (size_t i = 0; i < c.size(); i += ac + sc)
    out.emplace_back(combine_cells(c, i, ac), combine_cells(c, i + ac, sc));
  return out;
}

}  // namespace rproctee::dt
