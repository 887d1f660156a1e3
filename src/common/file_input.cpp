#include "common/file_input.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/mapped_file.hpp"
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

/// An open regular file of at most `max_size` bytes, and its size.
struct CheckedFile {
  int fd = -1;
  size_t size = 0;
};

Result<CheckedFile> open_regular_file(const std::string& path, uint64_t max_size,
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
  close_fd.dismiss();
  return CheckedFile{fd, static_cast<size_t>(size)};
}

/// A mapped input truncated by someone else faults on access: end with a message, not a crash.
void on_sigbus(int) {
  static constexpr char kMessage[] = "rproctee: error: an input file shrank while being read\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  ::_exit(1);
}

void catch_sigbus_once() {
  static const bool installed = [] {
    struct sigaction old {};
    if (::sigaction(SIGBUS, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) return false;
    struct sigaction sa {};
    sa.sa_handler = on_sigbus;
    ::sigemptyset(&sa.sa_mask);
    return ::sigaction(SIGBUS, &sa, nullptr) == 0;
  }();
  (void)installed;
}

}  // namespace

Result<std::vector<uint8_t>> read_regular_file(const std::string& path, uint64_t max_size,
                                               std::string_view what) {
  RPROCTEE_ASSIGN(const CheckedFile file, open_regular_file(path, max_size, what));
  ScopeGuard close_fd([fd = file.fd] { ::close(fd); });
  std::vector<uint8_t> data(file.size);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pread(file.fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
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

Result<MappedFile> map_regular_file(const std::string& path, uint64_t max_size,
                                    std::string_view what) {
  RPROCTEE_ASSIGN(const CheckedFile file, open_regular_file(path, max_size, what));
  ScopeGuard close_fd([fd = file.fd] { ::close(fd); });
  if (file.size == 0) return MappedFile{};
  catch_sigbus_once();
  // MAP_POPULATE: one pass through the page cache now instead of a fault per few pages later.
  void* p = ::mmap(nullptr, file.size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, file.fd, 0);
  if (p == MAP_FAILED)
    return make_error(TeeCode::kGeneric, "cannot map {} {}: {}", what, path, std::strerror(errno));
  return MappedFile(static_cast<const uint8_t*>(p), file.size);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace rproctee
