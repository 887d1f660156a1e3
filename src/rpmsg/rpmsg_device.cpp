#include "rpmsg/rpmsg_device.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>

#include "remoteproc/virtio.hpp"
#include "rpmsg/wire.hpp"

namespace rproctee::rpmsg {

using Clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds kTxWaitSlice{10};
// The longest a reader waits for an interrupt on its own thread before it looks again.
constexpr std::chrono::milliseconds kInterruptWaitSlice{20};
}  // namespace

std::shared_ptr<RpmsgDevice> RpmsgDevice::create(VirtioPort& port, DeviceOptions options) {
  return std::shared_ptr<RpmsgDevice>(new RpmsgDevice(port, options));
}

RpmsgDevice::~RpmsgDevice() {
  stop(false);
}

bool RpmsgDevice::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

// --- start / stop -----------------------------------------------------------------------

int RpmsgDevice::start() {
  std::unique_lock lock(mutex_);
  if (started_) return -EBUSY;
  started_ = true;
  if (int err = setup_locked(); err) return err;
  running_ = true;
  if (port_.device_features() & kFeatureNameService) {
    endpoints_[kNameServiceAddr] = std::make_shared<Binding>(
        [this](uint32_t, std::span<const uint8_t> payload) { on_name_service(payload); });
    ns_endpoint_ = std::make_unique<Endpoint>(weak_from_this(), kNameServiceAddr);
  }
  // As Linux's rpmsg_probe: the device may look at the vrings only once DRIVER_OK is set,
  // which is why every RX buffer is posted before; the accepted features come first too.
  port_.set_driver_features(port_.device_features() & kFeatureNameService);
  port_.set_status(remoteproc::kVirtioAcknowledge | remoteproc::kVirtioDriver |
                   remoteproc::kVirtioDriverOk);
  port_.log(fmt::format("rpmsg host is online ({} + {} buffers of {} bytes)",
                        buffers_per_direction_, buffers_per_direction_, kBufferSize));
  kick_unlocked(lock, rx_notifyid_);
  return 0;
}

int RpmsgDevice::setup_locked() {
  const std::vector<remoteproc::Vring> vrings = port_.vrings();
  if (vrings.size() != 2) {
    port_.log(fmt::format("rpmsg needs 2 vrings, the vdev has {}", vrings.size()));
    return -EINVAL;
  }
  std::optional<VringLayout> layouts[2];
  for (size_t i = 0; i < 2; ++i) {
    const remoteproc::Vring& v = vrings[i];
    layouts[i] = VringLayout::of(v.num, v.align);
    if (!layouts[i] || !v.va || std::bit_cast<uintptr_t>(v.va) % 4 != 0) {
      port_.log(fmt::format("vring{}: num {} / align {} unusable (powers of two, num <= 32768)", i,
                            v.num, v.align));
      return -EINVAL;
    }
  }
  if (vrings[0].num != vrings[1].num || vrings[0].notifyid == vrings[1].notifyid) {
    port_.log(
        fmt::format("vrings must be symmetric with distinct notify ids (num {}/{}, "
                    "notifyid {}/{})",
                    vrings[0].num, vrings[1].num, vrings[0].notifyid, vrings[1].notifyid));
    return -EINVAL;
  }
  buffers_per_direction_ = std::min(vrings[0].num, kMaxBuffersPerDirection);
  const uint64_t needed = 2ull * buffers_per_direction_ * kBufferSize;
  const remoteproc::MemoryMapping* buffers = port_.buffers();
  if (!buffers || !buffers->va || buffers->size < needed) {
    port_.log(buffers
                  ? fmt::format("buffer carveout {} has {:#x} bytes, {} buffers need {:#x}",
                                buffers->name, buffers->size, 2 * buffers_per_direction_, needed)
                  : std::string("no vdev buffer carveout (vdevNbuffer)"));
    return -ENOMEM;
  }
  buffer_va_ = buffers->va;
  buffer_da_ = buffers->da;
  rx_notifyid_ = vrings[0].notifyid;
  tx_notifyid_ = vrings[1].notifyid;
  // Vdev placed each vring in memory of at least vring_size(num, align) == layout.size bytes.
  rx_.emplace(std::span(vrings[0].va, static_cast<size_t>(layouts[0]->size)), *layouts[0]);
  tx_.emplace(std::span(vrings[1].va, static_cast<size_t>(layouts[1]->size)), *layouts[1]);
  rx_->reset();
  tx_->reset();
  tx_->want_interrupts(false);  // returned TX buffers are reclaimed by the next send
  rx_with_device_.assign(buffers_per_direction_, false);
  tx_with_device_.assign(buffers_per_direction_, false);
  free_tx_.clear();
  for (uint32_t i = buffers_per_direction_; i-- > 0;) free_tx_.push_back(static_cast<uint16_t>(i));
  for (uint32_t i = 0; i < buffers_per_direction_; ++i) repost_rx_locked(static_cast<uint16_t>(i));
  return 0;
}

