// Follows the board's serial console of a machine started by `run` (its console lines come
// through a pipe: "m33 UART4: Starting OpenAMP application"): a thread prints each line as it
// comes and keeps the first kMaxKeptLines for the summary (a long run prints on and on).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace rproctee::cli {

class ConsoleFollower {
 public:
  static constexpr size_t kMaxKeptLines = 1000;
  /// `fd`: the pipe's read end (not owned); -1: nothing to follow.
  ConsoleFollower(int fd, std::ostream& out);
  ~ConsoleFollower() { stop(); }
  ConsoleFollower(const ConsoleFollower&) = delete;
  ConsoleFollower& operator=(const ConsoleFollower&) = delete;

  void start();
  /// Prints what arrived so far and ends the thread.
  void stop();

  struct Line {
    std::string text;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<Line> lines() const;

 private:
  void follow();
  void take(std::string_view bytes);
  const int fd_;
  std::ostream& out_;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string partial_;
  std::vector<Line> lines_;
};

}  // namespace rproctee::cli
