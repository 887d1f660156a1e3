// The machine's listening socket: one thread per client connection. A client that crashes or
// disconnects mid-call loses its sessions and shared memory; the machine carries on. Only the
// machine's own user and root may connect (SO_PEERCRED); connections are bounded in total and
// per client process (ClientLimits), and running out of descriptors never makes it spin.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "machine/connection.hpp"
#include "machine/machine.hpp"

namespace rproctee::machine {

/// How long a connection over the limits waits for a slot before it is refused.
inline constexpr std::chrono::milliseconds kAdmissionWait{2000};

class SocketServer {
 public:
  /// Binds `path` (SOCK_SEQPACKET, mode 0600; a stale socket file is replaced).
  static Result<std::unique_ptr<SocketServer>> listen(Machine& machine, const std::string& path);
  /// Serves on a socket that already listens (systemd socket activation): it must be a
  /// listening SOCK_SEQPACKET socket; the server owns it from now on but never unlinks it.
  static Result<std::unique_ptr<SocketServer>> adopt(Machine& machine, int fd);
  ~SocketServer();

  /// Accepts clients until stop() (or a signal that interrupts accept and set stop).
  void run();
  /// Stops accepting, disconnects every client and joins their threads.
  void stop();
  /// Async-signal-safe: makes run() return.
  void request_stop();
  size_t clients() const;

 private:
  SocketServer(Machine& machine, int fd, int wake, std::string path)
      : machine_(machine), fd_(fd), wake_(wake), path_(std::move(path)) {}
  /// Bounds the connections by what the descriptor limit leaves (connection_cap_).
  void fit_to_descriptors();
  /// Whether a new client of process `pid` fits the limits (under mutex_).
  bool admit(pid_t pid) const;
  void serve(int client, ClientIdentity identity);
  /// Joins the threads of clients that went away (each keeps its stack until joined).
  void reap();

  Machine& machine_;
  int fd_;
  int wake_;                   // eventfd written by request_stop() to interrupt poll()
  int spare_ = -1;             // given up to refuse a connection when no descriptor is left
  size_t connection_cap_ = 0;  // ClientLimits::connections, or fewer if descriptors are short
  std::string path_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> finished_;  // threads_ whose serve() returned
  std::vector<int> client_fds_;
  std::vector<pid_t> client_pids_;  // beside client_fds_
  std::condition_variable left_;    // a client went away
};

}  // namespace rproctee::machine