void RpmsgDevice::stop(bool crashed) {
  std::vector<std::shared_ptr<Channel>> closing;
  {
    std::unique_lock lock(mutex_);
    if (!running_) return;
    running_ = false;
    tx_cv_.notify_all();
    channel_cv_.notify_all();
    idle_cv_.wait(lock, [&] { return kicks_in_flight_ == 0; });
    if (crashed) port_.log("stopping after a crash of the remote processor");
    closing.swap(channels_);
    for (auto& c : closing) c->mark_closed();
  }
  ns_endpoint_.reset();
  for (auto& c : closing) {
    c->finish_close();
    notify(c, false);
  }
  std::lock_guard lock(mutex_);
  endpoints_.clear();
}

void RpmsgDevice::kick_unlocked(std::unique_lock<std::mutex>& lock, uint32_t notifyid) {
  ++kicks_in_flight_;
  lock.unlock();
  port_.kick(notifyid);
  lock.lock();
  if (--kicks_in_flight_ == 0) idle_cv_.notify_all();
}

// --- receive ------------------------------------------------------------------------------

bool RpmsgDevice::vring_interrupt(uint32_t notifyid) {
  bool is_rx = false, is_tx = false;
  {
    std::lock_guard lock(mutex_);
    if (!running_) return false;
    is_rx = notifyid == rx_notifyid_;
    is_tx = notifyid == tx_notifyid_;
    if (is_tx) {
      reclaim_locked();
      tx_cv_.notify_all();
    }
  }
  if (is_rx) receive();
  return is_rx || is_tx;
}

// Not counted as a call into the port (stop() does not wait for it): the waiter's handling
// takes the processor's locks, which a recovery holds while it stops this device, and the
// waiter outlives the port by its contract.
bool RpmsgDevice::wait_interrupt(Clock::time_point deadline, const LocalWakeWord& own,
                                 uint32_t own_seen) {
  if (!interrupt_waiter_ || !running()) return false;
  // In slices: a reader whose device stopped looks again soon.
  return interrupt_waiter_(std::min(deadline, Clock::now() + kInterruptWaitSlice), own, own_seen);
}

void RpmsgDevice::repost_rx_locked(uint16_t id) {
  rx_with_device_[id] = true;
  rx_->post(id, buffer_da_ + uint64_t{id} * kBufferSize, kBufferSize, kDescFlagWrite);
}

