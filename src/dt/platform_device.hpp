// Where Linux puts the platform device of a device-tree node in sysfs: of_platform_populate()
// makes one platform device per node under the root (and under each simple-bus), named by
// of_device_make_bus_id() (drivers/of/platform.c), each nested in its bus's directory below
// /sys/devices/platform. The remoteproc class device of a processor sits under it
// (<dir>/remoteproc/remoteprocN), so sysfs paths follow from the processor's node.
#pragma once

#include <string>

#include "dt/device_tree.hpp"

namespace rproctee::dt {

/// of_device_make_bus_id(): "<address>.<name>" for a node whose reg translates to a CPU
/// address ("10000000.m4"), otherwise the node's full name, prefixed by its parents' until one
/// translates ("soc:m33", "m33").
std::string platform_bus_id(const DeviceTree& tree, int node);

/// The node's platform device under /sys/devices: "platform/m33", "platform/soc/10000000.m4".
std::string platform_device_dir(const DeviceTree& tree, int node);

}  // namespace rproctee::dt
