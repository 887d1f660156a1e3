#include "rpmsg/fake_rpmsg_device.hpp"

#include <algorithm>

#include "rpmsg/vring.hpp"

namespace rproctee::test {

namespace {
uint64_t get_le(std::span<const uint8_t> m, uint64_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | m[static_cast<size_t>(off) + i];
  return v;
}
void put_le(std::span<uint8_t> m, uint64_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i)
    m[static_cast<size_t>(off) + i] = static_cast<uint8_t>(v >> (8 * i));
}
/// A page, or more when num needs it (vring0 and vring1 are 4 KiB apart for num <= 128).
size_t vring_bytes(uint32_t num) {
  return std::max<size_t>(0x1000, (32ull * num + 0x1000 - 1) / 0x1000 * 0x1000);
}
}  // namespace

FakeRpmsgDevice::FakeRpmsgDevice(uint32_t num, uint32_t align, uint64_t buffer_size)
    : num_(num),
      align_(align),
      vring0_(vring_bytes(num), 0),
      vring1_(vring_bytes(num), 0),
      buffers_(static_cast<size_t>(buffer_size), 0) {
  thread_ = std::thread([this] { run(); });
}

FakeRpmsgDevice::~FakeRpmsgDevice() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t FakeRpmsgDevice::used_offset() const {
  const uint64_t avail_end = 16ull * num_ + 6 + 2ull * num_;
  return (avail_end + align_ - 1) / align_ * align_;
}

std::vector<remoteproc::Vring> FakeRpmsgDevice::vrings() {
  return {{static_cast<uint32_t>(kVring0Da), num_, align_, 0, vring0_.data()},
          {static_cast<uint32_t>(kVring1Da), num_, align_, 1, vring1_.data()}};
}

remoteproc::MemoryMapping FakeRpmsgDevice::buffer_mapping() {
  return {"vdev0buffer", kBufferDa, kBufferDa, buffers_.size(), buffers_.data()};
}

void FakeRpmsgDevice::set_interrupt(std::function<void(uint32_t)> interrupt) {
  std::lock_guard lock(mutex_);
  interrupt_ = std::move(interrupt);
}

void FakeRpmsgDevice::interrupt(uint32_t notifyid) {
  std::function<void(uint32_t)> f;
  {
    std::lock_guard lock(mutex_);
    f = interrupt_;
  }
  if (f) f(notifyid);
}

void FakeRpmsgDevice::kick(uint32_t notifyid) {
  {
    std::lock_guard lock(mutex_);
    kicks_.push_back(notifyid);
  }
  cv_.notify_all();
}

void FakeRpmsgDevice::set_echo(bool echo) {
  std::lock_guard lock(mutex_);
  echo_ = echo;
}

void FakeRpmsgDevice::set_hold_tx(bool hold) {
  std::lock_guard lock(mutex_);
  hold_tx_ = hold;
}

void FakeRpmsgDevice::release_tx() {
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, len] : held_tx_) publish_used_locked(1, id, len);
    held_tx_.clear();
  }
  interrupt(1);
}

void FakeRpmsgDevice::settle() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return kicks_.empty() && !busy_; });
}

void FakeRpmsgDevice::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return quit_ || !kicks_.empty(); });
    if (quit_) return;
    const uint32_t kick = kicks_.front();
    kicks_.pop_front();
    busy_ = true;
    std::vector<uint32_t> interrupts;
    if (kick == 1) handle_tx_locked(interrupts);
    // A kick of vring0 means new RX buffers: a good time to flush waiting echoes.
    while (!echo_backlog_.empty()) {
      const Message& m = echo_backlog_.front();
      if (!send_locked(m.src, m.dst, m.payload)) break;
      echo_backlog_.pop_front();
      interrupts.push_back(0);
    }
    const auto f = interrupt_;
    lock.unlock();
    std::sort(interrupts.begin(), interrupts.end());
    interrupts.erase(std::unique(interrupts.begin(), interrupts.end()), interrupts.end());
    for (uint32_t n : interrupts)
      if (f) f(n);
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

void FakeRpmsgDevice::handle_tx_locked(std::vector<uint32_t>& interrupts) {
  const uint16_t avail = rpmsg::load_index(vring1_.data() + 16ull * num_ + 2);
  while (last_tx_avail_ != avail) {
    const uint16_t id = avail_entry(1, last_tx_avail_ % num_);
    ++last_tx_avail_;
    const Desc d = desc(1, id);
    const auto bytes = buffer_at(d.addr, d.len);
    Message m;
    if (bytes.size() >= rpmsg::kHeaderSize) {
      m.src = static_cast<uint32_t>(get_le(bytes, 0, 4));
      m.dst = static_cast<uint32_t>(get_le(bytes, 4, 4));
      const auto len = std::min<size_t>(get_le(bytes, 12, 2), bytes.size() - rpmsg::kHeaderSize);
      m.payload.assign(bytes.begin() + rpmsg::kHeaderSize,
                       bytes.begin() + static_cast<std::ptrdiff_t>(rpmsg::kHeaderSize + len));
    }
    if (echo_) echo_backlog_.push_back({m.dst, m.src, m.payload});
    received_.push_back(std::move(m));
    ++received_total_;
    if (hold_tx_) {
      held_tx_.emplace_back(id, d.len);
    } else {
      publish_used_locked(1, id, d.len);
      interrupts.push_back(1);
    }
  }
  cv_.notify_all();
}

