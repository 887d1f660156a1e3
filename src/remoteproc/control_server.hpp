// `rproctee ctl`'s way into a running `rproctee up`: the sysfs table over a Unix socket, for
// machines without /dev/fuse and for scripts. Requests (one SOCK_SEQPACKET message each):
//   "read PATH" | "list PATH" | "write PATH\nVALUE" | "shutdown"
// Replies: "ERRNO\n" then the data (0 = success, else a positive errno).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/result.hpp"
#include "remoteproc/sysfs.hpp"

namespace rproctee::remoteproc {

class ControlServer {
 public:
  /// Listens on `path` (mode 0600). `on_shutdown` runs when a client asks for it.
  static Result<std::unique_ptr<ControlServer>> listen(SysfsTree& tree, const std::string& path,
                                                       std::function<void()> on_shutdown);
  ~ControlServer();

 private:
  ControlServer() = default;
  void serve();
  std::string handle(const std::string& request);

  SysfsTree* tree_ = nullptr;
  std::function<void()> on_shutdown_;
  std::string path_;
  int fd_ = -1;
  int wake_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

/// One request to a control server; the reply's errno (0 ok) and data.
Result<std::pair<int, std::string>> control_request(const std::string& socket_path,
                                                    const std::string& request);

}  // namespace rproctee::remoteproc
