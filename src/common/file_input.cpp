#include "common/file_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/scope_guard.hpp"

namespace rproctee {

namespace {

std::string_view kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

}  // namespace

Result<std::vector<uint8_t>> read_regular_file(const std::string& path, uint64_t max_size,
                                               std::string_view what) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return make_error(TeeCode::kItemNotFound, "cannot open {} {}: {}", what, path,
                      std::strerror(errno));
  ScopeGuard close_fd([fd] { ::close(fd); });
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error(TeeCode::kGeneric, "cannot stat {} {}: {}", what, path, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return make_error(TeeCode::kBadParameters, "{} {} is not a regular file ({})", what, path,
                      kind_of(st.st_mode));
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_size)
    return make_error(TeeCode::kBadParameters, "{} {} is {} bytes, over the {}-byte limit", what,
                      path, size, max_size);
  std::vector<uint8_t> data(static_cast<size_t>(size));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return make_error(TeeCode::kGeneric, "cannot read {} {}: {}", what, path,
                        std::strerror(errno));
    if (n == 0)
      return make_error(TeeCode::kGeneric, "{} {} shrank while being read ({} of {} bytes)", what,
                        path, done, data.size());
    done += static_cast<size_t>(n);
  }
  return data;
}

}  // namespace rproctee
