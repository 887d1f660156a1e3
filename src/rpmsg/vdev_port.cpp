#include "rpmsg/vdev_port.hpp"

namespace rproctee::rpmsg {

void VdevPort::log(std::string_view message) {
  vdev_.rproc().info("virtio_rpmsg_bus: {}", message);
}

}  // namespace rproctee::rpmsg
