#include "dt/platform_device.hpp"

#include <fmt/format.h>

#include <optional>
#include <vector>

namespace rproctee::dt {

namespace {

/// The node's name without its unit address (%pOFn).
std::string short_name(const DeviceTree& tree, int node) {
  const std::string n = tree.name(node);
  return n.substr(0, n.find('@'));
}

/// of_translate_address() of the node's first reg address: through every parent bus up to the
/// root, each needing a `ranges` (empty: identity; otherwise the window holding the address).
std::optional<uint64_t> translated_reg(const DeviceTree& tree, int node) {
  if (!tree.has(node, "reg")) return std::nullopt;
  auto reg = tree.reg(node);
  if (!reg || reg->empty()) return std::nullopt;
  uint64_t addr = (*reg)[0].first;
  for (int bus = tree.parent(node); bus >= 0 && tree.parent(bus) >= 0; bus = tree.parent(bus)) {
    if (!tree.has(bus, "ranges")) return std::nullopt;
    auto cells = tree.cells(bus, "ranges");
    if (!cells) return std::nullopt;
    if (cells->empty()) continue;  // identity
    const uint32_t ca = tree.address_cells(bus), pa = tree.address_cells(tree.parent(bus)),
                   cs = tree.size_cells(bus);
    const size_t entry = ca + pa + cs;
    if (ca > 2 || pa > 2 || cs > 2 || cells->size() % entry != 0) return std::nullopt;
    const auto value = [&](size_t at, uint32_t n) {
      uint64_t v = 0;
      for (uint32_t i = 0; i < n; ++i) v = (v << 32) | (*cells)[at + i];
      return v;
    };
    bool found = false;
    for (size_t i = 0; i < cells->size() && !found; i += entry) {
      const uint64_t child = value(i, ca), parent = value(i + ca, pa),
                     size = value(i + ca + pa, cs);
      if (addr >= child && addr - child < size) {
        addr = parent + (addr - child);
        found = true;
      }
    }
    if (!found) return std::nullopt;
  }
  return addr;
}

}  // namespace

std::string platform_bus_id(const DeviceTree& tree, int node) {
  std::string id;
  for (int n = node; n >= 0 && tree.parent(n) >= 0; n = tree.parent(n)) {
    if (const auto addr = translated_reg(tree, n)) {
      const std::string first = fmt::format("{:x}.{}", *addr, short_name(tree, n));
      return id.empty() ? first : first + ":" + id;
    }
    id = id.empty() ? tree.name(n) : tree.name(n) + ":" + id;
  }
  return id;
}

std::string platform_device_dir(const DeviceTree& tree, int node) {
  std::vector<std::string> ids;
  for (int n = node; n >= 0 && tree.parent(n) >= 0; n = tree.parent(n))
    ids.insert(ids.begin(), platform_bus_id(tree, n));
  std::string dir = "platform";
  for (const auto& id : ids) dir += "/" + id;
  return dir;
}

}  // namespace rproctee::dt
