// VirtioPort over a remoteproc::Vdev: kicks and log lines go to the vdev's processor.
#pragma once

#include "remoteproc/vdev.hpp"
#include "rpmsg/virtio_port.hpp"

namespace rproctee::rpmsg {

class VdevPort final : public VirtioPort {
 public:
  explicit VdevPort(remoteproc::Vdev& vdev) : vdev_(vdev) {}
  std::vector<remoteproc::Vring> vrings() const override { return vdev_.vrings(); }
  const remoteproc::MemoryMapping* buffers() const override { return vdev_.buffers(); }
  uint32_t device_features() const override { return vdev_.dfeatures(); }
  void set_driver_features(uint32_t features) override { vdev_.set_gfeatures(features); }
  uint8_t status() override { return vdev_.status(); }
  void set_status(uint8_t status) override { vdev_.set_status(status); }
  void kick(uint32_t notifyid) override { vdev_.rproc().kick(notifyid); }
  InterruptWaiter interrupt_waiter() override { return vdev_.rproc().interrupt_waiter(); }
  void log(std::string_view message) override;

 private:
  remoteproc::Vdev& vdev_;
};

}  // namespace rproctee::rpmsg
