#include "dt/device_tree.hpp"

extern "C" {
#include <libfdt.h>
}

#include <string.h>

#include <algorithm>

namespace rproctee::dt {

Result<DeviceTree> DeviceTree::from_blob(std::vector<uint8_t> blob, std::string source) {
  if (blob.size() < sizeof(fdt_header))
    return make_error(TeeCode::kBadFormat, "{}: {} bytes is too small for a device tree blob",
                      source, blob.size());
  if (const int err = fdt_check_full(blob.data(), blob.size()); err != 0)
    return make_error(TeeCode::kBadFormat, "{}: not a valid device tree blob: {}", source,
                      fdt_strerror(err));
  DeviceTree t;
  t.blob_ = std::move(blob);
  t.source_ = std::move(source);
  return t;
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
  return fdt_parent_offset(fdt(), node);
}

std::string DeviceTree::name(int node) const {
  const char* n = fdt_get_name(fdt(), node, nullptr);
  return n ? n : "?";
}

std::string DeviceTree::path(int node) const {
  char buf[512];
  if (fdt_get_path(fdt(), node, buf, sizeof buf) != 0) return name(node);
  return buf;
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
  for (size_t i = 0; i < bytes->size(); i += 4)
    out.push_back(uint32_t{(*bytes)[i]} << 24 | uint32_t{(*bytes)[i + 1]} << 16 |
                  uint32_t{(*bytes)[i + 2]} << 8 | (*bytes)[i + 3]);
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
  const int off = fdt_node_offset_by_phandle(fdt(), phandle);
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
