// `rproctee up`: the whole board. Starts the machine (secure world + simulated hardware) as a
// child process, runs the normal world (remoteproc core, TEE and ELF backends) in this process,
// and serves the sysfs-like tree: mounted with FUSE at --mount, and through `rproctee ctl` on
// --socket. SIGINT / SIGTERM, `rproctee down` or `rproctee ctl shutdown` stop the processors and
// unmount.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include "cli/command.hpp"
#include "cli/machine_options.hpp"
#include "cli/machine_process.hpp"
#include "cli/sys_error_print.hpp"
#include "cli/temp_directory.hpp"
#include "common/fault_injection.hpp"
#include "common/private_directory.hpp"
#include "remoteproc/control_server.hpp"
#include "remoteproc/fuse_tree.hpp"
#include "remoteproc/platform_driver.hpp"
#include "rpmsg/bus.hpp"
#include "rpmsg/tty_bridge.hpp"

extern char** environ;

namespace rproctee::cli {

namespace {

/// Runs `fusermount3 -u [-z] PATH`, its errors discarded; true when it exits 0. No shell: the
/// path is one argument whatever characters it holds.
bool fusermount_unmount(const std::string& path, bool lazy) {
  std::vector<char*> argv{const_cast<char*>("fusermount3"), const_cast<char*>("-u")};
  if (lazy) argv.push_back(const_cast<char*>("-z"));
  argv.push_back(const_cast<char*>(path.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int err = ::posix_spawnp(&pid, "fusermount3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  return err == 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

std::atomic<bool> g_stop{false};

/// A mount point left by an `up` that was killed: the kernel still has the FUSE mount, but
/// nobody serves it, so every access fails with ENOTCONN.
bool is_stale_fuse_mount(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) != 0 && errno == ENOTCONN;
}

/// --mount's check: an existing directory, or a stale mount of ours (cleaned before mounting).
std::string mount_point_problem(const std::string& path) {
  if (is_stale_fuse_mount(path)) return "";
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return "Directory does not exist: " + path;
  return "";
}

/// Unmounts a stale mount (lazily: nothing can be using a dead mount's files).
Status clean_stale_mount(const std::string& path, std::string_view prog) {
  std::cerr << fmt::format(
      "{}: {} is a stale FUSE mount (its rproctee up was killed): unmounting it\n", prog, path);
  if (::umount2(path.c_str(), MNT_DETACH) == 0) return {};
  if (fusermount_unmount(path, true) && !is_stale_fuse_mount(path)) return {};
  return make_error(TeeCode::kGeneric,
                    "{} is a stale FUSE mount that cannot be unmounted: run `rproctee down "
                    "--mount {}` or `fusermount3 -u -z {}`",
                    path, path, path);
}
extern "C" void on_stop_signal(int) {
  g_stop = true;
}

/// What stops `up`: SIGINT, SIGTERM, SIGHUP.
sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&s, sig);
  return s;
}

struct UpArgs {
  MachineArgs machine;
  std::optional<std::string> mount, socket, tty_dir;
  std::vector<std::string> firmware_path;
  unsigned shutdown_ms = 500;
};

void add_up_options(CLI::App& app, UpArgs& a) {
  add_machine_options(app, a.machine);
  app.add_option("--mount", a.mount,
                 "Mount the tree here (DIR/sys/class/remoteproc/..., DIR/dmesg)")
      ->check(CLI::Validator(mount_point_problem, "DIR"))
      ->type_name("DIR");
  app.add_option("--firmware-path", a.firmware_path,
                 "Where firmware names are looked up (default: the current directory)")
      ->check(CLI::ExistingDirectory)
      ->type_name("DIR");
  app.add_option("--socket", a.socket,
                 "Control socket for `rproctee ctl` (default: $XDG_RUNTIME_DIR/rproctee-ctl.sock, "
                 "or /tmp/rproctee-UID/ctl.sock)")
      ->type_name("PATH");
  app.add_option("--tty-dir", a.tty_dir,
                 "Where the ttyRPMSGn links of the rpmsg-tty channels go (default: DIR/dev of "
                 "--mount, else a private directory named in the log)")
      ->check(CLI::ExistingDirectory)
      ->type_name("DIR");
  app.add_option("--shutdown-timeout", a.shutdown_ms,
                 "How long a stop waits for the firmware to acknowledge the shutdown request "
                 "(milliseconds; ST's driver waits 500)")
      ->capture_default_str()
      ->type_name("MS");
}

/// Serves the normal world until a stop: the control socket, the FUSE tree when mounted (its
/// loop takes the stop signals), else a wait for them. The exit code.
int serve_board(const UpArgs& a, remoteproc::NormalWorld& world, const std::string& links_dir,
                const sigset_t& stops, const std::string& prog) {
  auto control = remoteproc::ControlServer::listen(world.sysfs(), *a.socket, [] {
    g_stop = true;
    ::kill(::getpid(), SIGTERM);  // taken by the main thread, as from `kill`
  });
  if (!control) return print_error(prog, control.error()), kExitFailure;
  std::unique_ptr<remoteproc::FuseTree> tree;
  if (a.mount) {
    auto mounted =
        remoteproc::FuseTree::mount(world.sysfs(), world.dumps(), *a.mount, links_dir + "/dev");
    if (!mounted) return print_error(prog, mounted.error()), kExitFailure;
    tree = std::move(*mounted);
  }
  std::cerr << fmt::format(
      "{}: {} processor(s) up; {}control socket {}; rpmsg ttys and the serial console "
      "(ttySTM0) in {}/dev\n",
      prog, world.rprocs().size(), a.mount ? fmt::format("tree mounted at {}; ", *a.mount) : "",
      *a.socket, a.mount ? *a.mount : links_dir);
  if (tree) {
    tree->run();  // until unmounted or a signal
  } else {
    ::pthread_sigmask(SIG_UNBLOCK, &stops, nullptr);
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  }
  return kExitOk;
}

/// Watches the machine process: one that dies (killed, out of memory) leaves nothing to serve,
/// so it says so and stops `up` as a signal would.
class MachineWatcher {
 public:
  MachineWatcher(MachineProcess& child, std::string prog)
      : thread_([this, &child, prog = std::move(prog)](std::stop_token stop) {
          while (!stop.stop_requested()) {
            if (auto status = child.poll_exit()) {
              std::cerr << fmt::format("{}: the machine exited unexpectedly ({}); stopping\n", prog,
                                       *status > 128
                                           ? fmt::format("killed by signal {}", *status - 128)
                                           : fmt::format("status {}", *status));
              died_ = true;
              g_stop = true;
              ::kill(::getpid(), SIGTERM);  // taken by the main thread, as from `kill`
              return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
        }) {}
  bool died() const { return died_; }

 private:
  std::atomic<bool> died_{false};
  std::jthread thread_;  // last: joined before died_ goes
};

}  // namespace

int up_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Run the whole board: the machine (secure world + simulated SoC) as a child process, "
      "the normal world's remoteproc in this one, and the sysfs-like tree (FUSE at --mount, "
      "and `rproctee ctl` on --socket).",
      prog);
  UpArgs a;
  add_up_options(app, a);
  if (auto code = parse_args(app, std::move(argv))) return *code;
  if (a.firmware_path.empty()) a.firmware_path = {"."};
  if (a.mount && is_stale_fuse_mount(*a.mount)) {
    if (auto cleaned = clean_stale_mount(*a.mount, prog); !cleaned)
      return print_error(prog, cleaned.error()), kExitFailure;
  }
  if (!a.socket) {
    auto fallback = remoteproc::default_control_socket();
    if (!fallback) return print_error(prog, fallback.error()), kExitFailure;
    a.socket = *fallback;
  }
  // Process-fault tests kill the normal world at an exact TEE message (RPROCTEE_FAULT is the
  // machine's, passed on to it).
  if (!arm_fault_from_environment("RPROCTEE_UP_FAULT"))
    return usage_error(prog, "RPROCTEE_UP_FAULT must be KIND:INDEX or KIND:INDEX:kill");

  ::signal(SIGPIPE, SIG_IGN);
  // A stop signal must reach the thread that waits: only the main thread takes them (every
  // thread started from here on inherits the blocked mask), and only while it waits. With a
  // mount, FuseTree::run installs libfuse's handlers (which end fuse_loop_mt; libfuse installs
  // them only over SIG_DFL); without one, on_stop_signal ends the wait in serve_board.
  if (!a.mount)
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, on_stop_signal);
  const sigset_t stops = stop_signals();
  ::pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  // rpmsg_tty: each "rpmsg-tty" channel becomes a pty, linked as ttyRPMSGn in LINKS/dev, which
  // the mount shows as DIR/dev; the board's serial console is LINKS/dev/ttySTM0 beside them.
  std::string links_dir = a.tty_dir.value_or("");
  std::unique_ptr<TempDirectory> private_links;
  if (links_dir.empty()) {
    auto made = TempDirectory::create("rproctee-tty");
    if (!made) return print_error(prog, made.error()), kExitFailure;
    private_links = std::move(*made);
    links_dir = private_links->path();
  }
  std::error_code dev_error;
  std::filesystem::create_directories(links_dir + "/dev", dev_error);
  // The terminals of the firmware's channels: another user must not plant or replace them.
  if (auto s = check_private_directory(links_dir + "/dev"); !s)
    return print_error(prog, s.error()), kExitFailure;
  a.machine.console = "pty:" + links_dir + "/dev/ttySTM0";
  auto child = MachineProcess::start(a.machine, stops);
  if (!child) return print_error(prog, child.error()), kExitFailure;
  auto ttys = rpmsg::TtyBridge::on_bus(rpmsg::install(), links_dir);
  MachineWatcher watcher(*child, prog);
  int exit_code = kExitOk;
  {
    remoteproc::NormalWorldOptions options;
    options.firmware_path = a.firmware_path;
    options.shutdown_timeout = std::chrono::milliseconds(a.shutdown_ms);
    // The platform comes from the machine's normal-world device tree: this process never reads
    // the secure configuration (keys, firewall) nor the files of --trust and --enc-key.
    auto world = remoteproc::NormalWorld::create(child->address(), options);
    if (!world) return print_error(prog, world.error()), kExitFailure;
    exit_code = serve_board(a, **world, links_dir, stops, prog);
    std::cerr << fmt::format("{}: stopping\n", prog);
  }  // the normal world stops every processor here, then the machine stops
  return watcher.died() ? kExitFailure : exit_code;
}

int down_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Stop a running `rproctee up`: unmount its tree (it then stops its processors and "
      "exits), or ask it through its control socket.",
      prog);
  std::optional<std::string> mount, socket;
  app.add_option("--mount", mount, "The tree's mount point")->type_name("DIR");
  app.add_option("--socket", socket, "The control socket")->type_name("PATH");
  if (auto code = parse_args(app, std::move(argv))) return *code;
  if (!mount && !socket) return usage_error(prog, "give --mount DIR or --socket PATH");
  if (socket) {
    auto r = remoteproc::control_request(*socket, "shutdown");
    if (!r) return print_error(prog, r.error()), kExitFailure;
    return kExitOk;
  }
  // A stale mount (its up was killed) is cleaned the same way.
  if (::umount2(mount->c_str(), MNT_DETACH) != 0) {
    const int e = errno;
    if (!fusermount_unmount(*mount, false))
      return print_error(prog, make_error(TeeCode::kGeneric, "cannot unmount {}: {}", *mount,
                                          std::strerror(e))),
             kExitFailure;
  }
  return kExitOk;
}

}  // namespace rproctee::cli
