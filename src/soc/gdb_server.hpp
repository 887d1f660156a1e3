// A GDB remote-protocol server for one emulated core, as QEMU's -gdb tcp::PORT: a TCP
// listener (127.0.0.1 by default) that serves one debugger connection at a time on its own
// thread (soc/gdb_session.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/result.hpp"
#include "soc/debug_target.hpp"

namespace rproctee::soc {

class GdbServer {
 public:
  /// Listens on `host`:`port` (port 0: any free port) for `target`.
  static Result<std::unique_ptr<GdbServer>> start(DebugTarget& target, uint16_t port,
                                                  const std::string& host = "127.0.0.1");
  ~GdbServer();
  GdbServer(const GdbServer&) = delete;
  GdbServer& operator=(const GdbServer&) = delete;
  uint16_t port() const { return port_; }

 private:
  GdbServer(DebugTarget& target, int fd, uint16_t port) : target_(target), fd_(fd), port_(port) {}
  void serve();
  DebugTarget& target_;
  int fd_;
  uint16_t port_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace rproctee::soc
