#include "cli/console_follower.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace rproctee::cli {

ConsoleFollower::ConsoleFollower(int fd, std::ostream& out) : fd_(fd), out_(out) {}

void ConsoleFollower::start() {
  if (fd_ < 0 || thread_.joinable() || ::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) return;
  thread_ = std::thread([this] { follow(); });
}

void ConsoleFollower::stop() {
  if (thread_.joinable()) {
    const char byte = 0;
    (void)!::write(wake_[1], &byte, 1);
    thread_.join();
  }
  for (int& fd : wake_)
    if (fd >= 0) ::close(fd), fd = -1;
}

std::vector<ConsoleFollower::Line> ConsoleFollower::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

void ConsoleFollower::follow() {
  char buffer[4096];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    // Drain what the machine wrote before stopping, so that no line is lost.
    if (fds[0].revents & POLLIN) {
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n > 0) {
        take(std::string_view(buffer, static_cast<size_t>(n)));
        continue;
      }
    }
    if (fds[1].revents || (fds[0].revents & (POLLHUP | POLLERR))) return;
  }
}

void ConsoleFollower::take(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  for (char c : bytes) {
    if (c != '\n') {
      partial_ += c;
      continue;
    }
    out_ << partial_ << "\n";
    if (lines_.size() < kMaxKeptLines)
      lines_.push_back(Line{partial_, std::chrono::steady_clock::now()});
    partial_.clear();
  }
  out_.flush();
}

}  // namespace rproctee::cli