void RpmsgDevice::receive() {
  std::vector<Delivery> batch;
  {
    std::unique_lock lock(mutex_);
    if (!running_) return;
    const auto pending = pending_locked(*rx_, stats_.rx_broken, "vring0", "read");
    if (!pending) return;
    // Reposted after the batch, so a buffer returned twice in one batch is caught.
    std::vector<uint16_t> repost;
    for (uint32_t n = 0; n < *pending; ++n) {
      const UsedElem used = rx_->pop_used();
      const auto id = take_back_locked(used, rx_with_device_, "vring0");
      if (!id) continue;
      repost.push_back(*id);
      if (auto delivery = delivery_locked(*id, used.len)) batch.push_back(std::move(*delivery));
    }
    for (uint16_t id : repost) repost_rx_locked(id);
    if (!repost.empty() && rx_->device_wants_kick()) kick_unlocked(lock, rx_notifyid_);
  }
  for (const Delivery& d : batch)
    d.binding->visit([&](const Receiver& receiver) { receiver(d.src, d.payload); });
}

std::optional<uint32_t> RpmsgDevice::pending_locked(DriverVring& ring, bool& broken,
                                                    std::string_view name, std::string_view verb) {
  if (broken) return std::nullopt;
  auto pending = ring.pending();
  if (!pending) {
    broken = true;  // as Linux's BAD_RING: the device is not trusted with this vring again
    port_.log(fmt::format("{} is broken, no more messages will be {}: {}", name, verb,
                          pending.error().message));
    return std::nullopt;
  }
  return *pending;
}

std::optional<uint16_t> RpmsgDevice::take_back_locked(const UsedElem& used,
                                                      std::vector<bool>& with_device,
                                                      std::string_view ring) {
  if (used.id >= buffers_per_direction_ || !with_device[used.id]) {
    log_drop_locked(++stats_.rx_invalid,
                    fmt::format("{} used id {} is not a buffer the device holds", ring, used.id));
    return std::nullopt;
  }
  with_device[used.id] = false;
  return static_cast<uint16_t>(used.id);
}

std::optional<RpmsgDevice::Delivery> RpmsgDevice::delivery_locked(uint16_t id, uint32_t len) {
  const std::span<const uint8_t> buffer(buffer_va_ + uint64_t{id} * kBufferSize, kBufferSize);
  if (len < kHeaderSize || len > kBufferSize) {
    log_drop_locked(++stats_.rx_invalid, fmt::format("vring0 used len {} outside [{}, {}]", len,
                                                     kHeaderSize, kBufferSize));
    return std::nullopt;
  }
  const auto header = parse_header(buffer.first(len));
  if (!header) {
    log_drop_locked(++stats_.rx_invalid, header.error().message);
    return std::nullopt;
  }
  const auto ept = endpoints_.find(header->dst);
  if (ept == endpoints_.end()) {
    log_drop_locked(++stats_.rx_no_endpoint,
                    fmt::format("message from {:#x} to unbound address {:#x} ({} bytes)",
                                header->src, header->dst, header->len));
    return std::nullopt;
  }
  ++stats_.rx_messages;
  stats_.rx_bytes += header->len;
  const auto payload = buffer.subspan(kHeaderSize, header->len);
  return Delivery{ept->second, header->src, {payload.begin(), payload.end()}};
}

void RpmsgDevice::log_drop_locked(uint64_t count, std::string_view what) {
  if (count <= 10 || std::has_single_bit(count))
    port_.log(fmt::format("dropped: {} ({} of this kind so far)", what, count));
}

// --- send ---------------------------------------------------------------------------------

void RpmsgDevice::reclaim_locked() {
  const auto pending = pending_locked(*tx_, stats_.tx_broken, "vring1", "sent");
  if (!pending) return;
  for (uint32_t n = 0; n < *pending; ++n)
    if (const auto id = take_back_locked(tx_->pop_used(), tx_with_device_, "vring1"))
      free_tx_.push_back(*id);
}

SysStatus RpmsgDevice::send(uint32_t src, uint32_t dst, std::span<const uint8_t> payload) {
  return send(src, dst, payload, options_.tx_timeout);
}

