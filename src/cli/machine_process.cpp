#include "cli/machine_process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <thread>
#include <vector>

namespace rproctee::cli {

namespace {

constexpr int kConsoleChildFd = 3;  // where the machine writes its console lines

std::vector<std::string> machine_argv(const MachineArgs& a, const std::string& socket) {
  std::vector<std::string> args = {"/proc/self/exe", "machine", "--socket", socket};
  if (a.dtb) {
    args.insert(args.end(), {"--dtb", *a.dtb});
  } else {
    args.insert(args.end(), {"--platform", a.platform});
  }
  for (const auto& t : a.trust) args.insert(args.end(), {"--trust", t});
  if (a.enc_key) args.insert(args.end(), {"--enc-key", *a.enc_key});
  if (a.production) args.emplace_back("--production");
  if (!a.state_dir.empty()) args.insert(args.end(), {"--state-dir", a.state_dir});
  args.insert(args.end(), {"--core", a.core, "--unmodelled", a.unmodelled});
  args.insert(
      args.end(),
      {"--console", a.console == kConsolePipe ? fmt::format("fd:{}", kConsoleChildFd) : a.console});
  if (a.client_limits) args.insert(args.end(), {"--client-limits", *a.client_limits});
  if (a.debug) args.emplace_back("--debug");
  if (a.gdb_port) args.insert(args.end(), {"--gdb", std::to_string(*a.gdb_port)});
  if (a.gdb_wait) args.emplace_back("--gdb-wait");
  return args;
}

}  // namespace

Result<MachineProcess> MachineProcess::start(const MachineArgs& a, const sigset_t& unblock) {
  RPROCTEE_ASSIGN(auto run_dir, TempDirectory::create("rproctee-machine"));
  std::vector<std::string> args = machine_argv(a, run_dir->path() + "/machine.sock");
  int console[2] = {-1, -1};
  if (a.console == kConsolePipe && ::pipe2(console, O_CLOEXEC) != 0)
    return make_error(TeeCode::kGeneric, "cannot make the console pipe: {}", std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return make_error(TeeCode::kGeneric, "fork failed");
  if (pid == 0) {
    // The machine ends with its parent, even one killed with SIGKILL: no orphaned secure world.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
    ::sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
    if (console[1] >= 0) {
      if (console[1] == kConsoleChildFd ? ::fcntl(kConsoleChildFd, F_SETFD, 0) != 0
                                        : ::dup2(console[1], kConsoleChildFd) < 0)
        ::_exit(1);
    }
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  MachineProcess child(std::move(run_dir), pid);
  if (console[1] >= 0) ::close(console[1]);
  child.console_ = console[0];
  for (int i = 0; i < 300; ++i) {
    struct stat st {};
    if (::stat(child.socket_.c_str(), &st) == 0) return child;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      child.pid_ = -1;
      return make_error(TeeCode::kGeneric, "the machine exited before listening (status {})",
                        status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  return make_error(TeeCode::kGeneric, "the machine did not listen on {} within 6 s",
                    child.socket_);
}

MachineProcess::MachineProcess(MachineProcess&& other) noexcept
    : run_dir_(std::move(other.run_dir_)),
      socket_(std::move(other.socket_)),
      pid_(other.pid_),
      exit_status_(other.exit_status_),
      console_(other.console_) {
  other.pid_ = -1;
  other.console_ = -1;
}

std::optional<int> MachineProcess::poll_exit() {
  if (pid_ <= 0) return exit_status_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  pid_ = -1;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_status_;
}

MachineProcess::~MachineProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  if (console_ >= 0) ::close(console_);
}

}  // namespace rproctee::cli
