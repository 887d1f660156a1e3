#include "soc/ipcc.hpp"

namespace rproctee::soc {

void Ipcc::wake_waiters() {
  { std::lock_guard lock(mutex_); }  // a waiter is either before its check or inside wait
  changed_.notify_all();
  notify_host();
}

void Ipcc::notify_host() {
  std::lock_guard lock(host_listeners_mutex_);
  for (const auto& [id, listener] : host_listeners_) listener();
}

uint64_t Ipcc::add_host_listener(std::function<void()> listener) {
  std::lock_guard lock(host_listeners_mutex_);
  host_listeners_.emplace_back(next_host_listener_, std::move(listener));
  return next_host_listener_++;
}

void Ipcc::remove_host_listener(uint64_t id) {
  std::lock_guard lock(host_listeners_mutex_);
  std::erase_if(host_listeners_, [id](const auto& l) { return l.first == id; });
}

void Ipcc::count_rings(uint32_t scr) {
  const uint32_t rung = (scr >> 16) & channel_mask_;
  for (uint32_t n = 0; n < channels_; ++n)
    if (rung & (1u << n)) ++rings_[n];
}
namespace {

constexpr uint32_t kCrMask = Ipcc::kRxOccupiedIe | Ipcc::kTxFreeIe;
constexpr uint32_t kVersion = 0x00000010;  // MAJREV 1, MINREV 0
constexpr uint32_t kIdentification = 0x00100071;
constexpr uint32_t kSizeIdentification = 0xA3C5DD01;

}  // namespace

Ipcc::Ipcc(uint64_t base, uint32_t channels)
    : base_(base),
      channels_(channels),
      channel_mask_((1u << channels) - 1),
      mr_mask_(channel_mask_ | (channel_mask_ << 16)),
      c1mr_(mr_mask_),
      c2mr_(mr_mask_) {}

// SCR: bit n clears the other side's flag n (acknowledge), bit 16 + n sets our own (send).
void Ipcc::apply_scr(uint32_t value, uint32_t& own, uint32_t& other) const {
  other &= ~(value & channel_mask_);
  own |= (value >> 16) & channel_mask_;
}

uint32_t Ipcc::read(uint32_t offset) const {
  std::lock_guard lock(mutex_);
  return read_locked(offset);
}

uint32_t Ipcc::read_locked(uint32_t offset) const {
  switch (offset) {
    case kC1CR:
      return c1cr_;
    case kC1MR:
      return c1mr_;
    case kC1TOC2SR:
      return c1toc2_;
    case kC2CR:
      return c2cr_;
    case kC2MR:
      return c2mr_;
    case kC2TOC1SR:
      return c2toc1_;
    case kHWCFGR:
      return channels_;  // CHANNELS
    case kVER:
      return kVersion;
    case kID:
      return kIdentification;
    case kSID:
      return kSizeIdentification;
    default:
      return 0;  // SCRs are write-only, reserved words read as zero
  }
}

void Ipcc::write(uint32_t offset, uint32_t value) {
  std::function<void()> listener;
  {
    std::lock_guard lock(mutex_);
    switch (offset) {
      case kC1CR:
        c1cr_ = value & kCrMask;
        break;
      case kC1MR:
        c1mr_ = value & mr_mask_;
        break;
      case kC1SCR:
        apply_scr(value, c1toc2_, c2toc1_);
        break;
      case kC2CR:
        c2cr_ = value & kCrMask;
        break;
      case kC2MR:
        c2mr_ = value & mr_mask_;
        break;
      case kC2SCR:
        apply_scr(value, c2toc1_, c1toc2_);
        count_rings(value);
        break;
      default:
        return;  // read-only or reserved
    }
    listener = listener_;
  }
  changed_.notify_all();
  if (listener) listener();
  notify_host();
}

Ipcc::Flags Ipcc::flags() const {
  std::lock_guard lock(mutex_);
  return Flags{c2toc1_, c1toc2_};
}

Ipcc::HostView Ipcc::host_view() const {
  std::lock_guard lock(mutex_);
  const uint32_t free_watched = (c2cr_ & kTxFreeIe) ? ~(c2mr_ >> 16) & channel_mask_ : 0;
  return HostView{Flags{c2toc1_, c1toc2_}, rings_, free_watched};
}

Ipcc::Flags Ipcc::wait(const std::function<bool(const Flags&)>& done,
                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  Flags f{c2toc1_, c1toc2_};
  changed_.wait_for(lock, timeout, [&] {
    f = Flags{c2toc1_, c1toc2_};
    return done(f);
  });
  return f;
}

bool Ipcc::remote_rx_irq() const {
  std::lock_guard lock(mutex_);
  return (c2cr_ & kRxOccupiedIe) && (c1toc2_ & ~c2mr_ & channel_mask_);
}

bool Ipcc::remote_tx_free_irq() const {
  std::lock_guard lock(mutex_);
  return (c2cr_ & kTxFreeIe) && (~c2toc1_ & ~(c2mr_ >> 16) & channel_mask_);
}

void Ipcc::set_remote_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void Ipcc::reset() {
  {
    std::lock_guard lock(mutex_);
    c1cr_ = c2cr_ = 0;
    c1mr_ = c2mr_ = mr_mask_;
    c1toc2_ = c2toc1_ = 0;
  }
  changed_.notify_all();
  notify_host();
}

}  // namespace rproctee::soc
