// `rproctee up` as a child process of a test: started with a signed test firmware folder and
// the rsa2048 test key trusted, its stdout/stderr captured in files, the FUSE mount (when
// asked) and the control socket ready before start() returns. The destructor never leaves a
// mount or a child behind: `rproctee down`, then SIGTERM, then SIGKILL, then `fusermount3 -u -z`.
// Header-only (inline) so that tests/CMakeLists.txt needs no change.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {

/// The public half of test_key("rsa2048"), for `up --trust`.
inline std::string rsa2048_public_key_file() {
  return (vectors_dir() / "keys" / "rsa2048.pub.pem").string();
}

/// A firmware `rproctee up` boots: the normal-world layout (vdev + trace0 in ipc_shmem), signed
/// with test_key(key). Its reset handler (0x80100040) is `1: wfi; b 1b`, so that a core that
/// really executes it idles instead of crashing on the filler pattern.
inline std::vector<uint8_t> up_test_firmware(size_t code_size = 8192,
                                             const std::string& key = "rsa2048") {
  std::vector<uint8_t> elf = make_firmware(code_size, normal_world_resource_table());
  const auto u32 = [&](size_t at) { return get_u32(elf, at); };
  const uint32_t phoff = u32(0x1c);
  const uint32_t phentsize = static_cast<uint32_t>(elf[0x2a] | elf[0x2b] << 8);
  const uint32_t phnum = static_cast<uint32_t>(elf[0x2c] | elf[0x2d] << 8);
  for (uint32_t i = 0; i < phnum; ++i) {
    const size_t ph = phoff + size_t{i} * phentsize;
    if (u32(ph) != 1 || u32(ph + 12) != 0x80100000) continue;  // PT_LOAD at the vector table
    const size_t reset = size_t{u32(ph + 4)} + 0x40;
    if (reset + 4 > elf.size()) break;
    const uint8_t loop[] = {0x30, 0xbf, 0xfd, 0xe7};  // wfi (0xbf30); b.n -4 (0xe7fd)
    std::copy(std::begin(loop), std::end(loop), elf.begin() + static_cast<std::ptrdiff_t>(reset));
  }
  return sign_elfs({elf}, test_key(key));
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Why a FUSE mount cannot be tested here, or nullopt when it can.
inline std::optional<std::string> fuse_unavailable() {
  if (::access("/dev/fuse", R_OK | W_OK) != 0)
    return std::string("/dev/fuse is missing or not accessible (") + std::strerror(errno) +
           "): the FUSE front end is not tested here, `rproctee ctl` is";
  bool fusermount = false;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    fusermount |= !dir.empty() && ::access((dir + "/fusermount3").c_str(), X_OK) == 0;
  if (!fusermount) return std::string("fusermount3 is not installed (package fuse3)");
  return std::nullopt;
}

/// True when `dir` is a mount point of the rproctee FUSE file system (/proc/self/mountinfo).
inline bool is_rproctee_mount(const std::string& dir) {
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(dir, ec).string();
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPEROPTIONS
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype;
    tail >> fstype;
    if ((point == canonical || point == dir) && fstype == "fuse.rproctee") return true;
  }
  return false;
}

/// The processes whose parent is `pid` (/proc/N/stat).
inline std::vector<pid_t> child_processes(pid_t pid) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long n = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || n <= 0) continue;
    const std::string stat = slurp(std::string("/proc/") + e->d_name + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream f(stat.substr(paren + 2));
    char state = 0;
    long ppid = 0;
    f >> state >> ppid;
    if (ppid == pid) out.push_back(static_cast<pid_t>(n));
  }
  ::closedir(d);
  return out;
}

/// True while `pid` exists (a zombie counts as gone).
inline bool process_alive(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  return stat[paren + 2] != 'Z' && stat[paren + 2] != 'X';
}

/// The highest N of "handling crash #N" in a kernel log (0: none).
inline int crashes_handled(const std::string& log) {
  int best = 0;
  const std::string prefix = "handling crash #";
  for (size_t at = log.find(prefix); at != std::string::npos; at = log.find(prefix, at + 1))
    best = std::max(best, std::atoi(log.c_str() + at + prefix.size()));
  return best;
}

/// True when the last crash handled in `log` has finished its recovery ("recovery of NAME done"
/// or "... failed"): `state` is readable during a recovery and shows its steps.
inline bool last_recovery_finished(const std::string& log) {
  const size_t at = log.rfind("handling crash #");
  return at != std::string::npos && log.find("recovery of ", at) != std::string::npos;
}

/// bash's message for a failed `echo ... > FILE`: "bash: [line N: ]echo: write error: MESSAGE"
/// (bash adds the line number depending on how it was started).
inline ::testing::Matcher<const std::string&> BashWriteError(const std::string& message) {
  return ::testing::MatchesRegex("bash: (line [0-9]+: )?echo: write error: " + message + "\n");
}

