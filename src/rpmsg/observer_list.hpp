// Observers told about events from any thread (RpmsgDevice's channel observers, the Bus's
// observers). Notifications run one at a time behind a CallbackGate; an observer may subscribe
// or unsubscribe observers, itself included, while it runs.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "rpmsg/callback_gate.hpp"

namespace rproctee::rpmsg {

template <typename Observer>
class ObserverList {
 public:
  uint64_t add(Observer observer) {
    std::lock_guard lock(mutex_);
    observers_.emplace(next_id_, std::move(observer));
    return next_id_++;
  }
  /// Once this returns, the observer is not running (unless this is called from inside it) and
  /// will not run again.
  void remove(uint64_t id) {
    gate_.change([&] {
      std::lock_guard lock(mutex_);
      observers_.erase(id);
    });
  }
  /// Calls `notify(observer)` for each observer subscribed when this starts and still there.
  template <typename F>
  void each(F&& notify) {
    gate_.run([&] {
      const uint64_t last = last_id();
      for (uint64_t id = 0;;) {
        std::optional<Observer> observer = next_after(id, last);
        if (!observer) return;
        notify(*observer);
      }
    });
  }

 private:
  uint64_t last_id() {
    std::lock_guard lock(mutex_);
    return next_id_ - 1;
  }
  /// A copy of the first observer after `id` (up to `last`), moving `id` to it. The list lock
  /// is not held while the observer runs: it may change the list.
  std::optional<Observer> next_after(uint64_t& id, uint64_t last) {
    std::lock_guard lock(mutex_);
    const auto it = observers_.upper_bound(id);
    if (it == observers_.end() || it->first > last) return std::nullopt;
    id = it->first;
    return it->second;
  }

  CallbackGate gate_;  // lock order: gate_ before mutex_
  std::mutex mutex_;   // guards observers_ and next_id_; never held while an observer runs
  std::map<uint64_t, Observer> observers_;
  uint64_t next_id_ = 1;
};

}  // namespace rproctee::rpmsg
