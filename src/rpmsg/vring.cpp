#include "rpmsg/vring.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

#include "common/byte_reader.hpp"

namespace rproctee::rpmsg {

static_assert(std::endian::native == std::endian::little,
              "vring indices are stored with native 16-bit atomics");

namespace {
void store_le(std::span<uint8_t> out, uint64_t offset, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i)
    out[static_cast<size_t>(offset) + i] = static_cast<uint8_t>(value >> (8 * i));
}
}  // namespace

uint16_t load_index(const uint8_t* p) {
  // The index is an aligned u16 in shared memory; the cast only serves the atomic access.
  return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_ACQUIRE);
}

void store_index(uint8_t* p, uint16_t value) {
  __atomic_store_n(reinterpret_cast<uint16_t*>(p), value, __ATOMIC_RELEASE);
}

std::optional<VringLayout> VringLayout::of(uint32_t num, uint32_t align) {
  if (num == 0 || num > 32768 || !std::has_single_bit(num)) return std::nullopt;
  if (align == 0 || !std::has_single_bit(align)) return std::nullopt;
  VringLayout l;
  l.num = num;
  l.align = align;
  l.avail = 16ull * num;
  const uint64_t avail_end = l.avail + 6 + 2ull * num;
  l.used = (avail_end + align - 1) / align * align;
  l.size = l.used + 6 + 8ull * num;
  return l;
}

DriverVring::DriverVring(std::span<uint8_t> memory, VringLayout layout)
    : mem_(memory.first(static_cast<size_t>(layout.size))), layout_(layout) {}

void DriverVring::reset() {
  std::fill(mem_.begin(), mem_.end(), uint8_t{0});
  avail_idx_ = 0;
  last_used_ = 0;
}

void DriverVring::post(uint16_t id, uint64_t addr, uint32_t len, uint16_t flags) {
  const uint64_t desc = 16ull * (id % layout_.num);
  store_le(mem_, desc, addr, 8);
  store_le(mem_, desc + 8, len, 4);
  store_le(mem_, desc + 12, flags, 2);
  store_le(mem_, desc + 14, 0, 2);
  store_le(mem_, layout_.avail + 4 + 2ull * (avail_idx_ % layout_.num), id, 2);
  ++avail_idx_;
  store_index(mem_.data() + layout_.avail + 2, avail_idx_);  // release: entry before index
}

bool DriverVring::device_wants_kick() const {
  std::atomic_thread_fence(std::memory_order_seq_cst);  // avail.idx before used.flags
  return !(load_index(mem_.data() + layout_.used) & kUsedFlagNoNotify);
}

void DriverVring::want_interrupts(bool wanted) {
  store_index(mem_.data() + layout_.avail, wanted ? 0 : kAvailFlagNoInterrupt);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // avail.flags before used.idx
}

Result<uint32_t> DriverVring::pending() const {
  const uint16_t used_idx = load_index(mem_.data() + layout_.used + 2);
  const auto ahead = static_cast<uint16_t>(used_idx - last_used_);
  if (ahead > layout_.num)
    return make_error(TeeCode::kBadFormat,
                      "used.idx {} is {} entries past the last one seen ({}), more than the {} "
                      "the vring holds",
                      used_idx, ahead, last_used_, layout_.num);
  return uint32_t{ahead};
}

UsedElem DriverVring::pop_used() {
  const ByteReader r(mem_, "used ring", TeeCode::kBadFormat);
  const uint64_t entry = layout_.used + 4 + 8ull * (last_used_ % layout_.num);
  ++last_used_;
  // The layout keeps every entry inside mem_; a failed read (impossible) reads as a bad id.
  const auto id = r.u32(entry, "id");
  const auto len = r.u32(entry + 4, "len");
  return UsedElem{id ? *id : UINT32_MAX, len ? *len : 0};
}

}  // namespace rproctee::rpmsg
