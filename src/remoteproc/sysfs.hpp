// The sysfs / debugfs attributes of the remote processors, as paths relative to the mount
// point, with the kernel's exact strings and errnos. The FUSE tree and `rproctee ctl` are two
// front ends of this one table; every attribute is a small function that parses, calls the core
// and returns an errno (as remoteproc_sysfs.c does).
//
//   sys/class/remoteproc/remoteprocN/{name,state,firmware,recovery,coredump}
//   sys/kernel/debug/remoteproc/remoteprocN/{name,recovery,crash,resource_table,
//                                            carveout_memories,coredump,traceK}
//   sys/class/devcoredump/devcdN/data
//   dmesg
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "remoteproc/devcoredump.hpp"
#include "remoteproc/kernel_log.hpp"
#include "remoteproc/rproc.hpp"

namespace rproctee::remoteproc {

/// The most a sysfs attribute takes in one write (PAGE_SIZE): more is E2BIG.
inline constexpr size_t kSysfsWriteMax = 4096;

struct SysfsEntry {
  bool directory = false;
  bool readable = false;
  bool writable = false;
};

class SysfsTree {
 public:
  SysfsTree(std::vector<Rproc*> rprocs, DevcoredumpStore& dumps, KernelLog& log)
      : rprocs_(std::move(rprocs)), dumps_(dumps), log_(log) {}

  /// 0, or -ENOENT.
  int lookup(std::string_view path, SysfsEntry& entry) const;
  /// Names in a directory; 0, -ENOENT or -ENOTDIR.
  int list(std::string_view path, std::vector<std::string>& names) const;
  /// An attribute's content; 0 or -errno (-EISDIR, -ENOENT, -EACCES for write-only files).
  int read(std::string_view path, std::string& out) const;
  /// A store to an attribute (one trailing newline accepted); 0 or -errno.
  int write(std::string_view path, std::string_view value);

 private:
  struct Parsed;
  Parsed parse(std::string_view path) const;
  DevcoredumpStore& dumps() const { return dumps_; }

  std::vector<Rproc*> rprocs_;
  DevcoredumpStore& dumps_;
  KernelLog& log_;
};

/// sysfs_streq: equal, ignoring one trailing newline on either side.
bool sysfs_streq(std::string_view a, std::string_view b);

}  // namespace rproctee::remoteproc
