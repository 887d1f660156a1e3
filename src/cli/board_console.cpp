#include "cli/board_console.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "common/printable.hpp"

namespace rproctee::cli {

namespace {

constexpr auto kPinLogInterval = std::chrono::seconds(1);

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the reader went away: the board goes on
    done += static_cast<size_t>(n);
  }
}

}  // namespace

Result<std::unique_ptr<BoardConsole>> BoardConsole::open(const std::string& mode,
                                                         std::string prog) {
  std::unique_ptr<BoardConsole> c(new BoardConsole(std::move(prog)));
  if (mode == "log") return c;
  if (mode.starts_with("fd:")) {
    char* end = nullptr;
    const long fd = std::strtol(mode.c_str() + 3, &end, 10);
    if (*end || fd < 0 || fd > 1024 || ::fcntl(static_cast<int>(fd), F_GETFD) < 0)
      return make_error(TeeCode::kBadParameters, "--console {}: not an open descriptor", mode);
    c->fd_ = static_cast<int>(fd);
    c->prefixed_ = false;
    return c;
  }
  if (mode.starts_with("pty:") && mode.size() > 4) {
    RPROCTEE_ASSIGN(c->pty_, Pty::open(mode.substr(4)));
    if (::pipe2(c->wake_, O_CLOEXEC | O_NONBLOCK) != 0)
      return make_error(TeeCode::kGeneric, "console: pipe2: {}", std::strerror(errno));
    return c;
  }
  return make_error(TeeCode::kBadParameters, "--console {}: expected log, fd:N or pty:PATH", mode);
}

BoardConsole::~BoardConsole() {
  stop_input();
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

soc::BoardOutputs BoardConsole::outputs() {
  soc::BoardOutputs o;
  o.serial = [this](const std::string& source, std::span<const uint8_t> bytes) {
    serial(source, bytes);
  };
  o.pin = [this](const std::string& source, uint32_t n, bool level) { pin(source, n, level); };
  o.warning = [this](const std::string& processor, const std::string& text) {
    write_all(2, fmt::format("{}: {}: warning: {}\n", prog_, processor, text));
  };
  return o;
}

void BoardConsole::serial(const std::string& source, std::span<const uint8_t> bytes) {
  if (pty_) {
    pty_->write(bytes.data(), bytes.size());  // dropped when nobody reads, as on a wire
    return;
  }
  std::lock_guard lock(mutex_);
  std::string& line = partial_[source];
  for (uint8_t b : bytes) {
    if (b == '\r') continue;
    if (b != '\n') line += static_cast<char>(b);
    // A line ends at a newline or at kMaxConsoleLine bytes (the rest continues on the next):
    // a firmware that never sends one costs no memory. Its bytes never act on the terminal.
    if (b != '\n' && line.size() < kMaxConsoleLine) continue;
    const std::string shown = escape_nonprintable(line);
    write_all(fd_, prefixed_ ? fmt::format("{}: {}: {}\n", prog_, source, shown)
                             : fmt::format("{}: {}\n", source, shown));
    line.clear();
  }
}

void BoardConsole::pin(const std::string& source, uint32_t n, bool level) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  PinLog& log = pins_[fmt::format("{} pin {}", source, n)];
  if (log.last.time_since_epoch().count() != 0 && now - log.last < kPinLogInterval) {
    ++log.unreported;
    return;
  }
  write_all(
      2, fmt::format(
             "{}: {} pin {}: {}{}\n", prog_, source, n, level ? "high" : "low",
             log.unreported ? fmt::format(" ({} more changes in between)", log.unreported) : ""));
  log.last = now;
  log.unreported = 0;
}

void BoardConsole::start_input(std::function<void(std::span<const uint8_t>)> input) {
  if (!pty_ || reader_.joinable()) return;
  input_ = std::move(input);
  reader_ = std::thread([this] { read_input(); });
}

void BoardConsole::stop_input() {
  if (!reader_.joinable()) return;
  const char byte = 0;
  (void)!::write(wake_[1], &byte, 1);
  reader_.join();
}

void BoardConsole::read_input() {
  uint8_t buffer[256];
  for (;;) {
    pollfd fds[2] = {{pty_->master(), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) {
      pollfd wake = {wake_[0], POLLIN, 0};
      if (::poll(&wake, 1, 100) > 0) return;  // hang-up without data: wait, do not spin
      continue;
    }
    const ssize_t n = ::read(pty_->master(), buffer, sizeof buffer);
    if (n > 0) input_(std::span<const uint8_t>(buffer, static_cast<size_t>(n)));
  }
}

}  // namespace rproctee::cli
