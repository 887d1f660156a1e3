// `rproctee machine` as a child process of a test, its stderr in a file: listening on a socket
// of its own (--socket), or on one handed over as systemd does (socket activation: descriptor 3,
// LISTEN_PID, LISTEN_FDS). Header-only (inline).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/test_data.hpp"

namespace rproctee::test {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class MachineChild {
 public:
  using Clock = std::chrono::steady_clock;

  /// `rproctee machine OPTIONS... --socket DIR/machine.sock`.
  explicit MachineChild(std::vector<std::string> options) : MachineChild(std::move(options), -1) {}

  /// With `listener` >= 0: that listening socket becomes the child's descriptor 3, announced
  /// with LISTEN_PID/LISTEN_FDS, and no --socket is given. `program` replaces rproctee.
  MachineChild(std::vector<std::string> options, int listener,
               const std::string& program = rproctee_binary()) {
    socket_ = dir_ / "machine.sock";
    stderr_ = dir_ / "machine.err";
    std::vector<std::string> argv = {program, "machine"};
    argv.insert(argv.end(), options.begin(), options.end());
    if (listener < 0) {
      argv.push_back("--socket");
      argv.push_back(socket_);
    }
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int err = ::open(stderr_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int null = ::open("/dev/null", O_RDWR);
      if (err < 0 || null < 0) ::_exit(126);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(err, 2);
      if (listener >= 0) {
        // dup2 onto itself keeps close-on-exec: clear it as systemd does.
        if (::dup2(listener, 3) != 3 || ::fcntl(3, F_SETFD, 0) != 0) ::_exit(125);
        ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
        ::setenv("LISTEN_FDS", "1", 1);
      }
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }

  ~MachineChild() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  MachineChild(const MachineChild&) = delete;
  MachineChild& operator=(const MachineChild&) = delete;

  /// Waits until the machine listens (it said so, and its own socket exists).
  bool wait_until_listening(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (!alive()) return false;
      if (stderr_text().find("listening on") != std::string::npos &&
          (std::filesystem::exists(socket_) ||
           stderr_text().find("passed by the service manager") != std::string::npos))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  bool alive() {
    if (exited_) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    exited_ = true;
    status_ = status;
    return false;
  }

  /// Sends `sig` and waits (up to `timeout`) for the exit; the wait status, or -1 on timeout.
  int signal_and_wait(int sig, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    if (alive()) ::kill(pid_, sig);
    const auto deadline = Clock::now() + timeout;
    while (alive()) {
      if (Clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
  }

  /// Virtual memory size of the machine process in KiB (/proc/PID/status VmSize).
  uint64_t vm_size_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7));
    return 0;
  }

  std::string stderr_text() const { return read_text(stderr_); }
  const std::string& socket() const { return socket_; }
  std::string tee_name() const { return "unix:" + socket_; }
  pid_t pid() const { return pid_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::string socket_, stderr_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
};

}  // namespace rproctee::test
