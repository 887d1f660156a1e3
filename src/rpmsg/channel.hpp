// An rpmsg channel announced by the firmware's name service (Linux struct rpmsg_device): a
// name, the remote address it announced, and a local endpoint at a dynamic address (0x400 up)
// bound for it. Messages arrive either in a queue read with receive() or, after
// set_receiver(), through a callback. A channel is closed when the firmware destroys it or the
// device stops; then send() fails, receive() returns what is queued and then nothing, and the
// object stays valid for whoever still holds it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/shared_words.hpp"
#include "rpmsg/callback_gate.hpp"
#include "rpmsg/endpoint.hpp"

namespace rproctee::rpmsg {

struct ChannelStats {
  uint64_t rx_messages = 0, rx_bytes = 0, tx_messages = 0, tx_bytes = 0;
  uint64_t rx_dropped = 0;  // the receive queue was full
};

class Channel {
 public:
  /// Made by RpmsgDevice when the firmware announces `name` at `remote_addr`.
  Channel(std::weak_ptr<RpmsgDevice> device, std::string name, uint32_t remote_addr,
          size_t queue_limit);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  const std::string& name() const { return name_; }
  uint32_t local_addr() const { return local_addr_; }
  uint32_t remote_addr() const { return remote_addr_; }
  bool closed() const { return closed_.load(); }

  /// Sends `payload` (<= 496 bytes) to the remote address, waiting for a free TX buffer up to
  /// the device's default timeout (or `timeout`). Errors: payload too large (EMSGSIZE), no
  /// buffer in time (ETIMEDOUT), channel closed or device stopped (ENODEV).
  SysStatus send(std::span<const uint8_t> payload);
  SysStatus send(std::span<const uint8_t> payload, std::chrono::milliseconds timeout);

  /// The oldest queued message, waiting up to `timeout`; nullopt on timeout or once closed and
  /// drained.
  std::optional<std::vector<uint8_t>> receive(std::chrono::milliseconds timeout);
  /// Messages go to `receiver` instead of the queue (nullptr: back to the queue). Once this
  /// returns, the previous receiver is not running and will not run again.
  void set_receiver(std::function<void(std::span<const uint8_t>)> receiver);

  ChannelStats stats() const;

 private:
  friend class RpmsgDevice;
  void bind(std::unique_ptr<Endpoint> endpoint);
  void deliver(std::span<const uint8_t> payload);
  /// Called by the device with its lock held (senders re-check closed() when woken).
  void mark_closed() { closed_ = true; }
  /// Unbinds the endpoint and wakes receive() waiters.
  void finish_close();

  std::weak_ptr<RpmsgDevice> device_;
  const std::string name_;
  const uint32_t remote_addr_;
  const size_t queue_limit_;
  uint32_t local_addr_ = 0;
  std::unique_ptr<Endpoint> endpoint_;
  std::atomic<bool> closed_{false};

  // Lock order: the receiver's gate (held while it runs) before queue_mutex_.
  CallbackSlot<std::function<void(std::span<const uint8_t>)>> receiver_;

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  // Bumped with every queued message and at close: a futex word for a reader waiting in
  // RpmsgDevice::wait_interrupt, which the receive thread may have beaten to the interrupt.
  LocalWakeWord arrivals_;
  std::deque<std::vector<uint8_t>> queue_;
  ChannelStats stats_;
};

}  // namespace rproctee::rpmsg
