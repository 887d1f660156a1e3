#include "common/pty.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rproctee {

namespace {
Error sys_error(std::string_view what) {
  return make_error(TeeCode::kGeneric, "pty: {}: {}", what, std::strerror(errno));
}
}  // namespace

Result<std::unique_ptr<Pty>> Pty::open(std::filesystem::path link) {
  std::unique_ptr<Pty> pty(new Pty(std::move(link)));
  pty->master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty->master_ < 0) return sys_error("posix_openpt");
  char name[128];
  if (grantpt(pty->master_) != 0 || unlockpt(pty->master_) != 0 ||
      ptsname_r(pty->master_, name, sizeof name) != 0)
    return sys_error("grantpt/unlockpt/ptsname");
  pty->slave_path_ = name;
  termios tio{};
  if (tcgetattr(pty->master_, &tio) != 0) return sys_error("tcgetattr");
  cfmakeraw(&tio);
  if (tcsetattr(pty->master_, TCSANOW, &tio) != 0) return sys_error("tcsetattr");
  pty->slave_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty->slave_ < 0) return sys_error(pty->slave_path_);
  const int flags = fcntl(pty->master_, F_GETFL);
  if (flags < 0 || fcntl(pty->master_, F_SETFL, flags | O_NONBLOCK) != 0)
    return sys_error("fcntl O_NONBLOCK");
  std::error_code ec;
  std::filesystem::remove(pty->link_, ec);  // a stale link of an earlier run
  std::filesystem::create_symlink(pty->slave_path_, pty->link_, ec);
  if (ec) {
    pty->slave_path_.clear();  // nothing of ours to remove
    return make_error(TeeCode::kGeneric, "pty: cannot link {} to {}: {}", pty->link_.string(), name,
                      ec.message());
  }
  return pty;
}

Pty::~Pty() {
  if (!slave_path_.empty()) {
    std::error_code ec;
    if (std::filesystem::read_symlink(link_, ec) == slave_path_) std::filesystem::remove(link_, ec);
  }
  for (int fd : {master_, slave_})
    if (fd >= 0) ::close(fd);
}

size_t Pty::write(const uint8_t* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(master_, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the terminal is full
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace rproctee
