// `rproctee ctl`'s way into a running `rproctee up`: the sysfs table over a Unix socket, for
// machines without /dev/fuse and for scripts. Requests (one SOCK_SEQPACKET message each):
//   "read PATH" | "list PATH" | "write PATH\nVALUE" | "shutdown"
// Replies: "ERRNO\n" then the data (0 = success, else a positive errno).
// Only the user that runs `up` (or root) may connect (SO_PEERCRED), and `ctl` only talks to a
// server run by itself or root. Clients are served concurrently, each request with a deadline,
// so a client that connects and sends nothing holds up no one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "remoteproc/sysfs.hpp"

namespace rproctee::remoteproc {

/// The default control socket, the same for `up` and `ctl`: $XDG_RUNTIME_DIR/rproctee-ctl.sock,
/// or /tmp/rproctee-UID/ctl.sock when XDG_RUNTIME_DIR is unset (the directory is created 0700;
/// one owned by another user, or that others can write to, is refused).
Result<std::string> default_control_socket();

/// Limits of the control server (README: "Control socket").
inline constexpr size_t kMaxControlClients = 16;
inline constexpr std::chrono::milliseconds kControlRequestTimeout{5000};

class ControlServer {
 public:
  /// Listens on `path` (mode 0600, in a directory only this user can change). `on_shutdown`
  /// runs when a client asks for it.
  static Result<std::unique_ptr<ControlServer>> listen(SysfsTree& tree, const std::string& path,
                                                       std::function<void()> on_shutdown);
  ~ControlServer();

 private:
  ControlServer() = default;
  void accept_loop();
  void serve(int client);

  SysfsTree* tree_ = nullptr;
  std::function<void()> on_shutdown_;
  std::string path_;
  int fd_ = -1;
  int wake_ = -1;
  int spare_ = -1;  // a descriptor given up to refuse a connection when none is left
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;  // guards clients_ and finished_
  std::condition_variable drained_;
  std::vector<int> clients_;  // sockets of the clients being served
  size_t running_ = 0;        // client threads not yet returned
};

/// The reply to one request (the protocol above), as the server sends it.
std::string handle_control_request(SysfsTree& tree, std::string_view request,
                                   const std::function<void()>& on_shutdown);

/// One request to a control server; the reply's errno (0 ok) and data.
Result<std::pair<int, std::string>> control_request(const std::string& socket_path,
                                                    const std::string& request);

}  // namespace rproctee::remoteproc
