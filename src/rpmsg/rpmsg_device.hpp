// The virtio-rpmsg bus of one virtio device, host (driver) side — Linux virtio_rpmsg_bus.c.
// start() takes 2 x min(num, 256) buffers of 512 bytes from the vdev's buffer carveout (first
// half RX, second half TX), initialises both vrings, posts every RX buffer on vring0, sets
// DRIVER_OK only then, and kicks vring0. Interrupts of vring0 deliver messages to endpoints,
// of vring1 give TX buffers back to senders.
//
// Notification suppression as Linux and OpenAMP do it: the host kicks a vring only when the
// device did not set VRING_USED_F_NO_NOTIFY (the firmware sets it while busy with the ring),
// and asks for vring1 interrupts (clears VRING_AVAIL_F_NO_INTERRUPT) only while a sender waits
// for a TX buffer; each interrupt consumes every used entry and refills vring0 with one kick.
//
// The firmware writes the vrings and buffers, so nothing it writes is trusted: used.idx may
// run at most num entries ahead (else the vring is marked broken, as Linux's BAD_RING), a used
// id must name a buffer the device holds, lengths must fit, and anything else is dropped and
// counted, with a rate-limited log line. Each interrupt handles at most num entries.
//
// Threading: every method may be called from any thread. Receivers run on the thread that
// delivered the interrupt, without the device lock (they may send); they must not stop the
// processor. After stop() nothing touches the port or the shared memory again, blocked senders
// fail at once, and channels/endpoints held by users stay valid objects whose calls fail.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "remoteproc/sys_error.hpp"
#include "rpmsg/callback_gate.hpp"
#include "rpmsg/channel.hpp"
#include "rpmsg/endpoint.hpp"
#include "rpmsg/observer_list.hpp"
#include "rpmsg/virtio_port.hpp"
#include "rpmsg/vring.hpp"

namespace rproctee::rpmsg {

struct DeviceOptions {
  /// How long a sender waits for a free TX buffer (Linux: 15 s).
  std::chrono::milliseconds tx_timeout{15000};
  /// Announced channels kept at most (a firmware flooding the name service is cut off).
  size_t max_channels = 64;
  /// Messages queued per channel for receive() before new ones are dropped.
  size_t channel_queue_limit = 1024;
};

struct DeviceStats {
  uint64_t rx_messages = 0, rx_bytes = 0, tx_messages = 0, tx_bytes = 0;
  uint64_t rx_no_endpoint = 0;  // dropped: nothing bound at dst
  uint64_t rx_invalid = 0;      // dropped: bad used entry or header
  uint64_t ns_invalid = 0;      // name-service messages refused
  uint64_t tx_timeouts = 0;
  bool rx_broken = false, tx_broken = false;
};

class RpmsgDevice : public std::enable_shared_from_this<RpmsgDevice> {
 public:
  /// `port` must outlive start()..stop(); it is not used before start or after stop.
  static std::shared_ptr<RpmsgDevice> create(VirtioPort& port, DeviceOptions options = {});
  RpmsgDevice(const RpmsgDevice&) = delete;
  RpmsgDevice& operator=(const RpmsgDevice&) = delete;
  ~RpmsgDevice();

  /// 0, or -EINVAL (vrings unusable), -ENOMEM (no or too small buffer carveout), -EBUSY
  /// (started before); logged through the port.
  int start();
  /// Closes every channel (observers see them removed) and wakes blocked senders with an
  /// error. Idempotent.
  void stop(bool crashed);
  /// The firmware signalled vring `notifyid`: true when it is one of this device's.
  bool vring_interrupt(uint32_t notifyid);
  /// Takes the processor's interrupts on the calling thread for a while (at most until
  /// `deadline`, or until `own` moves from `own_seen`; see remoteproc::InterruptWaiter): false
  /// when not running or the port cannot.
  bool wait_interrupt(std::chrono::steady_clock::time_point deadline, const LocalWakeWord& own,
                      uint32_t own_seen);
  bool running() const;

  /// Binds `addr` (kAddrAny: the lowest free address from 0x400) to `receiver`. ENODEV when
  /// not running, EBUSY when the address is taken.
  SysResult<std::unique_ptr<Endpoint>> create_endpoint(uint32_t addr, Receiver receiver);
  /// Sends `payload` (<= 496 bytes) from `src` to `dst`, waiting up to the default (or the
  /// given) timeout for a TX buffer. `cancel`, when given, aborts the wait once true. Errors:
  /// EMSGSIZE, EINVAL (an address is kAddrAny), ENODEV (stopped or cancelled), EIO (vring1
  /// broken by the device), ETIMEDOUT (no TX buffer in time).
  SysStatus send(uint32_t src, uint32_t dst, std::span<const uint8_t> payload);
  SysStatus send(uint32_t src, uint32_t dst, std::span<const uint8_t> payload,
                 std::chrono::milliseconds timeout, const std::atomic<bool>* cancel = nullptr);

