#include "rpmsg/channel.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "common/shared_words.hpp"
#include "rpmsg/rpmsg_device.hpp"

namespace rproctee::rpmsg {

Channel::Channel(std::weak_ptr<RpmsgDevice> device, std::string name, uint32_t remote_addr,
                 size_t queue_limit)
    : device_(std::move(device)),
      name_(std::move(name)),
      remote_addr_(remote_addr),
      queue_limit_(queue_limit) {}

void Channel::bind(std::unique_ptr<Endpoint> endpoint) {
  local_addr_ = endpoint->addr();
  endpoint_ = std::move(endpoint);
}

SysStatus Channel::send(std::span<const uint8_t> payload) {
  auto d = device_.lock();
  if (!d) return sys_error(ENODEV, "rpmsg channel {} is gone", name_);
  return send(payload, d->options().tx_timeout);
}

SysStatus Channel::send(std::span<const uint8_t> payload, std::chrono::milliseconds timeout) {
  auto d = device_.lock();
  if (!d || closed_) return sys_error(ENODEV, "rpmsg channel {} is closed", name_);
  RPROCTEE_CHECK(d->send(local_addr_, remote_addr_, payload, timeout, &closed_));
  std::lock_guard lock(queue_mutex_);
  ++stats_.tx_messages;
  stats_.tx_bytes += payload.size();
  return {};
}

void Channel::deliver(std::span<const uint8_t> payload) {
  const bool received = receiver_.visit([&](const auto& receiver) {
    {
      std::lock_guard lock(queue_mutex_);
      ++stats_.rx_messages;
      stats_.rx_bytes += payload.size();
    }
    receiver(payload);
  });
  if (received) return;
  std::lock_guard lock(queue_mutex_);
  if (queue_.size() >= queue_limit_) {
    ++stats_.rx_dropped;
    return;
  }
  ++stats_.rx_messages;
  stats_.rx_bytes += payload.size();
  queue_.emplace_back(payload.begin(), payload.end());
  queue_cv_.notify_all();
  arrivals_.bump_and_wake();  // a reader may be waiting in wait_interrupt
}

std::optional<std::vector<uint8_t>> Channel::receive(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  // Clamped so that a "forever" timeout cannot overflow the deadline.
  const auto deadline =
      Clock::now() + std::min(timeout, std::chrono::milliseconds(86400000LL * 365));
  std::unique_lock lock(queue_mutex_);
  while (queue_.empty() && !closed_ && Clock::now() < deadline) {
    // The answer usually comes with the processor's next interrupt: this thread takes it and
    // delivers it itself, rather than waiting for the interrupt thread to wake it.
    if (auto device = device_.lock()) {
      const uint32_t arrivals = arrivals_.load();  // with the queue seen empty
      lock.unlock();
      const bool waited = device->wait_interrupt(deadline, arrivals_, arrivals);
      lock.lock();
      if (waited) continue;
    }
    queue_cv_.wait_until(lock, deadline, [&] { return !queue_.empty() || closed_; });
  }
  if (queue_.empty()) return std::nullopt;
  auto message = std::move(queue_.front());
  queue_.pop_front();
  return message;
}

void Channel::set_receiver(std::function<void(std::span<const uint8_t>)> receiver) {
  receiver_.set(std::move(receiver));
}

void Channel::finish_close() {
  endpoint_.reset();  // waits for a delivery in progress
  std::lock_guard lock(queue_mutex_);
  queue_cv_.notify_all();
  arrivals_.bump_and_wake();
}

ChannelStats Channel::stats() const {
  std::lock_guard lock(queue_mutex_);
  return stats_;
}

}  // namespace rproctee::rpmsg
