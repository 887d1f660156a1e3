#include "remoteproc/kernel_log.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/printable.hpp"

namespace rproctee::remoteproc {

KernelLog::KernelLog(bool echo, size_t capacity)
    : start_(std::chrono::steady_clock::now()),
      echo_(echo),
      capacity_(std::max<size_t>(capacity, 1)) {}

void KernelLog::write(std::string_view device, std::string_view message) {
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // One line, whatever the message echoes (a firmware name may hold escape sequences).
  const std::string line =
      fmt::format("[{:12.6f}] {}: {}\n", t, device, escape_nonprintable(message));
  std::lock_guard lock(mutex_);
  if (echo_) std::fputs(line.c_str(), stderr);
  if (ring_.empty()) ring_.resize(capacity_);
  const std::string_view kept = std::string_view(line).substr(
      line.size() > capacity_ ? line.size() - capacity_
                              : 0);  // (a line longer than the whole ring)
  while (used_ + kept.size() > capacity_) drop_oldest_line();
  const size_t tail = (head_ + used_) % capacity_;
  const size_t first = std::min(kept.size(), capacity_ - tail);
  std::memcpy(ring_.data() + tail, kept.data(), first);
  std::memcpy(ring_.data(), kept.data() + first, kept.size() - first);
  used_ += kept.size();
}

void KernelLog::drop_oldest_line() {
  // The oldest line ends at the first newline from head_ (the ring may wrap inside it).
  const size_t first = std::min(used_, capacity_ - head_);
  size_t length = used_;
  if (const void* nl = std::memchr(ring_.data() + head_, '\n', first)) {
    length = static_cast<size_t>(static_cast<const char*>(nl) - (ring_.data() + head_)) + 1;
  } else if (const void* wrapped = std::memchr(ring_.data(), '\n', used_ - first)) {
    length = first + static_cast<size_t>(static_cast<const char*>(wrapped) - ring_.data()) + 1;
  }
  head_ = (head_ + length) % capacity_;
  used_ -= length;
}

std::string KernelLog::contents() const {
  std::lock_guard lock(mutex_);
  const size_t first = std::min(used_, capacity_ - head_);
  std::string all(ring_.data() + head_, first);
  all.append(ring_.data(), used_ - first);
  return all;
}

}  // namespace rproctee::remoteproc