  std::vector<std::shared_ptr<Channel>> channels() const;
  /// The open channel named `name`, or nullptr.
  std::shared_ptr<Channel> find_channel(std::string_view name) const;
  /// Waits up to `timeout` for a channel named `name` (nullptr on timeout or stop).
  std::shared_ptr<Channel> wait_channel(std::string_view name, std::chrono::milliseconds timeout);

  /// Told about channels announced and removed from now on (not replayed).
  struct ChannelObserver {
    std::function<void(const std::shared_ptr<Channel>&)> added, removed;
  };
  uint64_t subscribe(ChannelObserver observer);
  /// Once this returns, the observer is not running and will not run again.
  void unsubscribe(uint64_t id);

  DeviceStats stats() const;
  size_t free_tx_buffers() const;
  const DeviceOptions& options() const { return options_; }

 private:
  using Binding = CallbackSlot<Receiver>;  // its gate is held while the receiver runs
  struct Delivery {
    std::shared_ptr<Binding> binding;
    uint32_t src = 0;
    std::vector<uint8_t> payload;
  };

  RpmsgDevice(VirtioPort& port, DeviceOptions options)
      : port_(port), options_(options), interrupt_waiter_(port.interrupt_waiter()) {}
  friend class Endpoint;

  int setup_locked();
  void receive();
  /// New used entries of `ring`; nullopt once it is broken (logged the first time).
  std::optional<uint32_t> pending_locked(DriverVring& ring, bool& broken, std::string_view name,
                                         std::string_view verb);
  /// The buffer a used entry gives back, when the device held it; else dropped and counted.
  std::optional<uint16_t> take_back_locked(const UsedElem& used, std::vector<bool>& with_device,
                                           std::string_view ring);
  /// The message in RX buffer `id` for its endpoint; else dropped and counted.
  std::optional<Delivery> delivery_locked(uint16_t id, uint32_t len);
  void reclaim_locked();
  void wait_for_tx_locked(std::unique_lock<std::mutex>& lock,
                          std::chrono::steady_clock::time_point deadline);
  void repost_rx_locked(uint16_t id);
  /// Kicks `notifyid` without the lock; stop() waits for such kicks to finish.
  void kick_unlocked(std::unique_lock<std::mutex>& lock, uint32_t notifyid);
  void destroy_endpoint(uint32_t addr);
  uint32_t free_address_locked() const;
  void on_name_service(std::span<const uint8_t> payload);
  void add_channel(const std::string& name, uint32_t remote);
  void remove_channel(const std::string& name, uint32_t remote);
  void notify(const std::shared_ptr<Channel>& channel, bool added);
  /// Logs the first few drops of a kind, then every power of two.
  void log_drop_locked(uint64_t count, std::string_view what);

  VirtioPort& port_;
  const DeviceOptions options_;

  // Lock order: mutex_ is never held while a receiver or an observer runs, nor while kicking;
  // it may be taken inside them (they send). A binding's gate (held while its receiver runs)
  // and observers_' gate come before mutex_; the Bus's gates after observers_' (its forwarding
  // observer runs inside it).
  mutable std::mutex mutex_;
  std::condition_variable tx_cv_;                       // a TX buffer came back, or stop
  std::condition_variable idle_cv_;                     // a kick finished
  const VirtioPort::InterruptWaiter interrupt_waiter_;  // from the port, at creation
  std::condition_variable channel_cv_;                  // a channel appeared, or stop
  bool started_ = false, running_ = false;
  int kicks_in_flight_ = 0;
  int tx_waiters_ = 0;  // senders waiting for a TX buffer: vring1 interrupts wanted meanwhile
  uint32_t buffers_per_direction_ = 0;
  uint32_t rx_notifyid_ = 0, tx_notifyid_ = 0;
  std::optional<DriverVring> rx_, tx_;
  uint8_t* buffer_va_ = nullptr;
  uint64_t buffer_da_ = 0;
  std::vector<bool> rx_with_device_, tx_with_device_;
  std::vector<uint16_t> free_tx_;
  std::map<uint32_t, std::shared_ptr<Binding>> endpoints_;
  std::vector<std::shared_ptr<Channel>> channels_;
  std::unique_ptr<Endpoint> ns_endpoint_;
  DeviceStats stats_;

  ObserverList<ChannelObserver> observers_;
};

}  // namespace rproctee::rpmsg
