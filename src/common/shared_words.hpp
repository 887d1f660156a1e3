// 32-bit words in memory shared with another process (a MAP_SHARED mapping of a memfd): atomic
// loads, stores and read-modify-writes, and futex waits and wakes on them. The futexes are
// shared ones (never FUTEX_PRIVATE_FLAG), so the other process's waiters are woken too. The
// other side is not trusted: any word may hold any value at any time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace rproctee {

/// A word of this process that SharedWords::wait_either() watches beside a shared one: a
/// sequence that bump_and_wake() increments, and the number of threads asleep on it, so that a
/// bump nobody waits for makes no system call (a channel bumps it for every queued message).
struct LocalWakeWord {
  uint32_t load() const { return seq.load(); }
  /// Increments the sequence and wakes its sleepers; true when there were any (a wake system
  /// call was made), false when nobody slept on it (no system call).
  bool bump_and_wake();

  std::atomic<uint32_t> seq{0};
  mutable std::atomic<uint32_t> sleepers{0};  // counted by wait_either while it sleeps
};

class SharedWords {
 public:
  /// `base` is 4-byte aligned and `size` bytes long; offsets are checked against `size`
  /// (an offset beyond it reads 0 and ignores writes).
  SharedWords(void* base, uint32_t size) : base_(static_cast<uint8_t*>(base)), size_(size) {}

  uint32_t load(uint32_t offset) const;
  void store(uint32_t offset, uint32_t value);
  uint32_t fetch_or(uint32_t offset, uint32_t bits);
  uint32_t fetch_add(uint32_t offset, uint32_t n);
  uint32_t exchange(uint32_t offset, uint32_t value);

  /// Wakes every thread (of any process) sleeping on the word.
  void wake_all(uint32_t offset);
  /// Waits until the word at `seq` differs from `seen`: spins for up to `spin` first, then
  /// sleeps on its futex (counting itself in the word at `waiters` meanwhile, so that the
  /// writer knows to wake it) until a wake or `timeout`. Returns the word's value at the end,
  /// which may still be `seen` (a timeout, a wake without a change): callers loop.
  /// `bitset`: this sleeper is woken only by wakes whose bitset shares a bit with it
  /// (FUTEX_WAIT_BITSET; notify() wakes every bitset).
  uint32_t wait_change(uint32_t seq, uint32_t waiters, uint32_t seen,
                       std::chrono::microseconds spin, std::chrono::microseconds timeout,
                       uint32_t bitset = kAllSleepers);
  /// After changing the word at `seq` (an increment): wakes its sleepers when `waiters` says
  /// there are any (no system call otherwise); only those whose bitset meets `bitset`.
  void notify(uint32_t seq, uint32_t waiters, uint32_t bitset = kAllSleepers);
  static constexpr uint32_t kAllSleepers = ~0u;

  /// wait_change() on the word at `seq` and, at the same time, on a word of this process
  /// (`own`, woken by its bump_and_wake()): returns when either differs from its `seen`
  /// value, on a wake, or at `deadline` (CLOCK_MONOTONIC, the steady clock). One sleep on two
  /// futexes (futex_waitv, Linux 5.16), so the thread needs no helper to watch the other.
  void wait_either(uint32_t seq, uint32_t waiters, uint32_t seen, const LocalWakeWord& own,
                   uint32_t own_seen, std::chrono::microseconds spin,
                   std::chrono::steady_clock::time_point deadline);
  /// Whether this kernel has futex_waitv (wait_either needs it).
  static bool can_wait_either();

  /// The address of the word at `offset` (for a hot loop that only compares it; null beyond
  /// the size).
  const uint32_t* address(uint32_t offset) const;

 private:
  uint32_t* word(uint32_t offset) const;
  uint8_t* base_;
  uint32_t size_;
};

}  // namespace rproctee
