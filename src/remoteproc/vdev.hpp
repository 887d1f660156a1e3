// A virtio device declared by the resource table (fw_rsc_vdev): its vrings are placed in the
// "vdevNvringM" memory regions, its buffers come from "vdevNbuffer". The rpmsg bus binds to it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "image/resource_table.hpp"
#include "remoteproc/rproc.hpp"
#include "remoteproc/virtio.hpp"

namespace rproctee::remoteproc {

class Vdev : public Subdevice {
 public:
  Vdev(Rproc& rproc, int index, image::RscVdev rsc);

  /// Places the vrings (writing their device address into `table`) and finds the buffers.
  int allocate(std::span<uint8_t> table);
  int start() override;
  void stop(bool crashed) override;
  /// Forwards an interrupt of one of its vrings to the bound driver.
  bool vring_interrupt(uint32_t notifyid) override;

  uint32_t id() const { return rsc_.id; }
  /// The device's feature bits (fw_rsc_vdev.dfeatures) and the processor it belongs to.
  uint32_t dfeatures() const { return rsc_.dfeatures; }
  Rproc& rproc() const { return rproc_; }
  const std::vector<Vring>& vrings() const { return vrings_; }
  const MemoryMapping* buffers() const { return buffers_; }
  /// The status byte in the table in use.
  uint8_t status();
  void set_status(uint8_t status);
  /// Writes the features the driver accepted (fw_rsc_vdev.gfeatures) into the table in use
  /// (Linux's rproc_virtio_finalize_features).
  void set_gfeatures(uint32_t features);

  /// A virtio driver for this device id (the rpmsg bus), bound at start and removed at stop.
  using DriverFactory = std::function<std::unique_ptr<Subdevice>(Vdev&)>;
  static void register_driver(uint32_t virtio_id, DriverFactory factory);

 private:
  Rproc& rproc_;
  int index_;
  const image::RscVdev rsc_;  // as declared: the fields' places in the table
  std::vector<Vring> vrings_;
  const MemoryMapping* buffers_ = nullptr;
  std::unique_ptr<Subdevice> driver_;
};

}  // namespace rproctee::remoteproc
