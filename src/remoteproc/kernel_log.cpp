#include "remoteproc/kernel_log.hpp"

#include <cstdio>

#include "common/printable.hpp"

namespace rproctee::remoteproc {

namespace {
constexpr size_t kMaxLog = 1 << 20;
}

KernelLog::KernelLog(bool echo) : start_(std::chrono::steady_clock::now()), echo_(echo) {}

void KernelLog::write(std::string_view device, std::string_view message) {
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // One line, whatever the message echoes (a firmware name may hold escape sequences).
  const std::string line =
      fmt::format("[{:12.6f}] {}: {}\n", t, device, escape_nonprintable(message));
  std::lock_guard lock(mutex_);
  buffer_ += line;
  if (buffer_.size() > kMaxLog) buffer_.erase(0, buffer_.find('\n', buffer_.size() - kMaxLog) + 1);
  if (echo_) std::fputs(line.c_str(), stderr);
}

std::string KernelLog::contents() const {
  std::lock_guard lock(mutex_);
  return buffer_;
}

}  // namespace rproctee::remoteproc
