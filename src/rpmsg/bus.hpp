// The rpmsg bus of the process: install() registers the virtio-rpmsg driver (virtio id 7) with
// remoteproc::Vdev, so every vdev of id 7 gets an RpmsgDevice when its processor starts and
// loses it when the processor stops or crashes. The bus keeps them by vdev, so several normal
// worlds (several Rproc objects) in one process never see each other's devices.
//
//   auto& bus = rpmsg::install();                 // once, before the processors boot
//   auto dev = bus.wait_device(rproc, 5s);        // after rproc.boot()
//   auto tty = dev->wait_channel("rpmsg-tty", 5s);
//   tty->send(bytes); auto reply = tty->receive(1s);
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "remoteproc/rproc.hpp"
#include "remoteproc/vdev.hpp"
#include "rpmsg/observer_list.hpp"
#include "rpmsg/rpmsg_device.hpp"

namespace rproctee::rpmsg {

struct BusOptions {
  DeviceOptions device;  // for every device created from now on
};

class Bus {
 public:
  /// The first started device of `rproc` (a processor usually has one rpmsg vdev), or null.
  std::shared_ptr<RpmsgDevice> device(const remoteproc::Rproc& rproc) const;
  /// Waits up to `timeout` for `rproc` to have a started device.
  std::shared_ptr<RpmsgDevice> wait_device(const remoteproc::Rproc& rproc,
                                           std::chrono::milliseconds timeout);
  struct Attached {
    remoteproc::Rproc* rproc = nullptr;
    std::shared_ptr<RpmsgDevice> device;
  };
  std::vector<Attached> devices() const;

  /// Told about devices started/stopped and channels announced/removed on any of them, from
  /// now on. Callbacks run on the thread that caused the event (a mailbox interrupt, a boot,
  /// a stop) and must not stop a processor.
  struct Observer {
    std::function<void(remoteproc::Rproc&, const std::shared_ptr<RpmsgDevice>&)> device_added,
        device_removed;
    std::function<void(remoteproc::Rproc&, const std::shared_ptr<Channel>&)> channel_added,
        channel_removed;
  };
  uint64_t subscribe(Observer observer);
  /// Once this returns, the observer is not running and will not run again.
  void unsubscribe(uint64_t id);

  void set_options(const BusOptions& options);
  BusOptions options() const;

  // --- used by the driver bound to each vdev ---
  /// Creates the device of `vdev`, forwarding its channel events to the observers.
  std::shared_ptr<RpmsgDevice> attach(remoteproc::Vdev& vdev, VirtioPort& port);
  /// The device started: it becomes visible.
  void started(remoteproc::Vdev& vdev);
  void detach(remoteproc::Vdev& vdev);

 private:
  struct Entry {
    remoteproc::Rproc* rproc = nullptr;
    std::shared_ptr<RpmsgDevice> device;
    uint64_t subscription = 0;
    bool visible = false;
  };
  // Lock order: a device's observer gate, then observers_' gate, then mutex_; mutex_ is never
  // held while an observer runs.
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  BusOptions options_;
  std::map<const remoteproc::Vdev*, Entry> entries_;
  ObserverList<Observer> observers_;
};

/// Registers the rpmsg driver for virtio id 7 (idempotent; later calls update the options)
/// and returns the process's bus.
Bus& install(const BusOptions& options = {});
/// Unregisters the driver: vdevs started from now on get none (tests restore the default).
void uninstall();

}  // namespace rproctee::rpmsg
