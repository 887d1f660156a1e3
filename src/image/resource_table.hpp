// The remoteproc resource table (Linux/OpenAMP layout): a strict parser that checks every
// offset and every entry (with its vrings and config) against the table, unlike OpenAMP's.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace rproctee::image {

namespace rsc {
inline constexpr uint32_t kCarveout = 0;
inline constexpr uint32_t kDevmem = 1;
inline constexpr uint32_t kTrace = 2;
inline constexpr uint32_t kVdev = 3;
inline constexpr uint32_t kVendorFirst = 128;
inline constexpr uint32_t kVendorLast = 511;
inline constexpr uint32_t kAddrAny = 0xFFFFFFFF;
inline constexpr uint32_t kVirtioIdRpmsg = 7;
inline constexpr uint32_t kHeaderSize = 16;  // ver, num, reserved[2]
inline constexpr uint32_t kNameSize = 32;
inline constexpr uint32_t kCarveoutSize = 4 + 5 * 4 + kNameSize;  // incl. the type word
inline constexpr uint32_t kTraceSize = 4 + 3 * 4 + kNameSize;
inline constexpr uint32_t kVdevSize = 4 + 5 * 4 + 4;  // without vrings and config
inline constexpr uint32_t kVringSize = 5 * 4;
inline constexpr uint32_t kMaxVrings = 2;
}  // namespace rsc

/// fw_rsc_carveout and fw_rsc_devmem (same layout).
struct RscMemory {
  uint32_t da = 0, pa = 0, len = 0, flags = 0;
  std::string name;
};
struct RscCarveout : RscMemory {};
struct RscDevmem : RscMemory {};

/// fw_rsc_trace.
struct RscTrace {
  uint32_t da = 0, len = 0;
  std::string name;
};

/// fw_rsc_vdev_vring.
struct RscVring {
  uint32_t da = 0, align = 0, num = 0, notifyid = 0, pa = 0;
  uint32_t offset = 0;  // offset of this vring entry inside the table (for updates)
};

/// fw_rsc_vdev with its vrings; the config bytes stay in the table at config_offset.
struct RscVdev {
  uint32_t id = 0, notifyid = 0, dfeatures = 0, gfeatures = 0, config_len = 0;
  uint8_t status = 0, num_of_vrings = 0;
  std::vector<RscVring> vrings;
  uint32_t status_offset = 0;  // where the status byte lives inside the table
  uint32_t config_offset = 0;
};

/// A vendor-specific (128..511) or unknown entry: only its type word is known.
struct RscOther {};

/// One entry of the table.
struct RscEntry {
  uint32_t offset = 0;  // from offset[i]
  uint32_t type = 0;
  std::variant<RscCarveout, RscDevmem, RscTrace, RscVdev, RscOther> body;
};

/// A validated resource table.
struct ResourceTable {
  uint32_t version = 0;
  uint32_t size = 0;
  std::vector<RscEntry> entries;
};

/// "carveout", "devmem", "trace", "vdev", "vendor", "unknown".
std::string rsc_type_name(uint32_t type);

/// Parses and checks a resource table held in `table` (exactly its size): version 1, reserved
/// words zero, the offset array and every entry inside the table and after the offset array,
/// reserved fields zero, at most 2 vrings each with non-zero num and align, config inside the
/// table. Error code: BAD_FORMAT, message naming the entry and the values.
Result<ResourceTable> parse_resource_table(std::span<const uint8_t> table);

}  // namespace rproctee::image
