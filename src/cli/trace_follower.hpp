// Follows a processor's first trace buffer (debugfs trace0) as the firmware writes it: a
// thread polls it and prints each complete new line; a shorter text than before means the
// firmware started over (a recovery), and printing starts over with it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

#include "remoteproc/rproc.hpp"

namespace rproctee::cli {

class TraceFollower {
 public:
  TraceFollower(remoteproc::Rproc& rproc, std::ostream& out) : rproc_(rproc), out_(out) {}
  ~TraceFollower() { stop(); }
  TraceFollower(const TraceFollower&) = delete;
  TraceFollower& operator=(const TraceFollower&) = delete;

  void start();
  /// Prints what is new one last time and ends the thread.
  void stop();

  struct Line {
    std::string text;
    std::chrono::steady_clock::time_point at;  // when the follower first saw it
  };
  /// The first complete line, waiting up to `timeout`.
  std::optional<Line> wait_first_line(std::chrono::milliseconds timeout);

 private:
  void poll();
  remoteproc::Rproc& rproc_;
  std::ostream& out_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string seen_;  // the text printed so far (complete lines)
  std::optional<Line> first_;
};

}  // namespace rproctee::cli
