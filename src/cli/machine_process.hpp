// `rproctee machine` as a child process of a command that runs the normal world (`up`, `run`):
// started on a socket in a private run directory, stopped (SIGTERM, then waited for) and the
// directory removed when the handle goes away.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "cli/machine_options.hpp"
#include "cli/temp_directory.hpp"
#include "common/result.hpp"

namespace rproctee::cli {

/// MachineArgs::console for a machine whose console comes back through a pipe (console_fd()).
inline constexpr std::string_view kConsolePipe = "pipe";

class MachineProcess {
 public:
  /// Starts the machine and waits (up to 6 s) for its socket. `unblock` are signals the child
  /// must take although the parent blocks them.
  static Result<MachineProcess> start(const MachineArgs& args, const sigset_t& unblock);
  MachineProcess(MachineProcess&& other) noexcept;
  MachineProcess& operator=(MachineProcess&&) = delete;
  ~MachineProcess();

  /// "unix:PATH": how the normal world reaches it.
  std::string address() const { return "unix:" + socket_; }
  pid_t pid() const { return pid_; }
  /// The machine's exit status (128 + signal when killed) once it has ended, else nullopt.
  /// Reaps it: call from one thread only.
  std::optional<int> poll_exit();
  /// With console "pipe": the read end of the board's console ("m33 UART4: text" lines), owned
  /// here; -1 otherwise.
  int console_fd() const { return console_; }

 private:
  MachineProcess(std::unique_ptr<TempDirectory> run_dir, pid_t pid)
      : run_dir_(std::move(run_dir)), socket_(run_dir_->path() + "/machine.sock"), pid_(pid) {}
  std::unique_ptr<TempDirectory> run_dir_;  // removed after the machine stopped
  std::string socket_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  int console_ = -1;
};

}  // namespace rproctee::cli
