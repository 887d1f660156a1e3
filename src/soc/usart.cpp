#include "soc/usart.hpp"

namespace rproctee::soc {

namespace {
// ICR: clear overrun, idle and transmission complete.
constexpr uint32_t kOreCf = 1u << 3, kIdleCf = 1u << 4, kTcCf = 1u << 6;
// RQR: flush the receive data.
constexpr uint32_t kRxFrq = 1u << 3;
// CR3: error interrupt enable (overrun).
constexpr uint32_t kEie = 1u << 0;
}  // namespace

uint32_t* Usart::config(uint32_t offset) {
  switch (offset) {
    case kCr1:
      return &cr1_;
    case kCr2:
      return &cr2_;
    case kCr3:
      return &cr3_;
    case kBrr:
      return &brr_;
    case kGtpr:
      return &gtpr_;
    case kRtor:
      return &rtor_;
    case kPresc:
      return &presc_;
    case kAutocr:
      return &autocr_;
    default:
      return nullptr;
  }
}

uint32_t Usart::isr_locked() const {
  uint32_t isr = kTxe | kTxfe;  // transmission is instantaneous: always room
  if (tc_) isr |= kTc;
  if (!rx_.empty()) isr |= kRxne;
  if (ore_) isr |= kOre;
  if (idle_) isr |= kIdle;
  if ((cr1_ & kUe) && (cr1_ & kTe)) isr |= kTeAck;
  if ((cr1_ & kUe) && (cr1_ & kRe)) isr |= kReAck;
  return isr;
}

bool Usart::line_locked() const {
  const uint32_t isr = isr_locked();
  return ((cr1_ & kTxeIe) && (isr & kTxe)) || ((cr1_ & kTcIe) && (isr & kTc)) ||
         ((cr1_ & kRxneIe) && (isr & (kRxne | kOre))) || ((cr1_ & kIdleIe) && (isr & kIdle)) ||
         ((cr3_ & kEie) && (isr & kOre));
}

uint32_t Usart::read32(uint32_t offset) {
  uint32_t value = 0;
  {
    std::lock_guard lock(mutex_);
    if (uint32_t* reg = config(offset)) return *reg;
    if (offset == kIsr) return isr_locked();
    if (offset != kRdr || rx_.empty()) return 0;  // RQR, ICR, TDR are write-only
    value = rx_.front();
    rx_.pop_front();
  }
  changed();
  return value;
}

void Usart::write_masked(uint32_t offset, uint32_t value, uint32_t mask) {
  uint32_t merged = value & mask;
  {
    std::lock_guard lock(mutex_);
    if (uint32_t* reg = config(offset)) merged |= *reg & ~mask;
  }
  write32(offset, merged);
}

void Usart::write32(uint32_t offset, uint32_t value) {
  uint8_t byte = 0;
  bool send = false;
  {
    std::lock_guard lock(mutex_);
    if (uint32_t* reg = config(offset)) {
      *reg = value;
    } else if (offset == kRqr) {
      if (value & kRxFrq) rx_.clear();
    } else if (offset == kIcr) {
      if (value & kOreCf) ore_ = false;
      if (value & kIdleCf) idle_ = false;
      if (value & kTcCf) tc_ = false;
    } else if (offset == kTdr) {
      if (!(cr1_ & kUe) || !(cr1_ & kTe)) return;  // transmitter off: the byte is lost
      byte = static_cast<uint8_t>(value);
      send = true;
      tc_ = true;  // the byte left at once
    } else {
      return;  // read-only or reserved
    }
  }
  if (send && transmit_) transmit_(std::span<const uint8_t>(&byte, 1));
  changed();
}

uint32_t Usart::irq_lines() const {
  std::lock_guard lock(mutex_);
  return line_locked() ? 1u : 0u;
}

void Usart::set_irq_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void Usart::changed() {
  std::function<void()> listener;
  {
    std::lock_guard lock(mutex_);
    listener = listener_;
  }
  if (listener) listener();
}

void Usart::reset() {
  std::lock_guard lock(mutex_);
  cr1_ = cr2_ = cr3_ = brr_ = gtpr_ = rtor_ = presc_ = autocr_ = 0;
  tc_ = true;
  ore_ = idle_ = false;
  rx_.clear();
}

bool Usart::receiving() const {
  std::lock_guard lock(mutex_);
  return (cr1_ & kUe) && (cr1_ & kRe);
}

bool Usart::receive(std::span<const uint8_t> bytes) {
  {
    std::lock_guard lock(mutex_);
    if (!(cr1_ & kUe) || !(cr1_ & kRe)) return false;
    for (uint8_t b : bytes) {
      if (rx_.size() >= kReceiveFifo) {
        ore_ = true;  // the data register was not read in time
        break;
      }
      rx_.push_back(b);
    }
    idle_ = !bytes.empty();  // the line went quiet after the burst
  }
  changed();
  return true;
}

}  // namespace rproctee::soc
