// spawn_timer: wall-clock cost of whole processes, for bench/run.sh.
//
//   rproctee_spawn_timer [-n RUNS] [-w WARMUP] NAME -- CMD [ARGS...] [::: NAME -- CMD ...]...
//
// Runs every command RUNS times (after WARMUP untimed runs), interleaved round-robin so that
// the machine's noise hits all of them alike, with stdin, stdout and stderr on /dev/null. Each
// run is posix_spawnp (vfork-like, as a shell would exec) + waitpid, timed with CLOCK_MONOTONIC.
// Prints one line per command:
//   NAME median_ms=.. min_ms=.. mean_ms=.. p90_ms=.. user_ms=.. sys_ms=.. runs=N
// (user/sys: mean CPU time of the child). Exit status 1 when a command fails (non-zero exit
// or signal) on any run, so that a broken command is not timed as a fast one.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Command {
  std::string name;
  std::vector<char*> argv;  // null-terminated
  std::vector<double> wall_ms;
  double user_ms = 0, sys_ms = 0;
};

double now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double tv_ms(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3;
}

int usage() {
  std::fprintf(stderr,
               "usage: rproctee_spawn_timer [-n RUNS] [-w WARMUP] NAME -- CMD [ARGS...] "
               "[::: NAME -- CMD [ARGS...]]...\n");
  return 2;
}

/// Runs one command to completion; false (with a message) when it cannot run or fails.
bool run_once(Command& c, const posix_spawn_file_actions_t& actions, bool timed) {
  const double start = now_ms();
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, c.argv[0], &actions, nullptr, c.argv.data(), environ);
  if (err != 0) {
    std::fprintf(stderr, "spawn_timer: %s: cannot run %s: %s\n", c.name.c_str(), c.argv[0],
                 std::strerror(err));
    return false;
  }
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("spawn_timer: wait4");
      return false;
    }
  }
  const double elapsed = now_ms() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "spawn_timer: %s: %s failed (%s %d)\n", c.name.c_str(), c.argv[0],
                 WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return false;
  }
  if (timed) {
    c.wall_ms.push_back(elapsed);
    c.user_ms += tv_ms(usage.ru_utime);
    c.sys_ms += tv_ms(usage.ru_stime);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 50;
  int warmup = 3;
  int i = 1;
  for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] != '-'; i += 2) {
    const std::string opt = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (opt == "-n" && value > 0) {
      runs = value;
    } else if (opt == "-w" && value >= 0) {
      warmup = value;
    } else {
      return usage();
    }
  }
  std::vector<Command> commands;
  while (i < argc) {
    if (i + 2 >= argc || std::strcmp(argv[i + 1], "--") != 0) return usage();
    Command c;
    c.name = argv[i];
    for (i += 2; i < argc && std::strcmp(argv[i], ":::") != 0; ++i) c.argv.push_back(argv[i]);
    if (c.argv.empty()) return usage();
    c.argv.push_back(nullptr);
    commands.push_back(std::move(c));
    if (i < argc) ++i;  // skip ":::"
  }
  if (commands.empty()) return usage();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);

  for (int r = 0; r < warmup + runs; ++r)
    for (Command& c : commands)
      if (!run_once(c, actions, r >= warmup)) return 1;
  posix_spawn_file_actions_destroy(&actions);

  for (Command& c : commands) {
    std::vector<double> t = c.wall_ms;
    std::sort(t.begin(), t.end());
    const size_t n = t.size();
    const double median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    double sum = 0;
    for (double v : t) sum += v;
    const size_t p90 = std::min(n - 1, (n * 9) / 10);
    std::printf(
        "%s median_ms=%.3f min_ms=%.3f mean_ms=%.3f p90_ms=%.3f user_ms=%.3f "
        "sys_ms=%.3f runs=%zu\n",
        c.name.c_str(), median, t[0], sum / static_cast<double>(n), t[p90],
        c.user_ms / static_cast<double>(n), c.sys_ms / static_cast<double>(n), n);
  }
  return 0;
}
