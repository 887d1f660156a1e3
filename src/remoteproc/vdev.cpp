#include "remoteproc/vdev.hpp"

#include <cerrno>
#include <map>
#include <mutex>

#include "common/byte_reader.hpp"

namespace rproctee::remoteproc {

namespace {
// fw_rsc_vdev: type, id, notifyid, dfeatures, gfeatures, ...
constexpr size_t kGfeaturesOffset = 16;
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

Vdev::Vdev(Rproc& rproc, int index, uint32_t rsc_offset, const image::RscVdev& rsc)
    : rproc_(rproc),
      index_(index),
      rsc_offset_(rsc_offset),
      id_(rsc.id),
      dfeatures_(rsc.dfeatures),
      status_offset_(rsc.status_offset) {
  for (const auto& r : rsc.vrings)
    vrings_.push_back(Vring{r.da, r.num, r.align, r.notifyid, nullptr});
}

int Vdev::allocate(std::vector<uint8_t>& table) {
  auto put = [&](uint32_t offset, uint32_t value) {
    for (int i = 0; i < 4; ++i)
      table[offset + static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
  };
  const auto parsed = image::parse_resource_table(table);
  if (!parsed) return -EINVAL;
  const auto& rsc = std::get<image::RscVdev>(
      std::find_if(parsed->entries.begin(), parsed->entries.end(), [&](const image::RscEntry& e) {
        return e.offset == rsc_offset_;
      })->body);
  for (size_t i = 0; i < vrings_.size(); ++i) {
    Vring& v = vrings_[i];
    const std::string name = fmt::format("vdev{}vring{}", index_, i);
    const uint64_t size = vring_size(v.num, v.align);
    if (v.da == image::rsc::kAddrAny) {
      const MemoryMapping* m = rproc_.find_carveout(name);
      if (!m || size > m->size) {
        rproc_.info("vdev {}: vring{} ({} entries, {:#x} bytes) needs a memory region named {}",
                    index_, i, v.num, size, name);
        return -ENOMEM;
      }
      v.da = static_cast<uint32_t>(m->da);
    }
    v.va = rproc_.da_to_va(v.da, size);
    if (!v.va) {
      rproc_.info("vdev {}: vring{} at da {:#x} is not in memory the normal world can reach",
                  index_, i, v.da);
      return -ENOMEM;
    }
    put(rsc.vrings[i].offset, v.da);
  }
  buffers_ = rproc_.find_carveout(fmt::format("vdev{}buffer", index_));
  rproc_.info(
      "vdev {} (virtio id {}): {} vrings{}", index_, id_, vrings_.size(),
      buffers_ ? fmt::format(", buffers in {} ({:#x} bytes)", buffers_->name, buffers_->size) : "");
  return 0;
}

uint8_t Vdev::status() {
  auto t = rproc_.table();
  return status_offset_ < t.size() ? t[status_offset_] : 0;
}

void Vdev::set_status(uint8_t status) {
  auto t = rproc_.table();
  if (status_offset_ < t.size()) t[status_offset_] = status;
}

void Vdev::set_gfeatures(uint32_t features) {
  auto t = rproc_.table();
  const size_t at = size_t{rsc_offset_} + kGfeaturesOffset;
  if (at + 4 > t.size()) return;
  for (size_t i = 0; i < 4; ++i) t[at + i] = static_cast<uint8_t>(features >> (8 * i));
}

int Vdev::start() {
  set_status(kVirtioAcknowledge);
  DriverFactory factory;
  {
    std::lock_guard lock(g_drivers_mutex);
    auto it = drivers().find(id_);
    if (it != drivers().end()) factory = it->second;
  }
  if (!factory) {
    rproc_.info("virtio device {} (id {}) registered; no driver bound", index_, id_);
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
