// Runs a cleanup when a scope is left, unless dismissed: one unwind path for a sequence of
// steps that each need undoing on failure (the remoteproc boot, as Linux's goto ladder).
#pragma once

#include <utility>

namespace rproctee {

template <typename F>
class [[nodiscard]] ScopeGuard {
 public:
  explicit ScopeGuard(F cleanup) : cleanup_(std::move(cleanup)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ~ScopeGuard() {
    if (armed_) cleanup_();
  }
  /// The steps succeeded: nothing to undo.
  void dismiss() { armed_ = false; }

 private:
  F cleanup_;
  bool armed_ = true;
};

}  // namespace rproctee