struct UpOptions {
  std::filesystem::path dir;               // scratch folder (mount point, socket, logs in it)
  bool mount = true;                       // --mount DIR/mnt
  std::vector<std::string> firmware_path;  // --firmware-path each (none: the default)
  std::string cwd;                         // working directory of `up` (default: dir)
  std::vector<std::string> extra;          // more arguments
  std::chrono::milliseconds ready_timeout{30000};
  bool quick_shutdown = true;  // --shutdown-timeout 1 (test firmware that never answers)
};

class UpProcess {
 public:
  explicit UpProcess(UpOptions options) : o_(std::move(options)) {
    mount_ = (o_.dir / "mnt").string();
    socket_ = (o_.dir / "ctl.sock").string();
    out_ = (o_.dir / "up.out").string();
    err_ = (o_.dir / "up.err").string();
    std::error_code ec;  // a stale mount left by a killed up answers ENOTCONN: up cleans it
    if (o_.mount) std::filesystem::create_directories(mount_, ec);
  }
  ~UpProcess() { cleanup(); }
  UpProcess(const UpProcess&) = delete;
  UpProcess& operator=(const UpProcess&) = delete;

  /// The arguments after `rproctee up`.
  std::vector<std::string> arguments() const {
    std::vector<std::string> a = {"--trust", rsa2048_public_key_file(), "--socket", socket_};
    if (o_.mount) a.insert(a.end(), {"--mount", mount_});
    for (const auto& p : o_.firmware_path) a.insert(a.end(), {"--firmware-path", p});
    // A stop asks the firmware to shut down and waits for its ack; the test firmware never
    // runs code, so keep that wait short where the option exists.
    if (o_.quick_shutdown && supports_shutdown_timeout())
      a.insert(a.end(), {"--shutdown-timeout", "1"});
    a.insert(a.end(), o_.extra.begin(), o_.extra.end());
    return a;
  }

  /// Spawns `up` and waits until it announced itself (tree mounted, socket listening). On
  /// failure returns false with the reason (and the process reaped).
  bool start(std::string& why) {
    std::vector<std::string> argv = {rproctee_binary(), "up"};
    for (auto& a : arguments()) argv.push_back(a);
    const std::string cwd = o_.cwd.empty() ? o_.dir.string() : o_.cwd;
    pid_ = ::fork();
    if (pid_ < 0) return why = "fork failed", false;
    if (pid_ == 0) {
      const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int in = ::open("/dev/null", O_RDONLY);
      if (out < 0 || err < 0 || in < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(126);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      std::vector<char*> args;
      for (auto& s : argv) args.push_back(s.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + o_.ready_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!running()) {
        why = "rproctee up exited with status " + std::to_string(status_) + ": " + stderr_text();
        return false;
      }
      const bool announced = stderr_text().find("processor(s) up") != std::string::npos;
      std::error_code ec;  // a stale mount answers ENOTCONN until up has replaced it
      if (announced &&
          (!o_.mount || (is_rproctee_mount(mount_) &&
                         std::filesystem::exists(mount_ + "/sys/class/remoteproc", ec))))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    why = "rproctee up was not ready in time: " + stderr_text();
    cleanup();
    return false;
  }

  pid_t pid() const { return pid_; }
  const std::string& mount() const { return mount_; }
  const std::string& socket() const { return socket_; }
  std::string stderr_text() const { return slurp(err_); }
  std::string stdout_text() const { return slurp(out_); }
  /// Exit code (or 128 + signal) once reaped.
  int status() const { return status_; }

  /// Reaps the process if it has exited; true while it runs.
  bool running() {
    if (pid_ <= 0) return false;
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      pid_ = -1;
      return false;
    }
    return r == 0;
  }

  /// Waits for the exit; false on timeout (still running).
  bool wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  /// Stops `up` by every means in turn and removes any mount left behind.
  void cleanup() {
    if (running()) {
      (void)run_rproctee(o_.mount ? std::vector<std::string>{"down", "--mount", mount_}
                                  : std::vector<std::string>{"down", "--socket", socket_});
      if (!wait(std::chrono::seconds(10))) {
        signal(SIGTERM);
        if (!wait(std::chrono::seconds(10))) {
          signal(SIGKILL);
          wait(std::chrono::seconds(10));
        }
      }
    }
    if (o_.mount && is_rproctee_mount(mount_))
      (void)run_command({"/bin/sh", "-c", "fusermount3 -u -z '" + mount_ + "' 2>/dev/null"});
  }

  static bool supports_shutdown_timeout() {
    static const bool yes =
        run_rproctee({"up", "--help"}).out.find("--shutdown-timeout") != std::string::npos;
    return yes;
  }

 private:
  UpOptions o_;
  std::string mount_, socket_, out_, err_;
  pid_t pid_ = -1;
  int status_ = -1;
};

}  // namespace rproctee::test
