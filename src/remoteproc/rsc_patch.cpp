#include "remoteproc/rsc_patch.hpp"

#include <cerrno>
#include <limits>
#include <string_view>

#include "common/byte_writer.hpp"

namespace rproctee::remoteproc {

namespace {

// Field offsets inside an entry, from its type word (fw_rsc_hdr): fw_rsc_carveout and
// fw_rsc_devmem start with u32 da, pa; fw_rsc_vdev_vring with u32 da.
constexpr size_t kMemoryDa = 4, kMemoryPa = 8, kVringDa = 0;
// fw_rsc_vdev: gfeatures, config_len, then the status byte.
constexpr size_t kGfeaturesBeforeStatus = 8;

template <typename T>
SysStatus store(std::span<uint8_t> table, size_t offset, std::string_view field, T value) {
  if (!store_le(table, offset, value))
    return sys_error(EINVAL, "{} at offset {:#x} is outside the {}-byte resource table", field,
                     offset, table.size());
  return {};
}

SysStatus check_address(std::string_view field, uint64_t address) {
  if (address > std::numeric_limits<uint32_t>::max())
    return sys_error(EOVERFLOW, "{} {:#x} does not fit the resource table's 32-bit field", field,
                     address);
  return {};
}

}  // namespace

SysStatus set_memory_addresses(std::span<uint8_t> table, const image::RscEntry& entry, uint64_t da,
                               uint64_t pa) {
  if (entry.type != image::rsc::kCarveout && entry.type != image::rsc::kDevmem)
    return sys_error(EINVAL, "entry at offset {:#x} is a {}, not a carveout or devmem",
                     entry.offset, image::rsc_type_name(entry.type));
  // Both checked before either is written: a refused pair leaves the entry as it was.
  RPROCTEE_CHECK(check_address("da", da));
  RPROCTEE_CHECK(check_address("pa", pa));
  // pa is the later field: when it fits the table, so does da.
  RPROCTEE_CHECK(store(table, size_t{entry.offset} + kMemoryPa, "pa", static_cast<uint32_t>(pa)));
  return store(table, size_t{entry.offset} + kMemoryDa, "da", static_cast<uint32_t>(da));
}

SysStatus set_vring_da(std::span<uint8_t> table, const image::RscVring& vring, uint64_t da) {
  RPROCTEE_CHECK(check_address("vring da", da));
  return store(table, size_t{vring.offset} + kVringDa, "vring da", static_cast<uint32_t>(da));
}

SysStatus set_vdev_status(std::span<uint8_t> table, const image::RscVdev& vdev, uint8_t status) {
  return store(table, vdev.status_offset, "vdev status", status);
}

SysStatus set_vdev_gfeatures(std::span<uint8_t> table, const image::RscVdev& vdev,
                             uint32_t features) {
  if (vdev.status_offset < kGfeaturesBeforeStatus)
    return sys_error(EINVAL, "vdev status at offset {:#x} leaves no room for gfeatures",
                     vdev.status_offset);
  return store(table, vdev.status_offset - kGfeaturesBeforeStatus, "vdev gfeatures", features);
}

uint8_t vdev_status(std::span<const uint8_t> table, const image::RscVdev& vdev) {
  return vdev.status_offset < table.size() ? table[vdev.status_offset] : 0;
}

}  // namespace rproctee::remoteproc
