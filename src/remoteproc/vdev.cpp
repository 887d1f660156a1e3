#include "remoteproc/vdev.hpp"

#include <cerrno>
#include <map>
#include <mutex>

#include "remoteproc/rsc_patch.hpp"

namespace rproctee::remoteproc {

namespace {
std::mutex g_drivers_mutex;
std::map<uint32_t, Vdev::DriverFactory>& drivers() {
  static std::map<uint32_t, Vdev::DriverFactory> d;
  return d;
}
}  // namespace

uint64_t vring_size(uint32_t num, uint32_t align) {
  const uint64_t a = align ? align : 1;
  const uint64_t avail_end = 16ull * num + 6 + 2ull * num;
  return (avail_end + a - 1) / a * a + 6 + 8ull * num;
}

void Vdev::register_driver(uint32_t virtio_id, DriverFactory factory) {
  std::lock_guard lock(g_drivers_mutex);
  drivers()[virtio_id] = std::move(factory);
}

Vdev::Vdev(Rproc& rproc, int index, image::RscVdev rsc)
    : rproc_(rproc), index_(index), rsc_(std::move(rsc)) {
  for (const auto& r : rsc_.vrings)
    vrings_.push_back(Vring{r.da, r.num, r.align, r.notifyid, nullptr});
}

int Vdev::allocate(std::span<uint8_t> table) {
  for (size_t i = 0; i < vrings_.size(); ++i) {
    Vring& v = vrings_[i];
    const std::string name = fmt::format("vdev{}vring{}", index_, i);
    const uint64_t size = vring_size(v.num, v.align);
    uint64_t da = v.da;
    if (v.da == image::rsc::kAddrAny) {
      const MemoryMapping* m = rproc_.find_carveout(name);
      if (!m || size > m->size) {
        rproc_.info("vdev {}: vring{} ({} entries, {:#x} bytes) needs a memory region named {}",
                    index_, i, v.num, size, name);
        return -ENOMEM;
      }
      da = m->da;
    }
    if (auto placed = set_vring_da(table, rsc_.vrings[i], da); !placed) {
      rproc_.info("vdev {}: vring{}: {}", index_, i, placed.error().message);
      return placed.error().code();
    }
    v.da = static_cast<uint32_t>(da);  // fits: set_vring_da refuses more than 32 bits
    v.va = rproc_.da_to_va(v.da, size);
    if (!v.va) {
      rproc_.info("vdev {}: vring{} at da {:#x} is not in memory the normal world can reach",
                  index_, i, v.da);
      return -ENOMEM;
    }
  }
  buffers_ = rproc_.find_carveout(fmt::format("vdev{}buffer", index_));
  rproc_.info(
      "vdev {} (virtio id {}): {} vrings{}", index_, rsc_.id, vrings_.size(),
      buffers_ ? fmt::format(", buffers in {} ({:#x} bytes)", buffers_->name, buffers_->size) : "");
  return 0;
}

uint8_t Vdev::status() {
  return vdev_status(rproc_.table(), rsc_);
}

void Vdev::set_status(uint8_t status) {
  // The table in use always holds the entry the vdev was declared from.
  (void)set_vdev_status(rproc_.table(), rsc_, status);
}

void Vdev::set_gfeatures(uint32_t features) {
  (void)set_vdev_gfeatures(rproc_.table(), rsc_, features);
}

int Vdev::start() {
  set_status(kVirtioAcknowledge);
  DriverFactory factory;
  {
    std::lock_guard lock(g_drivers_mutex);
    auto it = drivers().find(rsc_.id);
    if (it != drivers().end()) factory = it->second;
  }
  if (!factory) {
    rproc_.info("virtio device {} (id {}) registered; no driver bound", index_, rsc_.id);
    return 0;
  }
  driver_ = factory(*this);
  return driver_ ? driver_->start() : -ENODEV;
}

bool Vdev::vring_interrupt(uint32_t notifyid) {
  for (const Vring& v : vrings_)
    if (v.notifyid == notifyid) {
      if (driver_) driver_->vring_interrupt(notifyid);
      return true;
    }
  return false;
}

void Vdev::stop(bool crashed) {
  if (driver_) driver_->stop(crashed);
  driver_.reset();
  set_status(0);
  set_gfeatures(0);
}

}  // namespace rproctee::remoteproc
