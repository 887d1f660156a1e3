// What the rpmsg device needs from the virtio device it drives: its vrings and buffer memory,
// the status byte, its feature bits, kicks and a log. remoteproc::Vdev provides it through
// VdevPort (vdev_port.hpp); tests provide plain memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "remoteproc/virtio.hpp"

namespace rproctee::rpmsg {

class VirtioPort {
 public:
  virtual ~VirtioPort() = default;
  /// The vrings as placed by the host: vring0 carries device -> host, vring1 host -> device.
  virtual std::vector<remoteproc::Vring> vrings() const = 0;
  /// The buffer carveout ("vdevNbuffer"), or nullptr when there is none.
  virtual const remoteproc::MemoryMapping* buffers() const = 0;
  /// The device's feature bits (fw_rsc_vdev.dfeatures).
  virtual uint32_t device_features() const = 0;
  /// The features the driver accepted (fw_rsc_vdev.gfeatures), before DRIVER_OK: the device
  /// uses only these (OpenAMP announces its endpoints only with the name-service bit).
  virtual void set_driver_features(uint32_t features) = 0;
  virtual uint8_t status() = 0;
  virtual void set_status(uint8_t status) = 0;
  /// Tells the processor that vring `notifyid` has new buffers.
  virtual void kick(uint32_t notifyid) = 0;
  /// See remoteproc::InterruptWaiter; empty when the port's interrupts come from its own
  /// thread only.
  using InterruptWaiter = remoteproc::InterruptWaiter;
  virtual InterruptWaiter interrupt_waiter() { return {}; }
  virtual void log(std::string_view message) = 0;
};

}  // namespace rproctee::rpmsg
