// `rproctee up`: the whole board. Starts the machine (secure world + simulated hardware) as a
// child process, runs the normal world (remoteproc core, TEE and ELF backends) in this process,
// and serves the sysfs-like tree: mounted with FUSE at --mount, and through `rproctee ctl` on
// --socket. SIGINT / SIGTERM, `rproctee down` or `rproctee ctl shutdown` stop the processors and
// unmount.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/command.hpp"
#include "cli/machine_options.hpp"
#include "cli/machine_process.hpp"
#include "cli/sys_error_print.hpp"
#include "cli/temp_directory.hpp"
#include "common/fault_injection.hpp"
#include "remoteproc/control_server.hpp"
#include "remoteproc/fuse_tree.hpp"
#include "remoteproc/platform_driver.hpp"
#include "rpmsg/bus.hpp"
#include "rpmsg/tty_bridge.hpp"

namespace rproctee::cli {

namespace {

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
  const auto r = std::system(fmt::format("fusermount3 -u -z '{}' 2>/dev/null", path).c_str());
  if (r == 0 && !is_stale_fuse_mount(path)) return {};
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

}  // namespace

int up_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Run the whole board: the machine (secure world + simulated SoC) as a child process, "
      "the normal world's remoteproc in this one, and the sysfs-like tree (FUSE at --mount, "
      "and `rproctee ctl` on --socket).",
      prog);
  MachineArgs machine;
  std::optional<std::string> mount;
  std::vector<std::string> firmware_path;
  std::optional<std::string> socket;
  add_machine_options(app, machine);
  app.add_option("--mount", mount, "Mount the tree here (DIR/sys/class/remoteproc/..., DIR/dmesg)")
      ->check(CLI::Validator(mount_point_problem, "DIR"))
      ->type_name("DIR");
  app.add_option("--firmware-path", firmware_path,
                 "Where firmware names are looked up (default: the current directory)")
      ->check(CLI::ExistingDirectory)
      ->type_name("DIR");
  app.add_option("--socket", socket,
                 "Control socket for `rproctee ctl` (default: $XDG_RUNTIME_DIR/rproctee-ctl.sock, "
                 "or /tmp/rproctee-UID/ctl.sock)")
      ->type_name("PATH");
  std::optional<std::string> tty_dir;
  app.add_option("--tty-dir", tty_dir,
                 "Where the ttyRPMSGn links of the rpmsg-tty channels go (default: DIR/dev of "
                 "--mount, else a private directory named in the log)")
      ->check(CLI::ExistingDirectory)
      ->type_name("DIR");
  unsigned shutdown_ms = 500;
  app.add_option("--shutdown-timeout", shutdown_ms,
                 "How long a stop waits for the firmware to acknowledge the shutdown request "
                 "(milliseconds; ST's driver waits 500)")
      ->capture_default_str()
      ->type_name("MS");
  if (auto code = parse_args(app, std::move(argv))) return *code;
  if (firmware_path.empty()) firmware_path = {"."};
  if (mount && is_stale_fuse_mount(*mount)) {
    if (auto cleaned = clean_stale_mount(*mount, prog); !cleaned)
      return print_error(prog, cleaned.error()), kExitFailure;
  }
  if (!socket) {
    auto fallback = remoteproc::default_control_socket();
    if (!fallback) return print_error(prog, fallback.error()), kExitFailure;
    socket = *fallback;
  }
  // Process-fault tests kill the normal world at an exact TEE message (RPROCTEE_FAULT is the
  // machine's, passed on to it).
  if (!arm_fault_from_environment("RPROCTEE_UP_FAULT"))
    return usage_error(prog, "RPROCTEE_UP_FAULT must be KIND:INDEX or KIND:INDEX:kill");

  ::signal(SIGPIPE, SIG_IGN);
  // A stop signal must reach the thread that waits: only the main thread takes them (every
  // thread started from here on inherits the blocked mask), and only while it waits. With a
  // mount, FuseTree::run installs libfuse's handlers (which end fuse_loop_mt; libfuse installs
  // them only over SIG_DFL); without one, on_stop_signal ends the wait below.
  if (!mount)
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, on_stop_signal);
  const sigset_t stops = stop_signals();
  ::pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  // rpmsg_tty: each "rpmsg-tty" channel becomes a pty, linked as ttyRPMSGn in LINKS/dev, which
  // the mount shows as DIR/dev; the board's serial console is LINKS/dev/ttySTM0 beside them.
  std::string links_dir = tty_dir.value_or("");
  std::unique_ptr<TempDirectory> private_links;
  if (links_dir.empty()) {
    auto made = TempDirectory::create("rproctee-tty");
    if (!made) return print_error(prog, made.error()), kExitFailure;
    private_links = std::move(*made);
    links_dir = private_links->path();
  }
  std::error_code dev_error;
  std::filesystem::create_directories(links_dir + "/dev", dev_error);
  machine.console = "pty:" + links_dir + "/dev/ttySTM0";
  auto child = MachineProcess::start(machine, stops);
  if (!child) return print_error(prog, child.error()), kExitFailure;
  int exit_code = kExitOk;
  auto ttys = rpmsg::TtyBridge::on_bus(rpmsg::install(), links_dir);
  // A machine that dies (killed, out of memory) leaves nothing to serve: say so and stop.
  std::atomic<bool> machine_died{false};
  std::jthread watcher([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      if (auto status = child->poll_exit()) {
        std::cerr << fmt::format("{}: the machine exited unexpectedly ({}); stopping\n", prog,
                                 *status > 128 ? fmt::format("killed by signal {}", *status - 128)
                                               : fmt::format("status {}", *status));
        machine_died = true;
        g_stop = true;
        ::kill(::getpid(), SIGTERM);  // taken by the main thread, as from `kill`
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  {
    remoteproc::NormalWorldOptions options;
    options.firmware_path = firmware_path;
    options.shutdown_timeout = std::chrono::milliseconds(shutdown_ms);
    // The platform comes from the machine's normal-world device tree: this process never reads
    // the secure configuration (keys, firewall) nor the files of --trust and --enc-key.
    auto world = remoteproc::NormalWorld::create(child->address(), options);
    if (!world) {
      print_error(prog, world.error());
      exit_code = kExitFailure;
    } else {
      std::unique_ptr<remoteproc::FuseTree> tree;
      auto control = remoteproc::ControlServer::listen((*world)->sysfs(), *socket, [&] {
        g_stop = true;
        ::kill(::getpid(), SIGTERM);  // taken by the main thread, as from `kill`
      });
      if (!control) {
        print_error(prog, control.error());
        exit_code = kExitFailure;
      } else {
        if (mount) {
          auto mounted = remoteproc::FuseTree::mount((*world)->sysfs(), (*world)->dumps(), *mount,
                                                     links_dir + "/dev");
          if (!mounted) {
            print_error(prog, mounted.error());
            exit_code = kExitFailure;
          } else {
            tree = std::move(*mounted);
          }
        }
        if (exit_code == kExitOk) {
          std::cerr << fmt::format(
              "{}: {} processor(s) up; {}control socket {}; rpmsg ttys and the serial console "
              "(ttySTM0) in {}/dev\n",
              prog, (*world)->rprocs().size(),
              mount ? fmt::format("tree mounted at {}; ", *mount) : "", *socket,
              mount ? *mount : links_dir);
          if (tree) {
            tree->run();  // until unmounted or a signal
          } else {
            ::pthread_sigmask(SIG_UNBLOCK, &stops, nullptr);
            while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
            ::pthread_sigmask(SIG_BLOCK, &stops, nullptr);
          }
        }
        tree.reset();
      }
      std::cerr << fmt::format("{}: stopping\n", prog);
    }
  }  // the normal world stops every processor here, then the machine stops
  watcher.request_stop();
  watcher.join();
  return machine_died ? kExitFailure : exit_code;
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
    if (std::system(fmt::format("fusermount3 -u '{}' 2>/dev/null", *mount).c_str()) != 0)
      return print_error(prog, make_error(TeeCode::kGeneric, "cannot unmount {}: {}", *mount,
                                          std::strerror(e))),
             kExitFailure;
  }
  return kExitOk;
}

}  // namespace rproctee::cli
