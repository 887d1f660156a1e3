#include "cli/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
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

}  // namespace

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(TeeCode::kItemNotFound, "cannot open {}: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(TeeCode::kBadParameters, "{} is not a regular file", path);
  }
  std::vector<uint8_t> data(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto e = io_error("read", path);
      ::close(fd);
      return e;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return data;
}

Status write_file_atomic(const std::string& path, std::span<const std::span<const uint8_t>> parts,
                         mode_t mode) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string tmp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return io_error("create a temporary file next to", path);
  Status status;
  for (auto part : parts) {
    status = write_all(fd, part, path);
    if (!status) break;
  }
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
