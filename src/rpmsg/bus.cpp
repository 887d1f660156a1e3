#include "rpmsg/bus.hpp"

#include <cerrno>

#include "rpmsg/vdev_port.hpp"
#include "rpmsg/wire.hpp"

namespace rproctee::rpmsg {

namespace {

/// The Subdevice Vdev owns while its processor runs: the port over the vdev and the device,
/// which users may keep (shared) past stop.
class RpmsgDriver final : public remoteproc::Subdevice {
 public:
  RpmsgDriver(Bus& bus, remoteproc::Vdev& vdev) : bus_(bus), vdev_(vdev), port_(vdev) {
    device_ = bus_.attach(vdev_, port_);
  }
  ~RpmsgDriver() override { stop(false); }
  int start() override {
    if (int err = device_->start(); err) return err;
    bus_.started(vdev_);
    return 0;
  }
  void stop(bool crashed) override {
    if (!device_) return;
    device_->stop(crashed);
    bus_.detach(vdev_);
    device_.reset();
  }
  bool vring_interrupt(uint32_t notifyid) override {
    return device_ && device_->vring_interrupt(notifyid);
  }

 private:
  Bus& bus_;
  remoteproc::Vdev& vdev_;
  VdevPort port_;
  std::shared_ptr<RpmsgDevice> device_;
};

Bus& the_bus() {
  static Bus bus;
  return bus;
}

}  // namespace

std::shared_ptr<RpmsgDevice> Bus::device(const remoteproc::Rproc& rproc) const {
  std::lock_guard lock(mutex_);
  for (const auto& [vdev, e] : entries_)
    if (e.rproc == &rproc && e.visible) return e.device;
  return nullptr;
}

std::shared_ptr<RpmsgDevice> Bus::wait_device(const remoteproc::Rproc& rproc,
                                              std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::shared_ptr<RpmsgDevice> found;
  changed_.wait_for(lock, timeout, [&] {
    for (const auto& [vdev, e] : entries_)
      if (e.rproc == &rproc && e.visible) found = e.device;
    return found != nullptr;
  });
  return found;
}

std::vector<Bus::Attached> Bus::devices() const {
  std::lock_guard lock(mutex_);
  std::vector<Attached> out;
  for (const auto& [vdev, e] : entries_)
    if (e.visible) out.push_back({e.rproc, e.device});
  return out;
}

uint64_t Bus::subscribe(Observer observer) {
  return observers_.add(std::move(observer));
}

void Bus::unsubscribe(uint64_t id) {
  observers_.remove(id);
}

void Bus::set_options(const BusOptions& options) {
  std::lock_guard lock(mutex_);
  options_ = options;
}

BusOptions Bus::options() const {
  std::lock_guard lock(mutex_);
  return options_;
}

std::shared_ptr<RpmsgDevice> Bus::attach(remoteproc::Vdev& vdev, VirtioPort& port) {
  remoteproc::Rproc* rproc = &vdev.rproc();
  auto device = RpmsgDevice::create(port, options().device);
  RpmsgDevice::ChannelObserver forward;
  forward.added = [this, rproc](const std::shared_ptr<Channel>& c) {
    observers_.each([&](const Observer& o) {
      if (o.channel_added) o.channel_added(*rproc, c);
    });
  };
  forward.removed = [this, rproc](const std::shared_ptr<Channel>& c) {
    observers_.each([&](const Observer& o) {
      if (o.channel_removed) o.channel_removed(*rproc, c);
    });
  };
  const uint64_t subscription = device->subscribe(std::move(forward));
  std::lock_guard lock(mutex_);
  entries_[&vdev] = Entry{rproc, device, subscription, false};
  return device;
}

void Bus::started(remoteproc::Vdev& vdev) {
  std::shared_ptr<RpmsgDevice> device;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(&vdev);
    if (it == entries_.end()) return;
    it->second.visible = true;
    device = it->second.device;
  }
  changed_.notify_all();
  observers_.each([&](const Observer& o) {
    if (o.device_added) o.device_added(vdev.rproc(), device);
  });
}

void Bus::detach(remoteproc::Vdev& vdev) {
  Entry entry;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(&vdev);
    if (it == entries_.end()) return;
    entry = std::move(it->second);
    entries_.erase(it);
  }
  changed_.notify_all();
  entry.device->unsubscribe(entry.subscription);
  if (entry.visible)
    observers_.each([&](const Observer& o) {
      if (o.device_removed) o.device_removed(*entry.rproc, entry.device);
    });
}

Bus& install(const BusOptions& options) {
  Bus& bus = the_bus();
  bus.set_options(options);
  remoteproc::Vdev::register_driver(kVirtioIdRpmsg, [&bus](remoteproc::Vdev& vdev) {
    return std::make_unique<RpmsgDriver>(bus, vdev);
  });
  return bus;
}

void uninstall() {
  remoteproc::Vdev::register_driver(kVirtioIdRpmsg, nullptr);
}

}  // namespace rproctee::rpmsg
