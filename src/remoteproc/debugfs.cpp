#include "remoteproc/debugfs.hpp"

#include <type_traits>
#include <variant>

#include "image/resource_table.hpp"

namespace rproctee::remoteproc {

std::string debugfs_resource_table(const Rproc& rproc) {
  // The table as it is now, read from its current place (a copy taken under the core's lock).
  const std::vector<uint8_t> now = rproc.table_snapshot();
  if (now.empty()) return "No resource table found\n";
  auto current = image::parse_resource_table(now);
  if (!current) return fmt::format("resource table no longer valid: {}\n", current.error().message);
  std::string out;
  for (size_t i = 0; i < current->entries.size(); ++i) {
    const auto& e = current->entries[i];
    out += fmt::format("Entry {} is of type {}\n", i, image::rsc_type_name(e.type));
    std::visit(
        [&](const auto& b) {
          using T = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<T, image::RscCarveout> ||
                        std::is_same_v<T, image::RscDevmem>) {
            out += fmt::format(
                "  Device Address {:#x}\n  Physical Address {:#x}\n  Length {:#x} Bytes\n"
                "  Flags {:#x}\n  Name {}\n",
                b.da, b.pa, b.len, b.flags, b.name);
          } else if constexpr (std::is_same_v<T, image::RscTrace>) {
            out += fmt::format("  Device Address {:#x}\n  Length {:#x} Bytes\n  Name {}\n", b.da,
                               b.len, b.name);
          } else if constexpr (std::is_same_v<T, image::RscVdev>) {
            out += fmt::format(
                "  ID {}\n  Notify ID {}\n  Device features {:#x}\n  Config length {:#x}\n"
                "  Status {:#x}\n  Number of vrings {}\n",
                b.id, b.notifyid, b.dfeatures, b.config_len, b.status, b.num_of_vrings);
            for (size_t k = 0; k < b.vrings.size(); ++k)
              out += fmt::format(
                  "  Vring {}\n    Device Address {:#x}\n    Alignment {}\n    Number of buffers "
                  "{}\n"
                  "    Notify ID {}\n",
                  k, b.vrings[k].da, b.vrings[k].align, b.vrings[k].num, b.vrings[k].notifyid);
          }
        },
        e.body);
  }
  return out;
}

std::string debugfs_carveout_memories(const Rproc& rproc) {
  std::string out;
  for (const MemoryMapping& m : rproc.carveouts())
    out += fmt::format(
        "Carveout memory entry:\n\tName: {}\n\tDMA: {:#x}\n\tDevice Address: {:#x}\n\t"
        "Length: {:#x} Bytes\n\n",
        m.name, m.pa, m.da, m.size);
  return out;
}

std::string debugfs_trace(const TraceBuffer& trace) {
  size_t len = 0;
  while (len < trace.len && trace.va[len] != 0) ++len;
  return std::string(reinterpret_cast<const char*>(trace.va), len);
}

}  // namespace rproctee::remoteproc
