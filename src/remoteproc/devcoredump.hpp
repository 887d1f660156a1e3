// Core dumps published as files, like Linux devcoredump (/sys/class/devcoredump/devcdN/data):
// reading the whole file consumes it, writing to it dismisses it. The last 8 are kept.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rproctee::remoteproc {

class DevcoredumpStore {
 public:
  /// Publishes a dump of `device`; returns its number N (devcdN).
  int publish(const std::string& device, std::vector<uint8_t> data);
  /// The dump bytes (shared, immutable), or nullptr.
  std::shared_ptr<const std::vector<uint8_t>> get(int n) const;
  std::string device(int n) const;
  /// Marks dump N read to its end (an inline dump may now be released).
  void consumed(int n);
  /// Removes dump N (a write to its data file). False when there is none.
  bool dismiss(int n);
  std::vector<int> list() const;
  /// Waits until the newest dump of `device` is consumed or dismissed, at most `timeout`.
  bool wait_consumed(const std::string& device, std::chrono::milliseconds timeout);

 private:
  struct Entry {
    std::string device;
    std::shared_ptr<const std::vector<uint8_t>> data;
    bool consumed = false;
  };
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<int, Entry> dumps_;
  int next_ = 1;
};

}  // namespace rproctee::remoteproc
