#include "remoteproc/firmware_loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/scope_guard.hpp"

namespace rproctee::remoteproc {

int FirmwareLoader::request(const std::string& name, Firmware& out, uint64_t max_size,
                            std::string* why) const {
  const std::filesystem::path p(name);
  if (name.empty() || p.is_absolute()) return -EINVAL;
  for (const auto& part : p)
    if (part == "..") return -EINVAL;
  // As the kernel, a folder whose file cannot be used is passed over for the next one; unlike
  // it, the first such reason is what the caller gets when no folder has a usable file.
  int first_error = -ENOENT;
  const auto pass_over = [&](int err, std::string reason) {
    if (first_error == -ENOENT) {
      first_error = err;
      if (why) *why = std::move(reason);
    }
  };
  for (const std::string& dir : path_) {
    const auto file = (std::filesystem::path(dir) / p).string();
    // As the kernel's kernel_read_file: stat first, regular files only, a size limit, and
    // exactly the announced size read (a FIFO must not block the boot: O_NONBLOCK).
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) continue;
    ScopeGuard close_fd([fd] { ::close(fd); });
    struct stat st {};
    if (::fstat(fd, &st) != 0) continue;
    if (!S_ISREG(st.st_mode)) {
      pass_over(-EINVAL, fmt::format("firmware {} in {} is not a regular file", name, dir));
      continue;
    }
    if (static_cast<uint64_t>(st.st_size) > max_size) {
      pass_over(-EFBIG, fmt::format("firmware {} in {} is {} bytes, over the {}-byte limit", name,
                                    dir, st.st_size, max_size));
      continue;
    }
    out.name = name;
    out.data.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out.data.size()) {
      const ssize_t n =
          ::pread(fd, out.data.data() + done, out.data.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (done == out.data.size()) {
      if (why) why->clear();
      return 0;
    }
    out.data.clear();
    pass_over(-EIO, fmt::format("firmware {} in {} could not be read whole", name, dir));
  }
  return first_error;
}

}  // namespace rproctee::remoteproc