SysStatus RpmsgDevice::send(uint32_t src, uint32_t dst, std::span<const uint8_t> payload,
                            std::chrono::milliseconds timeout, const std::atomic<bool>* cancel) {
  if (payload.size() > kMaxPayload)
    return sys_error(EMSGSIZE, "rpmsg payload of {} bytes (at most {})", payload.size(),
                     kMaxPayload);
  if (src == kAddrAny || dst == kAddrAny)
    return sys_error(EINVAL, "rpmsg send from {:#x} to {:#x}", src, dst);
  // Clamped so that a "forever" timeout cannot overflow the deadline.
  const auto deadline =
      Clock::now() + std::min(timeout, std::chrono::milliseconds(86400000LL * 365));
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!running_ || (cancel && cancel->load()))
      return sys_error(ENODEV, "the rpmsg channel or device is gone");
    reclaim_locked();  // buffers the device returned without an interrupt
    if (stats_.tx_broken) return sys_error(EIO, "vring1 broken by the remote processor");
    if (!free_tx_.empty()) break;
    if (Clock::now() >= deadline) {
      ++stats_.tx_timeouts;
      return sys_error(ETIMEDOUT,
                       "no free rpmsg TX buffer within {} ms (the remote processor did not "
                       "return any)",
                       timeout.count());
    }
    wait_for_tx_locked(lock, deadline);
  }
  const uint16_t id = free_tx_.back();
  free_tx_.pop_back();
  tx_with_device_[id] = true;
  const uint64_t offset = uint64_t{buffers_per_direction_ + id} * kBufferSize;
  const auto len = static_cast<uint16_t>(payload.size());
  write_message(std::span(buffer_va_ + offset, kBufferSize), Header{src, dst, 0, len, 0}, payload);
  tx_->post(id, buffer_da_ + offset, kHeaderSize + len, 0);
  ++stats_.tx_messages;
  stats_.tx_bytes += len;
  if (tx_->device_wants_kick()) kick_unlocked(lock, tx_notifyid_);
  return {};
}

// With vring1 interrupts asked for while any sender waits (then re-checked). The wait is cut
// in slices that look at vring1 again: a hint of the other side can be seen late (the emulated
// core's DMB is no fence on the host), which then costs a slice, never the whole timeout.
void RpmsgDevice::wait_for_tx_locked(std::unique_lock<std::mutex>& lock,
                                     Clock::time_point deadline) {
  if (tx_waiters_++ == 0) tx_->want_interrupts(true);
  reclaim_locked();
  if (free_tx_.empty() && running_)
    tx_cv_.wait_until(lock, std::min(deadline, Clock::now() + kTxWaitSlice));
  if (--tx_waiters_ == 0 && running_) tx_->want_interrupts(false);
}

size_t RpmsgDevice::free_tx_buffers() const {
  std::lock_guard lock(mutex_);
  return free_tx_.size();
}

DeviceStats RpmsgDevice::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

// --- endpoints ----------------------------------------------------------------------------

uint32_t RpmsgDevice::free_address_locked() const {
  uint32_t addr = kFirstDynamicAddr;
  for (auto it = endpoints_.lower_bound(addr); it != endpoints_.end() && it->first == addr; ++it)
    ++addr;
  return addr;
}

SysResult<std::unique_ptr<Endpoint>> RpmsgDevice::create_endpoint(uint32_t addr,
                                                                  Receiver receiver) {
  std::lock_guard lock(mutex_);
  if (!running_) return sys_error(ENODEV, "rpmsg device not running");
  if (addr == kAddrAny) addr = free_address_locked();
  if (addr == kAddrAny || endpoints_.count(addr))
    return sys_error(EBUSY, "rpmsg address {:#x} already bound", addr);
  endpoints_[addr] = std::make_shared<Binding>(std::move(receiver));
  return std::make_unique<Endpoint>(weak_from_this(), addr);
}

void RpmsgDevice::destroy_endpoint(uint32_t addr) {
  std::shared_ptr<Binding> binding;
  {
    std::lock_guard lock(mutex_);
    auto it = endpoints_.find(addr);
    if (it == endpoints_.end()) return;
    binding = std::move(it->second);
    endpoints_.erase(it);
  }
  binding->set(nullptr);  // waits for a running receiver
}

