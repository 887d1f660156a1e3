// Callbacks that other threads may replace or drop while they run (rpmsg receivers, channel and
// bus observers). A plain mutex (the gate) is held while a callback runs, so calls never overlap
// and whoever changes the callbacks first waits for a running call to end: once the change
// returns, a callback it removed is not running and never runs again (Linux's ept->cb_lock).
// The one exception is a callback changing its own slot from inside its call (a receiver that
// closes its endpoint, an observer that unsubscribes): it cannot wait for itself, so the change
// happens at once — the gate knows which thread runs the call.
//
// A callback must not cause another call through its own gate on its thread (a receiver that
// synchronously receives again): rpmsg delivers from interrupts, which never nest.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "common/scope_guard.hpp"

namespace rproctee::rpmsg {

class CallbackGate {
 public:
  /// Runs `calls` (which calls callbacks) with the gate held.
  template <typename F>
  void run(F&& calls) {
    std::lock_guard lock(mutex_);
    runner_ = std::this_thread::get_id();
    ScopeGuard done([&] { runner_ = std::thread::id(); });
    calls();
  }
  /// Runs `change` (which replaces or removes callbacks) once no call is running; from inside a
  /// call on this thread, at once.
  template <typename F>
  void change(F&& change) {
    if (runner_.load() == std::this_thread::get_id()) return change();
    std::lock_guard lock(mutex_);
    change();
  }

 private:
  std::mutex mutex_;
  std::atomic<std::thread::id> runner_{};  // the thread inside run(), if any
};

/// One callback behind a gate (an endpoint's receiver, a channel's receiver).
template <typename Callback>
class CallbackSlot {
 public:
  explicit CallbackSlot(Callback callback = nullptr) { set(std::move(callback)); }

  /// Calls `use(callback)` under the gate when a callback is set; false when none is.
  template <typename F>
  bool visit(F&& use) {
    bool called = false;
    gate_.run([&] {
      // A copy of the pointer: the callback replacing itself does not destroy the running one.
      const std::shared_ptr<const Callback> running = callback_;
      if (!running) return;
      called = true;
      use(*running);
    });
    return called;
  }
  /// Replaces the callback (nullptr: none); once this returns the old one is not running (unless
  /// this is called from inside it) and will not run again.
  void set(Callback callback) {
    auto next = callback ? std::make_shared<const Callback>(std::move(callback)) : nullptr;
    gate_.change([&] { callback_ = std::move(next); });
  }

 private:
  CallbackGate gate_;
  std::shared_ptr<const Callback> callback_;  // guarded by gate_
};

}  // namespace rproctee::rpmsg
