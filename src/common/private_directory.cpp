#include "common/private_directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace rproctee {

namespace {

Error refused(const std::string& path, const struct stat& st, std::string_view why) {
  return make_error(TeeCode::kAccessDenied,
                    "{} (owner uid {}, mode {:04o}) {}: refusing it (another local user could "
                    "plant or replace what is kept there)",
                    path, st.st_uid, st.st_mode & 07777, why);
}

/// The directory `path` names, with no symbolic link left in it, once every part of it passed
/// the checks (see check_private_directory). The parents are checked as they really are: a
/// symlink among them (another user's, in /tmp) could point elsewhere by the time the
/// directory is opened, so it is opened by this path.
Result<std::filesystem::path> checked_real_path(const std::string& path) {
  namespace fs = std::filesystem;
  const uid_t me = ::geteuid();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return make_error(TeeCode::kItemNotFound, "{}: {}", path, std::strerror(errno));
  if (S_ISLNK(st.st_mode)) return refused(path, st, "is a symbolic link");
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (ec) return make_error(TeeCode::kItemNotFound, "{}: {}", path, ec.message());
  if (::lstat(real.c_str(), &st) != 0)
    return make_error(TeeCode::kItemNotFound, "{}: {}", path, std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return refused(path, st, "is not a directory");
  if (st.st_uid != me) return refused(path, st, fmt::format("is not owned by uid {}", me));
  if (st.st_mode & 022) return refused(path, st, "is writable by group or others");
  for (fs::path parent = real.parent_path();; parent = parent.parent_path()) {
    struct stat p {};
    if (::lstat(parent.c_str(), &p) != 0)
      return make_error(TeeCode::kItemNotFound, "{}: {}", parent.string(), std::strerror(errno));
    const bool sticky_root = p.st_uid == 0 && (p.st_mode & S_ISVTX);
    if (p.st_uid != 0 && p.st_uid != me)
      return refused(parent.string(), p,
                     fmt::format("(a parent of {}) is owned by another user", path));
    if ((p.st_mode & 022) && !sticky_root)
      return refused(parent.string(), p,
                     fmt::format("(a parent of {}) is writable by group or others", path));
    if (parent == parent.root_path()) break;
  }
  return real;
}

}  // namespace

Status check_private_directory(const std::string& path) {
  RPROCTEE_CHECK(checked_real_path(path));
  return {};
}

Result<int> open_private_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(TeeCode::kGeneric, "cannot create {}: {}", path, std::strerror(errno));
  RPROCTEE_ASSIGN(const std::filesystem::path real, checked_real_path(path));
  const int fd = ::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return make_error(TeeCode::kGeneric, "cannot open {}: {}", path, std::strerror(errno));
  // The directory checked is the one opened (not swapped between the two), and still ours.
  struct stat by_path {
  }, by_fd{};
  if (::lstat(real.c_str(), &by_path) != 0 || ::fstat(fd, &by_fd) != 0 ||
      by_path.st_ino != by_fd.st_ino || by_path.st_dev != by_fd.st_dev ||
      by_fd.st_uid != ::geteuid() || (by_fd.st_mode & 022) != 0) {
    ::close(fd);
    return make_error(TeeCode::kAccessDenied, "{} changed while it was being opened", path);
  }
  return fd;
}

}  // namespace rproctee
