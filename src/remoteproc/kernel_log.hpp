// A kernel-like log ("[   12.345678] remoteproc remoteproc0: powering up m33"): kept in memory
// for DIR/dmesg and echoed to stderr.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace rproctee::remoteproc {

class KernelLog {
 public:
  /// The default capacity: the last 1 MiB, as a kernel's log buffer (CONFIG_LOG_BUF_SHIFT=20).
  static constexpr size_t kDefaultCapacity = size_t{1} << 20;
  explicit KernelLog(bool echo = true, size_t capacity = kDefaultCapacity);
  /// Appends one line for `device` ("remoteproc remoteproc0").
  void write(std::string_view device, std::string_view message);
  template <typename... Args>
  void log(std::string_view device, fmt::format_string<Args...> format, Args&&... args) {
    write(device, fmt::format(format, std::forward<Args>(args)...));
  }
  /// Everything logged so far (the newest whole lines that fit in the capacity).
  std::string contents() const;

 private:
  const std::chrono::steady_clock::time_point start_;
  const bool echo_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  // A ring of whole lines, as the kernel's log buffer: allocated once, so a long-running
  // process logs without allocating (and without moving what it keeps).
  void drop_oldest_line();
  std::string ring_;
  size_t head_ = 0;  // offset of the oldest byte
  size_t used_ = 0;  // bytes held
};

}  // namespace rproctee::remoteproc
