#include "rpmsg/tty_port.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "rpmsg/wire.hpp"

namespace rproctee::rpmsg {

namespace {
/// The failure of the system call `what`, with its errno.
SysError os_error(std::string_view what) {
  const int err = errno;
  return sys_error(err, "rpmsg tty: {}: {}", what, std::strerror(err));
}
}  // namespace

SysResult<std::unique_ptr<TtyPort>> TtyPort::open(std::shared_ptr<Channel> channel, unsigned index,
                                                  std::filesystem::path link) {
  std::unique_ptr<TtyPort> port(new TtyPort(std::move(channel), index, std::move(link)));
  port->master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (port->master_ < 0) return os_error("posix_openpt");
  char name[128];
  if (grantpt(port->master_) != 0 || unlockpt(port->master_) != 0 ||
      ptsname_r(port->master_, name, sizeof name) != 0)
    return os_error("grantpt/unlockpt/ptsname");
  port->pty_ = name;
  // Raw: what the user writes reaches the firmware byte for byte, and what the firmware
  // sends is never echoed back to it.
  termios tio{};
  if (tcgetattr(port->master_, &tio) != 0) return os_error("tcgetattr");
  cfmakeraw(&tio);
  if (tcsetattr(port->master_, TCSANOW, &tio) != 0) return os_error("tcsetattr");
  // Holding the slave open keeps the master from seeing a hang-up between readers.
  port->slave_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (port->slave_ < 0) return os_error(port->pty_);
  const int flags = fcntl(port->master_, F_GETFL);
  if (flags < 0 || fcntl(port->master_, F_SETFL, flags | O_NONBLOCK) != 0)
    return os_error("fcntl O_NONBLOCK");
  if (pipe2(port->wake_, O_CLOEXEC | O_NONBLOCK) != 0) return os_error("pipe2");
  std::error_code ec;
  std::filesystem::remove(port->link_, ec);  // a stale link of an earlier run
  std::filesystem::create_symlink(port->pty_, port->link_, ec);
  if (ec)
    return sys_error(ec.value(), "rpmsg tty: cannot link {} to {}: {}", port->link_.string(),
                     port->pty_, ec.message());
  TtyPort* self = port.get();
  port->channel_->set_receiver([self](std::span<const uint8_t> data) { self->write_to_tty(data); });
  port->thread_ = std::thread([self] { self->forward_to_remote(); });
  return port;
}

TtyPort::~TtyPort() {
  if (channel_) channel_->set_receiver(nullptr);  // no delivery runs after this
  if (thread_.joinable()) {
    const char byte = 0;
    (void)!write(wake_[1], &byte, 1);
    thread_.join();
  }
  if (!pty_.empty()) {
    std::error_code ec;
    if (std::filesystem::read_symlink(link_, ec) == pty_) std::filesystem::remove(link_, ec);
  }
  for (int fd : {master_, slave_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
}

void TtyPort::write_to_tty(std::span<const uint8_t> data) {
  from_remote_ += data.size();
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(master_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the tty is full (nobody reads): drop the rest, as rpmsg_tty does
    done += static_cast<size_t>(n);
  }
  dropped_ += data.size() - done;
}

void TtyPort::forward_to_remote() {
  using namespace std::chrono_literals;
  uint8_t buffer[kMaxPayload];
  for (;;) {
    pollfd fds[2] = {{master_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) {
      // Hang-up or error without data: wait for the destructor rather than spin.
      pollfd wake = {wake_[0], POLLIN, 0};
      (void)poll(&wake, 1, 100);
      if (wake.revents) return;
      continue;
    }
    const ssize_t n = ::read(master_, buffer, sizeof buffer);
    if (n <= 0) continue;  // EAGAIN / EINTR / EIO: poll again
    const std::span<const uint8_t> chunk(buffer, static_cast<size_t>(n));
    // Short waits so that a destructor never waits a whole TX timeout.
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    SysStatus sent = channel_->send(chunk, 100ms);
    while (!sent && !channel_->closed() && std::chrono::steady_clock::now() < deadline) {
      pollfd wake = {wake_[0], POLLIN, 0};
      if (poll(&wake, 1, 0) > 0) return;
      sent = channel_->send(chunk, 100ms);
    }
    if (sent)
      to_remote_ += chunk.size();
    else
      dropped_ += chunk.size();
  }
}

}  // namespace rproctee::rpmsg
