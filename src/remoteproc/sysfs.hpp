// The sysfs / debugfs attributes of the remote processors, as paths relative to the mount
// point, with the kernel's exact strings and errnos. The FUSE tree and `rproctee ctl` are two
// front ends of this one table; every attribute is a small function that parses, calls the core
// and returns an errno (as remoteproc_sysfs.c does).
//
//   sys/class/remoteproc/remoteprocN -> ../../devices/DIR/remoteproc/remoteprocN
//   sys/devices/DIR/remoteproc/remoteprocN/{coredump,recovery,firmware,state,name,uevent,
//                                          device -> ../../../DEV, subsystem}
//   sys/kernel/debug/remoteproc/remoteprocN/{name,recovery,crash,resource_table,
//                                            carveout_memories,coredump,traceK}
//   sys/class/devcoredump/devcdN/data
//   dmesg
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
  uint32_t mode = 0;    // permission bits as the kernel creates the entry (0644, 0400, ...)
  bool kernfs = false;  // sysfs: open() is refused by mode even for root (EACCES)
  std::string link;     // a symbolic link's target ("" otherwise)
};

class SysfsTree {
 public:
  /// `device_dirs[i]`: processor i's platform device under sys/devices ("platform/m33",
  /// dt::platform_device_dir); "platform/NAME" when missing.
  SysfsTree(std::vector<Rproc*> rprocs, DevcoredumpStore& dumps, KernelLog& log,
            std::vector<std::string> device_dirs = {});

  /// What the path names, without following a final symbolic link (lstat); 0, or -ENOENT.
  int lookup(std::string_view path, SysfsEntry& entry) const;
  /// A symbolic link's target; 0, -ENOENT or -EINVAL (not a link).
  int readlink(std::string_view path, std::string& target) const;
  /// Names in a directory; 0, -ENOENT or -ENOTDIR.
  int list(std::string_view path, std::vector<std::string>& names) const;
  /// An attribute's content; 0 or -errno (-EISDIR, -ENOENT, -EACCES for write-only files).
  int read(std::string_view path, std::string& out) const;
  /// A store to an attribute (one trailing newline accepted); 0 or -errno.
  int write(std::string_view path, std::string_view value);

 private:
  struct Parsed;
  /// The path with the tree's symbolic links resolved (the last one too when `follow_last`),
  /// or nullopt when it names nothing.
  std::optional<std::string> resolve(std::string_view path, bool follow_last) const;
  /// The target of the symbolic link at `path` (relative, as readlink gives it), if one is.
  std::optional<std::string> link_at(std::string_view path) const;
  Parsed parse(std::string_view path, bool follow_last = true) const;
  int write_uevent(Rproc& r, std::string_view value);
  size_t index_of(const Rproc& r) const;

  std::vector<Rproc*> rprocs_;
  std::vector<std::string> device_dirs_;  // "sys/devices/DIR/remoteproc/remoteprocN"
  // Made once (the devices never change): every link with its target, and the directories
  // above the per-device ones with their children.
  std::map<std::string, std::string, std::less<>> links_;
  std::vector<std::pair<std::string, std::vector<std::string>>> dirs_;
  std::vector<std::string> link_names_;  // the last names of every link (a quick "not a link")
  DevcoredumpStore& dumps_;
  KernelLog& log_;
};

/// A write to a device's `uevent`, as kobject_synth_uevent parses it: "ACTION [UUID
/// [KEY=VALUE ...]]".
struct SyntheticUevent {
  std::string action;                                     // add, remove, change, ...
  std::string uuid;                                       // empty: none given
  std::vector<std::pair<std::string, std::string>> args;  // SYNTH_ARG_KEY=VALUE
};
/// nullopt with the kernel's reason in `why` ("unknown uevent action string", "incorrect
/// uevent action arguments") when the kernel answers EINVAL.
std::optional<SyntheticUevent> parse_synthetic_uevent(std::string_view text, std::string& why);

/// sysfs_streq: equal, ignoring one trailing newline on either side.
bool sysfs_streq(std::string_view a, std::string_view b);

}  // namespace rproctee::remoteproc
