#define FUSE_USE_VERSION 31
#include "remoteproc/fuse_tree.hpp"

#include <fuse.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace rproctee::remoteproc {

namespace {

struct Context {
  SysfsTree* tree;
  DevcoredumpStore* dumps;
  std::string dev_dir;  // empty: no dev/ directory
};

Context& ctx() {
  return *static_cast<Context*>(fuse_get_context()->private_data);
}

constexpr std::string_view kDev = "dev";

/// For "dev" and "dev/NAME" when the mount has a dev/ directory: "" or "NAME".
std::optional<std::string_view> dev_entry(std::string_view p) {
  if (ctx().dev_dir.empty()) return std::nullopt;
  if (p == kDev) return std::string_view();
  if (p.starts_with("dev/") && p.find('/', 4) == std::string_view::npos) return p.substr(4);
  return std::nullopt;
}

std::string_view rel(const char* path) {
  std::string_view p(path);
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  return p;
}

/// The devcdN of a ".../devcoredump/devcdN/data" path, or 0.
int devcd_of(std::string_view p) {
  const size_t at = p.find("devcoredump/devcd");
  if (at == std::string_view::npos || !p.ends_with("/data")) return 0;
  int n = 0;
  const char* b = p.data() + at + 17;
  std::from_chars(b, p.data() + p.size(), n);
  return n;
}

int op_getattr(const char* path, struct stat* st, fuse_file_info*) {
  std::memset(st, 0, sizeof *st);
  if (auto dev = dev_entry(rel(path))) {
    if (dev->empty()) {
      st->st_mode = S_IFDIR | 0755;
      st->st_nlink = 2;
      return 0;
    }
    return ::lstat((ctx().dev_dir + "/" + std::string(*dev)).c_str(), st) == 0 ? 0 : -errno;
  }
  SysfsEntry e;
  if (const int err = ctx().tree->lookup(rel(path), e); err) return err;
  st->st_uid = ::getuid();
  st->st_gid = ::getgid();
  if (e.directory) {
    st->st_mode = S_IFDIR | e.mode;
    st->st_nlink = 2;
  } else if (!e.link.empty()) {
    st->st_mode = S_IFLNK | 0777;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(e.link.size());
  } else {
    st->st_mode = S_IFREG | e.mode;
    st->st_nlink = 1;
    // sysfs: a page (the real length is known only when read); debugfs: 0.
    st->st_size = e.kernfs ? 4096 : 0;
  }
  return 0;
}

int op_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*,
               fuse_readdir_flags) {
  std::vector<std::string> names;
  if (auto dev = dev_entry(rel(path)); dev && dev->empty()) {
    std::error_code ec;
    for (const auto& link : std::filesystem::directory_iterator(ctx().dev_dir, ec))
      names.push_back(link.path().filename().string());
  } else if (const int err = ctx().tree->list(rel(path), names); err) {
    return err;
  }
  if (rel(path).empty() && !ctx().dev_dir.empty()) names.emplace_back(kDev);
  fill(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  fill(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  for (const auto& n : names) fill(buf, n.c_str(), nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  return 0;
}

int op_readlink(const char* path, char* buf, size_t size) {
  if (size == 0) return -EINVAL;
  auto dev = dev_entry(rel(path));
  if (!dev) {
    std::string target;
    if (const int err = ctx().tree->readlink(rel(path), target)) return err;
    const size_t n = std::min(target.size(), size - 1);
    std::memcpy(buf, target.data(), n);
    buf[n] = '\0';
    return 0;
  }
  if (dev->empty()) return -EINVAL;
  const ssize_t n = ::readlink((ctx().dev_dir + "/" + std::string(*dev)).c_str(), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

/// An open file: the text read at open time; whether read(2)/write(2) reach an operation.
struct OpenFile {
  std::string text;
  bool can_read = false, can_write = false;
};

int op_open(const char* path, fuse_file_info* fi) {
  SysfsEntry e;
  if (const int err = ctx().tree->lookup(rel(path), e); err) return err;
  if (e.directory) return -EISDIR;
  const int mode = fi->flags & O_ACCMODE;
  const bool wants_write = mode != O_RDONLY, wants_read = mode != O_WRONLY;
  // The mode decides: always on sysfs (kernfs's extra open check, root included); on debugfs
  // only for others than root, whose open succeeds and whose read(2)/write(2) then fail with
  // EINVAL when the file has no such operation (vfs_read/vfs_write: no FMODE_CAN_*).
  const bool by_mode = e.kernfs || fuse_get_context()->uid != 0;
  if (by_mode && ((wants_write && !e.writable) || (wants_read && !e.readable))) return -EACCES;
  fi->direct_io = 1;  // no page cache: every read and write reaches the attribute
  fi->nonseekable = 0;
  auto file = std::make_unique<OpenFile>();
  file->can_read = e.readable;
  file->can_write = e.writable;
  if (wants_read && e.readable) {
    if (const int err = ctx().tree->read(rel(path), file->text); err) return err;
  }
  fi->fh = reinterpret_cast<uint64_t>(file.release());
  return 0;
}

int op_read(const char* path, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  const auto* file = reinterpret_cast<const OpenFile*>(fi->fh);
  if (!file) return -EBADF;
  if (!file->can_read) return -EINVAL;
  const std::string& text = file->text;
  if (static_cast<size_t>(offset) >= text.size()) {
    if (const int n = devcd_of(rel(path))) ctx().dumps->consumed(n);
    return 0;
  }
  const size_t n = std::min(size, text.size() - static_cast<size_t>(offset));
  std::memcpy(buf, text.data() + offset, n);
  return static_cast<int>(n);
}

int op_write(const char* path, const char* buf, size_t size, off_t, fuse_file_info* fi) {
  const auto* file = reinterpret_cast<const OpenFile*>(fi->fh);
  if (file && !file->can_write) return -EINVAL;
  const int err = ctx().tree->write(rel(path), std::string_view(buf, size));
  return err ? err : static_cast<int>(size);
}

int op_truncate(const char*, off_t, fuse_file_info*) {
  return 0;
}  // `echo x > attr` truncates first

// `echo x > DIR/missing` creates nothing: sysfs and debugfs directories have no ->create, so
// the shell sees EACCES (without this op, FUSE would answer ENOSYS).
int op_create(const char*, mode_t, fuse_file_info*) {
  return -EACCES;
}

// sysfs and debugfs directories have no mkdir/rmdir/unlink/rename/symlink/link: kernfs and the
// VFS answer EPERM (without these ops, FUSE would answer ENOSYS).
int op_mkdir(const char*, mode_t) {
  return -EPERM;
}
int op_unlink(const char*) {
  return -EPERM;
}
int op_rmdir(const char*) {
  return -EPERM;
}
int op_symlink(const char*, const char*) {
  return -EPERM;
}
int op_rename(const char*, const char*, unsigned int) {
  return -EPERM;
}
int op_link(const char*, const char*) {
  return -EPERM;
}

int op_release(const char*, fuse_file_info* fi) {
  delete reinterpret_cast<OpenFile*>(fi->fh);
  fi->fh = 0;
  return 0;
}

const fuse_operations kOps = [] {
  fuse_operations o{};
  o.getattr = op_getattr;
  o.readdir = op_readdir;
  o.readlink = op_readlink;
  o.open = op_open;
  o.read = op_read;
  o.write = op_write;
  o.truncate = op_truncate;
  o.create = op_create;
  o.mkdir = op_mkdir;
  o.unlink = op_unlink;
  o.rmdir = op_rmdir;
  o.symlink = op_symlink;
  o.rename = op_rename;
  o.link = op_link;
  o.release = op_release;
  return o;
}();

}  // namespace

struct FuseTree::Impl {
  Context context;
  fuse* f = nullptr;
  bool mounted = false;
};

Result<std::unique_ptr<FuseTree>> FuseTree::mount(SysfsTree& tree, DevcoredumpStore& dumps,
                                                  const std::string& mountpoint,
                                                  std::string dev_dir) {
  if (::access("/dev/fuse", R_OK | W_OK) != 0)
    return make_error(TeeCode::kNotSupported,
                      "/dev/fuse is not available: use `rproctee ctl` instead of "
                      "a mount");
  std::unique_ptr<FuseTree> t(new FuseTree());
  t->impl_ = std::make_unique<Impl>();
  t->impl_->context = Context{&tree, &dumps, std::move(dev_dir)};
  t->mountpoint_ = mountpoint;
  // No entry or attribute cache (kernfs revalidates every lookup): trace0 and devcdN come and
  // go, and `echo x > trace0` just after a stop must fail as on sysfs (EACCES), not with the
  // ENOENT of a cached entry.
  static constexpr const char* kOptions =
      "fsname=rproctee,subtype=rproctee,entry_timeout=0,attr_timeout=0,negative_timeout=0";
  const char* argv[] = {"rproctee", "-o", kOptions};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  t->impl_->f = fuse_new(&args, &kOps, sizeof kOps, &t->impl_->context);
  fuse_opt_free_args(&args);
  if (!t->impl_->f) return make_error(TeeCode::kGeneric, "fuse_new failed");
  if (fuse_mount(t->impl_->f, mountpoint.c_str()) != 0)
    return make_error(TeeCode::kGeneric, "cannot mount the tree at {}", mountpoint);
  t->impl_->mounted = true;
  return t;
}

FuseTree::~FuseTree() {
  if (!impl_ || !impl_->f) return;
  if (impl_->mounted) fuse_unmount(impl_->f);
  fuse_destroy(impl_->f);
}

void FuseTree::run() {
  fuse_session* se = fuse_get_session(impl_->f);
  fuse_set_signal_handlers(se);
  // libfuse's handlers end fuse_loop_mt only when the signal interrupts this thread's wait: the
  // caller keeps SIGINT/SIGTERM/SIGHUP blocked in its other threads (libfuse blocks them in its
  // workers), and this thread takes them while it serves; one that came earlier is delivered
  // now and ends the loop at once.
  sigset_t stops, old;
  sigemptyset(&stops);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stops, sig);
  ::pthread_sigmask(SIG_UNBLOCK, &stops, &old);
  fuse_loop_mt(impl_->f, 0);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  fuse_remove_signal_handlers(se);
}

void FuseTree::exit() {
  fuse_exit(impl_->f);
}

}  // namespace rproctee::remoteproc
