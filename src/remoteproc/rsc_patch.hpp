// Typed writes into a resource table in use (the cached copy, or the one loaded in device
// memory): the normal world assigns carveout addresses, places the vrings and drives the vdev
// status. Each write goes to a field the parser located (image::RscEntry and its offsets), is
// checked against the table's bounds, and refuses an address that does not fit the table's
// 32-bit fields (Linux casts it to 32 bits with a warning).
#pragma once

#include <cstdint>
#include <span>

#include "image/resource_table.hpp"
#include "remoteproc/sys_error.hpp"

namespace rproctee::remoteproc {

/// fw_rsc_carveout (or fw_rsc_devmem) .da and .pa of `entry`. EOVERFLOW when an address has
/// bits above 32 (nothing written), EINVAL when the entry is not of that kind or not inside
/// `table`.
SysStatus set_memory_addresses(std::span<uint8_t> table, const image::RscEntry& entry, uint64_t da,
                               uint64_t pa);

/// fw_rsc_vdev_vring.da of `vring`: EOVERFLOW above 32 bits, EINVAL outside `table`.
SysStatus set_vring_da(std::span<uint8_t> table, const image::RscVring& vring, uint64_t da);

/// fw_rsc_vdev.status of `vdev`: EINVAL outside `table`.
SysStatus set_vdev_status(std::span<uint8_t> table, const image::RscVdev& vdev, uint8_t status);

/// fw_rsc_vdev.gfeatures of `vdev` (the features the driver accepted, Linux's
/// rproc_virtio_finalize_features): EINVAL outside `table`.
SysStatus set_vdev_gfeatures(std::span<uint8_t> table, const image::RscVdev& vdev,
                             uint32_t features);

/// fw_rsc_vdev.status of `vdev`, or 0 when it lies outside `table`.
uint8_t vdev_status(std::span<const uint8_t> table, const image::RscVdev& vdev);

}  // namespace rproctee::remoteproc
