#include "cli/file_io.hpp"

#include "common/file_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

namespace rproctee::cli {

namespace {

Error io_error(std::string_view what, const std::string& path) {
  return make_error(TeeCode::kGeneric, "cannot {} {}: {}", what, path, std::strerror(errno));
}

Status write_all(int fd, std::span<const uint8_t> data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("write", path);
    data = data.subspan(static_cast<size_t>(n));
  }
  return {};
}

/// Writes every part with as few system calls as the kernel allows: one writev of header,
/// TLVs, signature and the mapped images (the kernel copies each byte once, from the page
/// cache of the input to that of the output), repeated only after a short write.
Status write_all(int fd, std::span<const std::span<const uint8_t>> parts, const std::string& path) {
  std::vector<iovec> iov;
  iov.reserve(parts.size());
  for (auto part : parts)
    if (!part.empty()) iov.push_back({const_cast<uint8_t*>(part.data()), part.size()});
  size_t next = 0;
  while (next < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - next, IOV_MAX));
    const ssize_t n = ::writev(fd, iov.data() + next, count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("write", path);
    for (auto left = static_cast<size_t>(n); left > 0;) {
      const size_t step = std::min(left, iov[next].iov_len);
      iov[next].iov_base = static_cast<uint8_t*>(iov[next].iov_base) + step;
      iov[next].iov_len -= step;
      left -= step;
      if (iov[next].iov_len == 0) ++next;
    }
  }
  return {};
}

}  // namespace

Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_size) {
  return read_regular_file(path, max_size);
}

Status write_file_atomic(const std::string& path, std::span<const std::span<const uint8_t>> parts,
                         mode_t mode) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string tmp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return io_error("create a temporary file next to", path);
  Status status = write_all(fd, parts, path);
  if (status && ::fchmod(fd, mode) != 0) status = io_error("set permissions of", path);
  if (::close(fd) != 0 && status) status = io_error("close", path);
  if (status && ::rename(tmp.c_str(), path.c_str()) != 0) status = io_error("rename onto", path);
  if (!status) ::unlink(tmp.c_str());
  return status;
}

Status write_file_atomic(const std::string& path, std::span<const uint8_t> data, mode_t mode) {
  const std::span<const uint8_t> parts[] = {data};
  return write_file_atomic(path, parts, mode);
}

Status write_stdout(std::span<const uint8_t> data) {
  return write_all(STDOUT_FILENO, data, "standard output");
}

}  // namespace rproctee::cli
