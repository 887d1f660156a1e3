// The sysfs table mounted as a real FUSE filesystem, so that shells and scripts drive the
// processors as on a board: `echo start > DIR/sys/class/remoteproc/remoteproc0/state`. Reads
// give the attribute's text at open time; each write is one store, whose errno the shell sees
// ("write error: Device or resource busy").
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "remoteproc/sysfs.hpp"

namespace rproctee::remoteproc {

class FuseTree {
 public:
  /// Mounts `tree` at `mountpoint` (which must exist). NOT_SUPPORTED without /dev/fuse.
  /// With `dev_dir`, the mount also has a `dev/` directory showing the symbolic links of that
  /// real directory (the tty bridge's ttyRPMSGn -> /dev/pts/M).
  static Result<std::unique_ptr<FuseTree>> mount(SysfsTree& tree, DevcoredumpStore& dumps,
                                                 const std::string& mountpoint,
                                                 std::string dev_dir = {});
  ~FuseTree();  // unmounts

  /// Serves requests until unmounted (`rproctee down`, umount) or exit() / SIGINT / SIGTERM.
  void run();
  void exit();
  const std::string& mountpoint() const { return mountpoint_; }

 private:
  FuseTree() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string mountpoint_;
};

}  // namespace rproctee::remoteproc
