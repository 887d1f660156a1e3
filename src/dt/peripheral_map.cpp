#include "dt/peripheral_map.hpp"

#include <algorithm>
#include <cctype>

namespace rproctee::dt {

namespace {

constexpr std::string_view kMapCompatible = "rproctee,peripheral-map";
constexpr uint32_t kNvicInputs = 480;
// Properties that describe the node rather than the hardware's parameters.
constexpr std::string_view kStructural[] = {"reg", "compatible", "interrupts", "phandle",
                                            "linux,phandle"};

std::string cmsis_name(const std::string& node_name) {
  std::string n = node_name.substr(0, node_name.find('@'));
  for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return n;
}

bool structural(std::string_view property) {
  return std::find(std::begin(kStructural), std::end(kStructural), property) !=
         std::end(kStructural);
}

}  // namespace

uint32_t Peripheral::property(std::string_view key_name, uint32_t fallback) const {
  for (const auto& [key, value] : properties)
    if (key == key_name) return value;
  return fallback;
}

std::optional<PeripheralMap::Hit> PeripheralMap::find(uint64_t address) const {
  for (int alias = 0; alias < (secure_alias ? 2 : 1); ++alias) {
    const uint64_t a = alias ? address - secure_alias : address;
    if (alias && address < secure_alias) break;
    auto it = std::upper_bound(peripherals.begin(), peripherals.end(), a,
                               [](uint64_t v, const Peripheral& p) { return v < p.base; });
    if (it == peripherals.begin()) continue;
    --it;
    if (it->contains(a)) return Hit{&*it, static_cast<uint32_t>(a - it->base), alias == 1};
  }
  return std::nullopt;
}

const Peripheral* PeripheralMap::named(std::string_view name) const {
  for (const Peripheral& p : peripherals)
    if (p.name == name) return &p;
  return nullptr;
}

Result<PeripheralMap> parse_peripheral_map(const DeviceTree& t) {
  PeripheralMap map;
  const auto maps = t.find_compatible(kMapCompatible);
  if (maps.empty()) return map;
  if (maps.size() > 1)
    return t.error(
        maps[1], "compatible",
        fmt::format("repeats \"{}\": a platform has one peripheral map", kMapCompatible));
  const int node = maps[0];
  if (t.has(node, "rproctee,secure-alias")) {
    RPROCTEE_ASSIGN(map.secure_alias, t.u32(node, "rproctee,secure-alias"));
  }
  for (int child : t.subnodes(node)) {
    Peripheral p;
    p.name = cmsis_name(t.name(child));
    RPROCTEE_ASSIGN(const auto reg, t.reg(child));
    if (reg.size() != 1 || reg[0].second == 0 || reg[0].first > UINT32_MAX ||
        reg[0].second > uint64_t{UINT32_MAX} + 1 - reg[0].first)
      return t.error(child, "reg",
                     "must be one non-empty (address, size) pair inside the 32-bit address space");
    p.base = static_cast<uint32_t>(reg[0].first);
    p.size = static_cast<uint32_t>(reg[0].second);
    if (t.has(child, "compatible")) {
      const auto compatibles = t.strings(child, "compatible");
      if (!compatibles.empty()) p.compatible = compatibles[0];
    }
    if (t.has(child, "interrupts")) {
      RPROCTEE_ASSIGN(p.interrupts, t.cells(child, "interrupts"));
      for (uint32_t irq : p.interrupts)
        if (irq >= kNvicInputs)
          return t.error(
              child, "interrupts",
              fmt::format("names NVIC input {}; the core has 0..{}", irq, kNvicInputs - 1));
    }
    for (const std::string& name : t.property_names(child)) {
      if (structural(name)) continue;
      const auto raw = t.raw(child, name);
      if (raw && raw->size() == 4) {
        RPROCTEE_ASSIGN(const uint32_t v, t.u32(child, name));
        p.properties.emplace_back(name, v);
      }
    }
    if (map.named(p.name))
      return t.error(child, "reg", fmt::format("names {} a second time", p.name));
    map.peripherals.push_back(std::move(p));
  }
  std::sort(map.peripherals.begin(), map.peripherals.end(),
            [](const Peripheral& a, const Peripheral& b) { return a.base < b.base; });
  for (size_t i = 1; i < map.peripherals.size(); ++i) {
    const Peripheral& a = map.peripherals[i - 1];
    const Peripheral& b = map.peripherals[i];
    if (uint64_t{a.base} + a.size > b.base)
      return make_error(TeeCode::kBadFormat,
                        "{}: peripheral map: {} [{:#x}, {:#x}) overlaps {} at {:#x}", t.source(),
                        a.name, a.base, uint64_t{a.base} + a.size, b.name, b.base);
  }
  // Each secure alias must land where no peripheral is, inside the 32-bit space.
  for (const Peripheral& p : map.secure_alias ? map.peripherals : std::vector<Peripheral>{}) {
    const uint64_t begin = uint64_t{p.base} + map.secure_alias, end = begin + p.size;
    if (end > uint64_t{UINT32_MAX} + 1)
      return t.error(
          node, "rproctee,secure-alias",
          fmt::format("{:#x} puts {}'s secure alias beyond 4 GiB", map.secure_alias, p.name));
    for (const Peripheral& q : map.peripherals)
      if (begin < uint64_t{q.base} + q.size && q.base < end)
        return t.error(node, "rproctee,secure-alias",
                       fmt::format("{:#x} puts {}'s secure alias [{:#x}, {:#x}) over {}",
                                   map.secure_alias, p.name, begin, end, q.name));
  }
  return map;
}

}  // namespace rproctee::dt