void FakeRpmsgDevice::publish_used_locked(int r, uint32_t id, uint32_t len) {
  auto m = ring(r);
  const uint16_t idx = used_idx(r);
  const uint64_t entry = used_offset() + 4 + 8ull * (idx % num_);
  put_le(m, entry, id, 4);
  put_le(m, entry + 4, len, 4);
  rpmsg::store_index(m.data() + used_offset() + 2, static_cast<uint16_t>(idx + 1));
}

std::optional<uint16_t> FakeRpmsgDevice::take_rx_buffer() {
  const uint16_t avail = rpmsg::load_index(vring0_.data() + 16ull * num_ + 2);
  if (avail == last_rx_avail_) return std::nullopt;
  const uint16_t id = avail_entry(0, last_rx_avail_ % num_);
  ++last_rx_avail_;
  return id;
}

bool FakeRpmsgDevice::send_locked(uint32_t src, uint32_t dst, std::span<const uint8_t> payload) {
  const auto id = take_rx_buffer();
  if (!id) return false;
  const Desc d = desc(0, *id);
  auto bytes = buffer_at(d.addr, d.len);
  if (bytes.size() < rpmsg::kHeaderSize + payload.size()) return false;
  rpmsg::write_message(bytes, {src, dst, 0, static_cast<uint16_t>(payload.size()), 0}, payload);
  publish_used_locked(0, *id, static_cast<uint32_t>(rpmsg::kHeaderSize + payload.size()));
  return true;
}

bool FakeRpmsgDevice::send(uint32_t src, uint32_t dst, std::span<const uint8_t> payload) {
  {
    std::lock_guard lock(mutex_);
    if (!send_locked(src, dst, payload)) return false;
  }
  interrupt(0);
  return true;
}

bool FakeRpmsgDevice::announce(const std::string& name, uint32_t addr, rpmsg::NsAction action) {
  const auto msg = rpmsg::encode_ns_message(name, addr, action);
  return send(addr, rpmsg::kNameServiceAddr, msg);
}

std::optional<FakeRpmsgDevice::Message> FakeRpmsgDevice::wait_message(
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [&] { return !received_.empty(); })) return std::nullopt;
  Message m = std::move(received_.front());
  received_.pop_front();
  return m;
}

size_t FakeRpmsgDevice::messages_received() const {
  std::lock_guard lock(mutex_);
  return received_total_;
}

uint16_t FakeRpmsgDevice::avail_idx(int r) const {
  return rpmsg::load_index(ring(r).data() + 16ull * num_ + 2);
}

uint16_t FakeRpmsgDevice::avail_entry(int r, uint32_t slot) const {
  return static_cast<uint16_t>(get_le(ring(r), 16ull * num_ + 4 + 2ull * slot, 2));
}

FakeRpmsgDevice::Desc FakeRpmsgDevice::desc(int r, uint32_t id) const {
  const auto m = ring(r);
  const uint64_t off = 16ull * (id % num_);
  return {get_le(m, off, 8), static_cast<uint32_t>(get_le(m, off + 8, 4)),
          static_cast<uint16_t>(get_le(m, off + 12, 2)),
          static_cast<uint16_t>(get_le(m, off + 14, 2))};
}

uint16_t FakeRpmsgDevice::used_idx(int r) const {
  return rpmsg::load_index(ring(r).data() + used_offset() + 2);
}

void FakeRpmsgDevice::push_used_raw(int r, uint32_t id, uint32_t len) {
  std::lock_guard lock(mutex_);
  publish_used_locked(r, id, len);
}

void FakeRpmsgDevice::set_used_idx(int r, uint16_t idx) {
  std::lock_guard lock(mutex_);
  rpmsg::store_index(ring(r).data() + used_offset() + 2, idx);
}

std::span<uint8_t> FakeRpmsgDevice::buffer_at(uint64_t addr, uint32_t len) {
  if (addr < kBufferDa || addr - kBufferDa > buffers_.size() ||
      len > buffers_.size() - (addr - kBufferDa))
    return {};
  return std::span(buffers_).subspan(static_cast<size_t>(addr - kBufferDa), len);
}

// --- FakePort -----------------------------------------------------------------------------

std::vector<remoteproc::Vring> FakePort::vrings() const {
  return vring_override.empty() ? device_.vrings() : vring_override;
}

const remoteproc::MemoryMapping* FakePort::buffers() const {
  if (no_buffers) return nullptr;
  std::lock_guard lock(mutex_);
  mapping_ = buffer_override ? *buffer_override : device_.buffer_mapping();
  return &*mapping_;
}

uint8_t FakePort::status() {
  std::lock_guard lock(mutex_);
  return status_;
}

void FakePort::set_status(uint8_t status) {
  std::lock_guard lock(mutex_);
  status_ = status;
  status_history_.push_back(status);
  if ((status & remoteproc::kVirtioDriverOk) && vring0_snapshot_.empty()) {
    const auto m = device_.vring_memory(0);
    vring0_snapshot_.assign(m.begin(), m.end());
  }
}

void FakePort::kick(uint32_t notifyid) {
  {
    std::lock_guard lock(mutex_);
    kicks_.push_back(notifyid);
  }
  device_.kick(notifyid);
}

void FakePort::log(std::string_view message) {
  std::lock_guard lock(mutex_);
  logs_.emplace_back(message);
}

std::string FakePort::logs() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& l : logs_) out += l + "\n";
  return out;
}

std::vector<uint8_t> FakePort::status_history() const {
  std::lock_guard lock(mutex_);
  return status_history_;
}

std::vector<uint8_t> FakePort::vring0_at_driver_ok() const {
  std::lock_guard lock(mutex_);
  return vring0_snapshot_;
}

size_t FakePort::kicks(uint32_t notifyid) const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count(kicks_.begin(), kicks_.end(), notifyid));
}

}  // namespace rproctee::test
