#include "common/shared_words.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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

void SharedWords::notify(uint32_t seq, uint32_t waiters) {
  (void)seq;
  if (load(waiters) != 0) wake_all(seq);
}

uint32_t SharedWords::wait_change(uint32_t seq, uint32_t waiters, uint32_t seen,
                                  std::chrono::microseconds spin,
                                  std::chrono::microseconds timeout) {
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
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    struct timespec ts {
      static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)
    };
    // Sleeps only while the word still holds `seen` (checked by the kernel atomically).
    ::syscall(SYS_futex, word(seq), FUTEX_WAIT, seen, &ts, nullptr, 0);
    now = load(seq);
  }
  fetch_add(waiters, static_cast<uint32_t>(-1));
  return now;
}

}  // namespace rproctee
