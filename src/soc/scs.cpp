#include "soc/scs.hpp"

#include <bit>
#include <limits>

namespace rproctee::soc {
namespace {

// Register offsets from 0xE000E000.
constexpr uint32_t kIctr = 0x004, kActlr = 0x008;
constexpr uint32_t kSystCsr = 0x010, kSystRvr = 0x014, kSystCvr = 0x018, kSystCalib = 0x01C;
constexpr uint32_t kIser = 0x100, kIcer = 0x180, kIspr = 0x200, kIcpr = 0x280, kIabr = 0x300;
constexpr uint32_t kIpr = 0x400, kIprEnd = kIpr + Scs::kIrqs;
constexpr uint32_t kCpuid = 0xD00, kIcsr = 0xD04, kVtor = 0xD08, kAircr = 0xD0C, kScr = 0xD10,
                   kCcr = 0xD14, kShpr = 0xD18, kShprEnd = 0xD24, kShcsr = 0xD24, kCfsr = 0xD28,
                   kHfsr = 0xD2C, kMmfar = 0xD34, kBfar = 0xD38, kCpacr = 0xD88, kStir = 0xF00;
constexpr uint32_t kNvicWords = 0x40;  // each NVIC bank is 16 words

// ICSR bits.
constexpr uint32_t kPendSvSet = 1u << 28, kPendSvClr = 1u << 27, kPendStSet = 1u << 26,
                   kPendStClr = 1u << 25, kNmiPendSet = 1u << 31;
// AIRCR.
constexpr uint32_t kVectKey = 0x05FA, kVectKeyStat = 0xFA05, kSysResetReq = 1u << 2;
// CCR reset value of Armv8-M: STKALIGN (RES1) and UNALIGN_TRP clear, DIV_0_TRP clear.
constexpr uint32_t kCcrReset = 0x00000201;
// SysTick CSR.
constexpr uint32_t kStEnable = 1u << 0, kStTickInt = 1u << 1, kStClkSource = 1u << 2,
                   kStCountFlag = 1u << 16;
// SHCSR: enables of MemManage, BusFault, UsageFault, SecureFault.
constexpr uint32_t kShcsrEnableMask = 0xFu << 16;
constexpr int kNoPriority = 256;

bool in_bank(uint32_t offset, uint32_t bank) {
  return offset >= bank && offset < bank + kNvicWords;
}

}  // namespace

void Scs::reset(uint32_t vtor) {
  enabled_ = {};
  latched_ = {};
  active_irq_ = {};
  irq_priority_ = {};
  // level_ follows the devices' lines, which a core reset does not change.
  sys_pending_ = sys_active_ = 0;
  sys_priority_ = {};
  vtor_ = vtor & ~0x7Fu;
  prigroup_ = scr_ = shcsr_enables_ = 0;
  ccr_ = kCcrReset;
  cfsr_ = hfsr_ = mmfar_ = bfar_ = cpacr_ = 0;
  reset_request_ = false;
  config_.reset();
  st_enabled_ = st_tickint_ = st_countflag_ = false;
  st_reload_ = st_stopped_value_ = 0;
  st_next_zero_ = 0;
}

uint32_t Scs::group_mask() const {
  return ~((2u << prigroup_) - 1) & 0xFF;
}

int Scs::priority(uint32_t exception) const {
  if (exception == kNmi) return -2;
  if (exception == kHardFault) return -1;
  if (exception < kFirstIrq) return sys_priority_[exception];
  return irq_priority_[exception - kFirstIrq];
}

bool Scs::system_enabled(uint32_t exception) const {
  switch (exception) {
    case kMemManage:
    case kBusFault:
    case kUsageFault:
      return (shcsr_enables_ >> (16 + exception - kMemManage)) & 1;
    default:
      return true;
  }
}

uint32_t Scs::pending_word(uint32_t word) const {
  return latched_[word] | (level_[word] & ~active_irq_[word]);
}

int Scs::execution_priority(bool primask, uint32_t basepri, bool faultmask) const {
  int p = kNoPriority;
  for (uint32_t e = 1; e < kFirstIrq; ++e)
    if ((sys_active_ >> e) & 1) {
      int full = priority(e);
      p = std::min(p,
                   full < 0 ? full : static_cast<int>(static_cast<uint32_t>(full) & group_mask()));
    }
  for (uint32_t w = 0; w < kWords; ++w)
    for (uint32_t bits = active_irq_[w]; bits != 0; bits &= bits - 1) {
      uint32_t irq = w * 32 + static_cast<uint32_t>(std::countr_zero(bits));
      p = std::min(p, static_cast<int>(irq_priority_[irq] & group_mask()));
    }
  // BASEPRI has the implemented priority bits only (a write of 0x5F reads back 0x50).
  if (const uint32_t bp = basepri & kPriorityMask; bp != 0)
    p = std::min(p, static_cast<int>(bp & group_mask()));
  if (primask) p = std::min(p, 0);
  if (faultmask) p = std::min(p, -1);
  return p;
}

std::optional<Scs::Pending> Scs::best_pending() const {
  std::optional<Pending> best;
  int best_full = kNoPriority;
  auto consider = [&](uint32_t exception) {
    int full = priority(exception);
    if (best && full >= best_full) return;  // ties: the lower exception number (seen first)
    best_full = full;
    int group = full < 0 ? full : static_cast<int>(static_cast<uint32_t>(full) & group_mask());
    best = Pending{exception, group};
  };
  for (uint32_t bits = sys_pending_; bits != 0; bits &= bits - 1) {
    uint32_t e = static_cast<uint32_t>(std::countr_zero(bits));
    if (system_enabled(e)) consider(e);
  }
  for (uint32_t w = 0; w < kWords; ++w)
    for (uint32_t bits = pending_word(w) & enabled_[w]; bits != 0; bits &= bits - 1)
      consider(kFirstIrq + w * 32 + static_cast<uint32_t>(std::countr_zero(bits)));
  return best;
}

void Scs::activate(uint32_t exception) {
  if (exception < kFirstIrq) {
    sys_pending_ &= ~(1u << exception);
    sys_active_ |= 1u << exception;
    return;
  }
  uint32_t irq = exception - kFirstIrq;
  latched_[irq / 32] &= ~(1u << (irq % 32));
  active_irq_[irq / 32] |= 1u << (irq % 32);
}

void Scs::deactivate(uint32_t exception) {
  if (exception < kFirstIrq) {
    sys_active_ &= ~(1u << exception);
    return;
  }
  uint32_t irq = exception - kFirstIrq;
  if (irq < kIrqs) active_irq_[irq / 32] &= ~(1u << (irq % 32));
}

void Scs::set_line(uint32_t irq, bool level) {
  if (irq >= kIrqs) return;
  uint32_t bit = 1u << (irq % 32);
  if (level)
    level_[irq / 32] |= bit;
  else
    level_[irq / 32] &= ~bit;
}

void Scs::set_pending(uint32_t exception) {
  if (exception < kFirstIrq) {
    sys_pending_ |= 1u << exception;
  } else if (exception - kFirstIrq < kIrqs) {
    uint32_t irq = exception - kFirstIrq;
    latched_[irq / 32] |= 1u << (irq % 32);
  }
}

void Scs::record_fault(uint32_t cfsr, uint32_t hfsr, std::optional<uint32_t> bfar) {
  cfsr_ |= cfsr;
  hfsr_ |= hfsr;
  if (bfar) bfar_ = *bfar;
}

bool Scs::take_reset_request() {
  bool r = reset_request_;
  reset_request_ = false;
  return r;
}

// --- SysTick ---------------------------------------------------------------------------------

void Scs::advance(uint64_t now) {
  if (!st_enabled_ || now < st_next_zero_) return;
  st_countflag_ = true;
  if (st_tickint_) sys_pending_ |= 1u << kSysTick;
  if (st_reload_ == 0) {  // the counter stops at zero
    st_next_zero_ = std::numeric_limits<uint64_t>::max();
    return;
  }
  uint64_t period = uint64_t{st_reload_} + 1;
  st_next_zero_ += ((now - st_next_zero_) / period + 1) * period;
}

uint64_t Scs::next_deadline() const {
  return st_enabled_ && st_tickint_ ? st_next_zero_ : std::numeric_limits<uint64_t>::max();
}

uint32_t Scs::systick_current(uint64_t now) const {
  if (!st_enabled_) return st_stopped_value_;
  if (st_next_zero_ == std::numeric_limits<uint64_t>::max() || now >= st_next_zero_) return 0;
  uint64_t left = st_next_zero_ - now;
  return left > st_reload_ ? 0 : static_cast<uint32_t>(left);
}

// --- register file -----------------------------------------------------------------------------

uint32_t Scs::icsr() const {
  uint32_t v = 0;
  for (uint32_t e = 1; e < 512 && e < kFirstIrq + kIrqs; ++e) {
    bool active = e < kFirstIrq
                      ? ((sys_active_ >> e) & 1)
                      : ((active_irq_[(e - kFirstIrq) / 32] >> ((e - kFirstIrq) % 32)) & 1);
    if (active) {
      // VECTACTIVE: the exception the handler runs for is the most recent; approximate by the
      // highest-priority active one (what nesting makes current).
      uint32_t cur = v & 0x1FF;
      if (cur == 0 || priority(e) <= priority(cur)) v = (v & ~0x1FFu) | e;
    }
  }
  if (auto p = best_pending()) v |= (p->exception & 0x1FF) << 12;
  for (uint32_t w = 0; w < kWords; ++w)
    if (pending_word(w)) v |= 1u << 22;  // ISRPENDING
  if ((sys_pending_ >> kPendSv) & 1) v |= kPendSvSet;
  if ((sys_pending_ >> kSysTick) & 1) v |= kPendStSet;
  if ((sys_pending_ >> kNmi) & 1) v |= kNmiPendSet;
  return v;
}

uint32_t Scs::shcsr() const {
  uint32_t v = shcsr_enables_;
  auto act = [&](uint32_t e) { return (sys_active_ >> e) & 1; };
  v |= act(kMemManage) << 0 | act(kBusFault) << 1 | act(kHardFault) << 2 | act(kUsageFault) << 3 |
       act(kNmi) << 5 | act(kSvcall) << 7 | act(kPendSv) << 10 | act(kSysTick) << 11;
  v |= ((sys_pending_ >> kSvcall) & 1) << 15;
  return v;
}

uint32_t Scs::read(uint32_t offset, unsigned size, uint64_t now) {
  uint32_t shift = (offset & 3) * 8;
  uint32_t word = read32(offset & ~3u, now);
  word >>= shift;
  return size >= 4 ? word : word & ((1u << (size * 8)) - 1);
}

void Scs::write(uint32_t offset, uint32_t value, unsigned size, uint64_t now) {
  // The priority registers are byte-accessible arrays: a narrow store changes only its bytes.
  bool bytes = (offset >= kIpr && offset < kIprEnd) || (offset >= kShpr && offset < kShprEnd);
  if (bytes) {
    for (unsigned i = 0; i < size; ++i) {
      uint32_t at = offset + i;
      auto prio = static_cast<uint8_t>((value >> (8 * i)) & kPriorityMask);
      if (at >= kIpr && at < kIprEnd)
        irq_priority_[at - kIpr] = prio;
      else if (at >= kShpr && at < kShprEnd)
        sys_priority_[4 + at - kShpr] = prio;
    }
    return;
  }
  uint32_t shift = (offset & 3) * 8;
  write32(offset & ~3u, size >= 4 ? value : value << shift, now);
}

uint32_t Scs::read32(uint32_t offset, uint64_t now) {
  if (in_bank(offset, kIser) || in_bank(offset, kIcer)) {
    uint32_t w = (offset & 0x3F) / 4;
    return w < kWords ? enabled_[w] : 0;
  }
  if (in_bank(offset, kIspr) || in_bank(offset, kIcpr)) {
    uint32_t w = (offset & 0x3F) / 4;
    return w < kWords ? pending_word(w) : 0;
  }
  if (in_bank(offset, kIabr)) {
    uint32_t w = (offset & 0x3F) / 4;
    return w < kWords ? active_irq_[w] : 0;
  }
  if (offset >= kIpr && offset < kIprEnd) {
    uint32_t i = offset - kIpr;
    return uint32_t{irq_priority_[i]} | uint32_t{irq_priority_[i + 1]} << 8 |
           uint32_t{irq_priority_[i + 2]} << 16 | uint32_t{irq_priority_[i + 3]} << 24;
  }
  if (offset >= kShpr && offset < kShprEnd) {
    uint32_t e = 4 + offset - kShpr;
    return uint32_t{sys_priority_[e]} | uint32_t{sys_priority_[e + 1]} << 8 |
           uint32_t{sys_priority_[e + 2]} << 16 | uint32_t{sys_priority_[e + 3]} << 24;
  }
  if (ScbConfig::owns(offset)) return config_.read(offset);
  switch (offset) {
    case kIctr:
      return kWords - 1;  // INTLINESNUM: 32 * (n + 1) lines
    case kActlr:
      return 0;
    case kSystCsr: {
      advance(now);
      uint32_t v = (st_enabled_ ? kStEnable : 0) | (st_tickint_ ? kStTickInt : 0) | kStClkSource |
                   (st_countflag_ ? kStCountFlag : 0);
      st_countflag_ = false;  // cleared by the read
      return v;
    }
    case kSystRvr:
      return st_reload_;
    case kSystCvr:
      advance(now);
      return systick_current(now);
    case kSystCalib: {
      uint64_t tenms = clock_hz_ / 100;
      // NOREF (no external reference clock); SKEW unless 10 ms is a whole number of cycles.
      return (1u << 31) |
             (tenms > 0 && tenms <= 0xFFFFFF ? static_cast<uint32_t>(tenms - 1) : (1u << 30));
    }
    case kCpuid:
      return kCpuidCortexM33;
    case kIcsr:
      return icsr();
    case kVtor:
      return vtor_;
    case kAircr:
      return kVectKeyStat << 16 | prigroup_ << 8;
    case kScr:
      return scr_;
    case kCcr:
      return ccr_;
    case kShcsr:
      return shcsr();
    case kCfsr:
      return cfsr_;
    case kHfsr:
      return hfsr_;
    case kMmfar:
      return mmfar_;
    case kBfar:
      return bfar_;
    case kCpacr:
      return cpacr_;
    default:
      return 0;  // reserved / unimplemented: RAZ
  }
}

void Scs::write32(uint32_t offset, uint32_t value, uint64_t now) {
  auto word = [&](uint32_t bank) { return (offset - bank) / 4; };
  if (in_bank(offset, kIser)) {
    if (word(kIser) < kWords) enabled_[word(kIser)] |= value;
    return;
  }
  if (in_bank(offset, kIcer)) {
    if (word(kIcer) < kWords) enabled_[word(kIcer)] &= ~value;
    return;
  }
  if (in_bank(offset, kIspr)) {
    if (word(kIspr) < kWords) latched_[word(kIspr)] |= value;
    return;
  }
  if (in_bank(offset, kIcpr)) {
    if (word(kIcpr) < kWords) latched_[word(kIcpr)] &= ~value;
    return;
  }
  if (ScbConfig::owns(offset)) return config_.write(offset, value);
  switch (offset) {
    case kSystCsr: {
      advance(now);
      bool enable = value & kStEnable;
      if (enable && !st_enabled_) {
        uint32_t start = st_stopped_value_;
        st_next_zero_ = start == 0 ? now + 1 + st_reload_ : now + start;
      } else if (!enable && st_enabled_) {
        st_stopped_value_ = systick_current(now);
      }
      st_enabled_ = enable;
      st_tickint_ = value & kStTickInt;
      return;
    }
    case kSystRvr:
      st_reload_ = value & 0xFFFFFF;
      return;
    case kSystCvr:  // any write clears the counter (reloaded on the next cycle) and COUNTFLAG
      st_countflag_ = false;
      st_stopped_value_ = 0;
      if (st_enabled_) st_next_zero_ = now + 1 + st_reload_;
      return;
    case kIcsr:
      if (value & kNmiPendSet) sys_pending_ |= 1u << kNmi;
      if (value & kPendSvSet) sys_pending_ |= 1u << kPendSv;
      if (value & kPendSvClr) sys_pending_ &= ~(1u << kPendSv);
      if (value & kPendStSet) sys_pending_ |= 1u << kSysTick;
      if (value & kPendStClr) sys_pending_ &= ~(1u << kSysTick);
      return;
    case kVtor:
      vtor_ = value & ~0x7Fu;
      return;
    case kAircr:
      if ((value >> 16) != kVectKey) return;  // writes without the key are ignored
      prigroup_ = (value >> 8) & 7;
      if (value & kSysResetReq) reset_request_ = true;
      return;
    case kScr:
      scr_ = value & 0x1E;
      return;
    case kCcr:
      ccr_ = (value & 0x0000031B) | (1u << 9);
      return;
    case kShcsr:
      shcsr_enables_ = value & kShcsrEnableMask;
      return;
    case kCfsr:
      cfsr_ &= ~value;  // write-one-to-clear
      return;
    case kHfsr:
      hfsr_ &= ~value;
      return;
    case kMmfar:
      mmfar_ = value;
      return;
    case kBfar:
      bfar_ = value;
      return;
    case kCpacr:
      cpacr_ = value;
      return;
    case kStir:
      set_pending(kFirstIrq + (value & 0x1FF));
      return;
    default:
      return;  // read-only or reserved
  }
}

}  // namespace rproctee::soc