// --- name service and channels ------------------------------------------------------------

void RpmsgDevice::on_name_service(std::span<const uint8_t> payload) {
  auto msg = parse_ns_message(payload);
  if (!msg) {
    std::lock_guard lock(mutex_);
    if (running_) log_drop_locked(++stats_.ns_invalid, msg.error().message);
    return;
  }
  if (msg->action == NsAction::kCreate)
    add_channel(msg->name, msg->addr);
  else
    remove_channel(msg->name, msg->addr);
}

void RpmsgDevice::add_channel(const std::string& name, uint32_t remote) {
  auto channel =
      std::make_shared<Channel>(weak_from_this(), name, remote, options_.channel_queue_limit);
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    const bool exists = std::any_of(channels_.begin(), channels_.end(), [&](const auto& c) {
      return c->name() == name && c->remote_addr() == remote;
    });
    if (exists || channels_.size() >= options_.max_channels || remote == kAddrAny) {
      log_drop_locked(
          ++stats_.ns_invalid,
          fmt::format("channel {}:{:#x} refused ({})", name, remote,
                      exists               ? "already exists"
                      : remote == kAddrAny ? "no address"
                                           : fmt::format("{} channels already", channels_.size())));
      return;
    }
    const uint32_t local = free_address_locked();
    std::weak_ptr<Channel> weak = channel;
    endpoints_[local] = std::make_shared<Binding>([weak](uint32_t, std::span<const uint8_t> data) {
      if (auto c = weak.lock()) c->deliver(data);
    });
    channel->bind(std::make_unique<Endpoint>(weak_from_this(), local));
    channels_.push_back(channel);
    port_.log(fmt::format("creating channel {} addr {:#x} (local {:#x})", name, remote, local));
    channel_cv_.notify_all();
  }
  notify(channel, true);
}

void RpmsgDevice::remove_channel(const std::string& name, uint32_t remote) {
  std::shared_ptr<Channel> channel;
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    auto it = std::find_if(channels_.begin(), channels_.end(), [&](const auto& c) {
      return c->name() == name && c->remote_addr() == remote;
    });
    if (it == channels_.end()) {
      log_drop_locked(++stats_.ns_invalid,
                      fmt::format("destroy of unknown channel {}:{:#x}", name, remote));
      return;
    }
    channel = *it;
    channels_.erase(it);
    channel->mark_closed();
    tx_cv_.notify_all();  // its blocked senders give up
    port_.log(fmt::format("destroying channel {} addr {:#x}", name, remote));
  }
  channel->finish_close();
  notify(channel, false);
}

std::vector<std::shared_ptr<Channel>> RpmsgDevice::channels() const {
  std::lock_guard lock(mutex_);
  return channels_;
}

std::shared_ptr<Channel> RpmsgDevice::find_channel(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const auto& c : channels_)
    if (c->name() == name) return c;
  return nullptr;
}

std::shared_ptr<Channel> RpmsgDevice::wait_channel(std::string_view name,
                                                   std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::shared_ptr<Channel> found;
  channel_cv_.wait_for(lock, timeout, [&] {
    // The first announced, as find_channel(): two announcements handled in one interrupt
    // (ST's firmware announces two "rpmsg-tty") must not change which one a caller gets.
    for (const auto& c : channels_)
      if (!found && c->name() == name) found = c;
    return found || (started_ && !running_);
  });
  return found;
}

uint64_t RpmsgDevice::subscribe(ChannelObserver observer) {
  return observers_.add(std::move(observer));
}

void RpmsgDevice::unsubscribe(uint64_t id) {
  observers_.remove(id);
}

void RpmsgDevice::notify(const std::shared_ptr<Channel>& channel, bool added) {
  observers_.each([&](const ChannelObserver& o) {
    const auto& f = added ? o.added : o.removed;
    if (f) f(channel);
  });
}

}  // namespace rproctee::rpmsg
