#include "common/shared_words.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace rproctee {

namespace {
using Clock = std::chrono::steady_clock;
thread_local uint32_t ignored_word;  // the target of out-of-range accesses (never read back)
}  // namespace

uint32_t* SharedWords::word(uint32_t offset) const {
  if (offset % 4 != 0 || offset >= size_ || size_ - offset < 4) {
    ignored_word = 0;
    return &ignored_word;
  }
  // An aligned u32 of the shared mapping; the cast only serves the atomic access.
  return reinterpret_cast<uint32_t*>(base_ + offset);
}

const uint32_t* SharedWords::address(uint32_t offset) const {
  if (offset % 4 != 0 || offset >= size_ || size_ - offset < 4) return nullptr;
  return reinterpret_cast<const uint32_t*>(base_ + offset);
}

uint32_t SharedWords::load(uint32_t offset) const {
  return __atomic_load_n(word(offset), __ATOMIC_SEQ_CST);
}

void SharedWords::store(uint32_t offset, uint32_t value) {
  __atomic_store_n(word(offset), value, __ATOMIC_SEQ_CST);
}

uint32_t SharedWords::fetch_or(uint32_t offset, uint32_t bits) {
  return __atomic_fetch_or(word(offset), bits, __ATOMIC_SEQ_CST);
}

uint32_t SharedWords::fetch_add(uint32_t offset, uint32_t n) {
  return __atomic_fetch_add(word(offset), n, __ATOMIC_SEQ_CST);
}

uint32_t SharedWords::exchange(uint32_t offset, uint32_t value) {
  return __atomic_exchange_n(word(offset), value, __ATOMIC_SEQ_CST);
}

void SharedWords::wake_all(uint32_t offset) {
  ::syscall(SYS_futex, word(offset), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

void SharedWords::notify(uint32_t seq, uint32_t waiters, uint32_t bitset) {
  if (load(waiters) == 0 || bitset == 0) return;
  ::syscall(SYS_futex, word(seq), FUTEX_WAKE_BITSET, INT_MAX, nullptr, nullptr, bitset);
}

uint32_t SharedWords::wait_change(uint32_t seq, uint32_t waiters, uint32_t seen,
                                  std::chrono::microseconds spin, std::chrono::microseconds timeout,
                                  uint32_t bitset) {
  const auto start = Clock::now();
  for (uint32_t i = 0;; ++i) {
    const uint32_t now = load(seq);
    if (now != seen) return now;
    if ((i & 15) == 15 && Clock::now() - start >= spin) break;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  fetch_add(waiters, 1);
  uint32_t now = load(seq);
  if (now == seen) {
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time (the steady clock's).
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        (Clock::now() + timeout).time_since_epoch())
                        .count();
    struct timespec ts {
      static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)
    };
    // Sleeps only while the word still holds `seen` (checked by the kernel atomically).
    ::syscall(SYS_futex, word(seq), FUTEX_WAIT_BITSET, seen, &ts, nullptr, bitset);
    now = load(seq);
  }
  fetch_add(waiters, static_cast<uint32_t>(-1));
  return now;
}

namespace {
long futex_waitv(struct futex_waitv* waiters, unsigned count, const struct timespec* deadline) {
  return ::syscall(SYS_futex_waitv, waiters, count, 0, deadline, CLOCK_MONOTONIC);
}
}  // namespace

bool LocalWakeWord::bump_and_wake() {
  // Both sides are sequentially consistent: either this load sees a sleeper's count, or the
  // sleeper's last look (after counting itself) sees the new sequence and does not sleep.
  seq.fetch_add(1);
  if (sleepers.load() == 0) return false;
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&seq), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
            nullptr, 0);
  return true;
}

bool SharedWords::can_wait_either() {
  static const bool available = [] {
    // A value that differs from the word's: answered at once with EAGAIN when supported.
    uint32_t word = 1;
    struct futex_waitv w {};
    w.val = 0;
    w.uaddr = reinterpret_cast<uintptr_t>(&word);
    w.flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
    return futex_waitv(&w, 1, nullptr) == -1 && errno == EAGAIN;
  }();
  return available;
}

void SharedWords::wait_either(uint32_t seq, uint32_t waiters, uint32_t seen,
                              const LocalWakeWord& own, uint32_t own_seen,
                              std::chrono::microseconds spin, Clock::time_point deadline) {
  const auto changed = [&] { return load(seq) != seen || own.load() != own_seen; };
  const auto start = Clock::now();
  for (uint32_t i = 0;; ++i) {
    if (changed()) return;
    if ((i & 15) == 15 && Clock::now() - start >= spin) break;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  fetch_add(waiters, 1);
  own.sleepers.fetch_add(1);
  if (!changed()) {
    struct futex_waitv w[2]{};
    w[0].val = seen;
    w[0].uaddr = reinterpret_cast<uintptr_t>(word(seq));
    w[0].flags = FUTEX_32;  // shared: the other process wakes it
    w[1].val = own_seen;
    // The futex is the atomic's 32-bit value (std::atomic<uint32_t> is lock-free, same size).
    w[1].uaddr = reinterpret_cast<uintptr_t>(&own.seq);
    w[1].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    const struct timespec ts {
      static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)
    };
    futex_waitv(w, 2, &ts);  // EAGAIN (a value changed), ETIMEDOUT, a wake: all mean "look"
  }
  own.sleepers.fetch_sub(1);
  fetch_add(waiters, static_cast<uint32_t>(-1));
}

}  // namespace rproctee
