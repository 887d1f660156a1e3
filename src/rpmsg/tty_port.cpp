#include "rpmsg/tty_port.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
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
  // Raw: what the user writes reaches the firmware byte for byte, and what the firmware
  // sends is never echoed back to it.
  auto pty = Pty::open(port->link_);
  if (!pty) return sys_error(EIO, "rpmsg tty: {}", pty.error().message);
  port->pty_ = std::move(*pty);
  if (pipe2(port->wake_, O_CLOEXEC | O_NONBLOCK) != 0) return os_error("pipe2");
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
  pty_.reset();
  for (int fd : {wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
}

void TtyPort::write_to_tty(std::span<const uint8_t> data) {
  from_remote_ += data.size();
  // The tty full (nobody reads): the rest is dropped, as rpmsg_tty does.
  dropped_ += data.size() - pty_->write(data.data(), data.size());
}

void TtyPort::forward_to_remote() {
  using namespace std::chrono_literals;
  uint8_t buffer[kMaxPayload];
  for (;;) {
    pollfd fds[2] = {{pty_->master(), POLLIN, 0}, {wake_[0], POLLIN, 0}};
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
    const ssize_t n = ::read(pty_->master(), buffer, sizeof buffer);
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
