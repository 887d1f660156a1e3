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

/// Writes every part at `offset` with as few system calls as the kernel allows: one pwritev of
/// header, TLVs, signature and the mapped images (the kernel copies each byte once, from the
/// page cache of the input to that of the output), repeated only after a short write.
Status write_all(int fd, uint64_t offset, std::span<const std::span<const uint8_t>> parts,
                 const std::string& path) {
  std::vector<iovec> iov;
  iov.reserve(parts.size());
  for (auto part : parts)
    if (!part.empty()) iov.push_back({const_cast<uint8_t*>(part.data()), part.size()});
  size_t next = 0;
  while (next < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - next, IOV_MAX));
    const ssize_t n = ::pwritev(fd, iov.data() + next, count, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    // The kernel copies from the mapped inputs: a page gone under it (a truncated input) is
    // EFAULT here where the hashing thread would have got SIGBUS.
    if (n < 0 && errno == EFAULT)
      return make_error(TeeCode::kGeneric, "cannot write {}: an input file shrank while being read",
                        path);
    if (n <= 0) return io_error("write", path);
    offset += static_cast<uint64_t>(n);
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

Result<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::create(const std::string& path,
                                                                   mode_t mode) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string temporary = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) return io_error("create a temporary file next to", path);
  // mkostemp makes the file 0600 whatever the umask; commit() gives it `mode` as open(2)
  // would, less the umask (read before any thread of this writer exists: umask is per process).
  const mode_t umask = ::umask(0);
  ::umask(umask);
  return std::unique_ptr<AtomicFileWriter>(
      new AtomicFileWriter(path, std::move(temporary), fd, mode & ~umask));
}

AtomicFileWriter::AtomicFileWriter(std::string path, std::string temporary, int fd, mode_t mode)
    : path_(std::move(path)), temporary_(std::move(temporary)), fd_(fd), mode_(mode) {}

AtomicFileWriter::~AtomicFileWriter() {
  (void)wait_for_background();
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
}

Status AtomicFileWriter::write(uint64_t offset, std::span<const std::span<const uint8_t>> parts) {
  return write_all(fd_, offset, parts, path_);
}

void AtomicFileWriter::write_in_background(uint64_t offset,
                                           std::vector<std::span<const uint8_t>> parts) {
  (void)wait_for_background();  // one at a time; an earlier error is kept
  background_ = std::thread([this, offset, parts = std::move(parts)] {
    Status written = write_all(fd_, offset, parts, path_);
    uint64_t length = 0;
    for (auto part : parts) length += part.size();
    // Only a hint: where the call is not supported (tmpfs, ...), nothing is lost.
    if (written)
      ::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
                        SYNC_FILE_RANGE_WRITE);
    background_status_ = std::move(written);
  });
}

Status AtomicFileWriter::wait_for_background() {
  if (background_.joinable()) background_.join();
  return background_status_;
}

Status AtomicFileWriter::commit() {
  Status status = wait_for_background();
  if (status && ::fchmod(fd_, mode_) != 0) status = io_error("set permissions of", path_);
  if (::close(fd_) != 0 && status) status = io_error("close", path_);
  fd_ = -1;
  if (status && ::rename(temporary_.c_str(), path_.c_str()) != 0)
    status = io_error("rename onto", path_);
  committed_ = static_cast<bool>(status);
  return status;
}

Status write_file_atomic(const std::string& path, std::span<const std::span<const uint8_t>> parts,
                         mode_t mode) {
  RPROCTEE_ASSIGN(auto file, AtomicFileWriter::create(path, mode));
  RPROCTEE_CHECK(file->write(0, parts));
  return file->commit();
}

Status write_file_atomic(const std::string& path, std::span<const uint8_t> data, mode_t mode) {
  const std::span<const uint8_t> parts[] = {data};
  return write_file_atomic(path, parts, mode);
}

Status write_stdout(std::span<const uint8_t> data) {
  return write_all(STDOUT_FILENO, data, "standard output");
}

}  // namespace rproctee::cli
