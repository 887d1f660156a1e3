// `rproctee up` when a process dies under it: the machine killed at every fault point of a boot
// (RPROCTEE_FAULT=KIND:N:kill, the machine SIGKILLs itself at the N-th event: the shared memory
// mapping, each hash and each segment copy of the LOAD, the core start), while the demo firmware
// runs, and in the middle of an rpmsg exchange over the tty; `up` (the normal world) killed at
// every TEE message of a boot (RPROCTEE_UP_FAULT=message:N:kill) and with SIGKILL while running.
// The survivor reports a clear error and nothing hangs: `up` says the machine exited and ends
// with status 1, the `ctl` write that was waiting fails, the tty reader sees the end, and a
// machine never outlives its `up`. A new `up` then boots the demo from a clean state.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/run_command.hpp"
#include "support/test_data.hpp"
#include "support/up_process.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

#ifdef RPROCTEE_DEMO_FIRMWARE_DIR
const std::string kDemoDir = RPROCTEE_DEMO_FIRMWARE_DIR;
#else
const std::string kDemoDir;
#endif

class UpProcessFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kDemoDir.empty() || !fs::exists(kDemoDir + "/demo-m33.sign"))
      GTEST_SKIP() << "the demo firmware was not built";
  }
  void TearDown() override {
    ::unsetenv("RPROCTEE_FAULT");
    ::unsetenv("RPROCTEE_UP_FAULT");
  }

  /// `up` without a mount, the demo firmware folder in its firmware path.
  std::unique_ptr<UpProcess> Launch(const std::string& name, std::vector<std::string> extra = {}) {
    fs::create_directories(tmp_ / name);
    auto up = std::make_unique<UpProcess>(UpOptions{.dir = tmp_ / name,
                                                    .mount = false,
                                                    .firmware_path = {kDemoDir},
                                                    .extra = std::move(extra)});
    std::string why;
    EXPECT_TRUE(up->start(why)) << why;
    return up;
  }
  static CommandResult Ctl(UpProcess& up, std::vector<std::string> words) {
    words.insert(words.begin(), {"ctl", "--socket", up.socket(), "remoteproc0"});
    return run_rproctee(words);
  }
  static pid_t MachineOf(UpProcess& up) {
    for (pid_t p : child_processes(up.pid()))
      if (slurp("/proc/" + std::to_string(p) + "/cmdline").find("machine") != std::string::npos)
        return p;
    return -1;
  }
  static bool GoneWithin(pid_t pid, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (process_alive(pid)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }
  void ExpectMachineDeathReported(UpProcess& up) {
    ASSERT_TRUE(up.wait(30s)) << "up still running\n" << up.stderr_text();
    EXPECT_EQ(up.status(), 1) << up.stderr_text();
    EXPECT_NE(up.stderr_text().find("the machine exited unexpectedly (killed by signal 9)"),
              std::string::npos)
        << up.stderr_text();
  }
  void ExpectACleanRestart() {
    auto up = Launch("restart");
    ASSERT_TRUE(up->running());
    EXPECT_EQ(Ctl(*up, {"state"}).out, "offline\n");  // nothing half-loaded survives
    ASSERT_EQ(Ctl(*up, {"firmware", "demo-m33.sign"}).exit_code, 0);
    const auto start = Ctl(*up, {"start"});
    ASSERT_EQ(start.exit_code, 0) << start.err << up->stderr_text();
    EXPECT_EQ(Ctl(*up, {"state"}).out, "running\n");
  }

  TempDir tmp_;
};

TEST_F(UpProcessFaults, MachineKilledWhileTheFirmwareRunsStopsUpWithAClearError) {
  auto up = Launch("running");
  ASSERT_TRUE(up->running());
  ASSERT_EQ(Ctl(*up, {"firmware", "demo-m33.sign"}).exit_code, 0);
  ASSERT_EQ(Ctl(*up, {"start"}).exit_code, 0) << up->stderr_text();
  const pid_t machine = MachineOf(*up);
  ASSERT_GT(machine, 0);
  ::kill(machine, SIGKILL);
  ASSERT_NO_FATAL_FAILURE(ExpectMachineDeathReported(*up));
  ASSERT_NO_FATAL_FAILURE(ExpectACleanRestart());
}

TEST_F(UpProcessFaults, MachineKilledAtEveryFaultPointOfABootFailsItWithoutHanging) {
  // mapping: the image's shared memory; hash: the TLVs, the signature, each segment (a kill
  // there: the image was never fully verified); memory-write: each segment copy; core-start:
  // the verified image's core about to be released.
  int points = 0;
  for (const char* kind : {"mapping", "hash", "memory-write", "core-start"}) {
    int index = 0;
    for (;; ++index) {
      ASSERT_LT(index, 32) << kind << ": the boot never completes without reaching the fault";
      SCOPED_TRACE(fmt::format("RPROCTEE_FAULT={}:{}:kill", kind, index));
      ::setenv("RPROCTEE_FAULT", fmt::format("{}:{}:kill", kind, index).c_str(), 1);
      auto up = Launch(fmt::format("{}-{}", kind, index));
      ::unsetenv("RPROCTEE_FAULT");
      ASSERT_TRUE(up->running());
      ASSERT_EQ(Ctl(*up, {"firmware", "demo-m33.sign"}).exit_code, 0);
      const auto start = Ctl(*up, {"start"});
      if (start.exit_code == 0 && up->running()) {  // past the last event: a complete boot
        EXPECT_EQ(Ctl(*up, {"state"}).out, "running\n");
        break;
      }
      EXPECT_NE(start.exit_code, 0) << start.out;  // the boot failed, the write returned
      EXPECT_FALSE(start.err.empty());
      ASSERT_NO_FATAL_FAILURE(ExpectMachineDeathReported(*up));
      EXPECT_NE(up->stderr_text().find("TEE_ERROR_COMMUNICATION"), std::string::npos)
          << up->stderr_text();
      ++points;
    }
    EXPECT_GT(index, 0) << kind << ": no boot reached it";
    std::cout << kind << ": " << index << " kill points\n";
  }
  ASSERT_NO_FATAL_FAILURE(ExpectACleanRestart());
  RecordProperty("kill_points", points);
}

TEST_F(UpProcessFaults, NormalWorldKilledAtEveryMessageOfABootTakesItsMachineAlong) {
  // `up` kills itself at its N-th TEE message (opening the session, registering the image,
  // LOAD_FW, the resource table, START...): the waiting `ctl` write fails instead of hanging,
  // the machine dies with it (nothing keeps running unowned), and a new `up` starts clean.
  int points = 0;
  int index = 0;
  for (;; ++index) {
    ASSERT_LT(index, 64) << "the boot never completes without reaching the fault";
    SCOPED_TRACE(fmt::format("RPROCTEE_UP_FAULT=message:{}:kill", index));
    ::setenv("RPROCTEE_UP_FAULT", fmt::format("message:{}:kill", index).c_str(), 1);
    fs::create_directories(tmp_ / fmt::format("nw-{}", index));
    UpProcess up(UpOptions{
        .dir = tmp_ / fmt::format("nw-{}", index), .mount = false, .firmware_path = {kDemoDir}});
    std::string why;
    const bool started = up.start(why);
    ::unsetenv("RPROCTEE_UP_FAULT");
    if (!started) {  // killed while registering its processors
      ASSERT_TRUE(up.wait(30s)) << why;
      EXPECT_EQ(up.status(), 128 + SIGKILL) << why;
      ++points;
      continue;
    }
    // The mailbox's waits are TEE messages too: `up` may die at any moment from here on.
    const pid_t machine = MachineOf(up);
    (void)Ctl(up, {"firmware", "demo-m33.sign"});
    const auto start = Ctl(up, {"start"});
    if (start.exit_code == 0) break;  // the boot completed before the N-th message
    EXPECT_FALSE(start.err.empty());
    ASSERT_TRUE(up.wait(30s));
    EXPECT_EQ(up.status(), 128 + SIGKILL) << up.stderr_text();
    if (machine > 0) {
      EXPECT_TRUE(GoneWithin(machine, 10s)) << "the machine " << machine << " outlived its up";
    }
    ++points;
  }
  EXPECT_GT(points, 2);
  std::cout << "normal world: " << points << " kill points\n";
  ASSERT_NO_FATAL_FAILURE(ExpectACleanRestart());
  RecordProperty("kill_points", points);
}

TEST_F(UpProcessFaults, MachineKilledDuringAnRpmsgExchangeEndsTheTtyAndUp) {
  fs::create_directories(tmp_ / "ttys");
  auto up = Launch("rpmsg", {"--tty-dir", tmp_ / "ttys"});
  ASSERT_TRUE(up->running());
  ASSERT_EQ(Ctl(*up, {"firmware", "demo-m33.sign"}).exit_code, 0);
  ASSERT_EQ(Ctl(*up, {"start"}).exit_code, 0) << up->stderr_text();
  const std::string tty = tmp_ / "ttys/dev/ttyRPMSG0";
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!fs::exists(tty)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << up->stderr_text();
    std::this_thread::sleep_for(10ms);
  }
  const int fd = ::open(tty.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  termios t{};
  ASSERT_EQ(::tcgetattr(fd, &t), 0);
  ::cfmakeraw(&t);
  ASSERT_EQ(::tcsetattr(fd, TCSANOW, &t), 0);
  // Lines go out and come back while the machine is killed.
  const pid_t machine = MachineOf(*up);
  ASSERT_GT(machine, 0);
  size_t echoed = 0;
  bool killed = false, ended = false;
  while (std::chrono::steady_clock::now() < deadline && !ended) {
    const std::string line = "exchange in flight\n";
    if (::write(fd, line.data(), line.size()) < 0 && errno != EAGAIN) ended = true;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) {
      char buf[512];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) echoed += static_cast<size_t>(n);
      if (n == 0 || (n < 0 && errno != EAGAIN) || (p.revents & (POLLHUP | POLLERR))) ended = true;
    }
    if (!killed && echoed >= 10 * line.size()) {
      ::kill(machine, SIGKILL);
      killed = true;
    }
  }
  ::close(fd);
  EXPECT_TRUE(killed) << "no echo came back before the kill: " << echoed << " bytes";
  EXPECT_TRUE(ended) << "the tty never ended after the machine died";
  ASSERT_NO_FATAL_FAILURE(ExpectMachineDeathReported(*up));
  ASSERT_NO_FATAL_FAILURE(ExpectACleanRestart());
}

TEST_F(UpProcessFaults, KillingUpLeavesNoMachineBehind) {
  auto up = Launch("orphan");
  ASSERT_TRUE(up->running());
  ASSERT_EQ(Ctl(*up, {"firmware", "demo-m33.sign"}).exit_code, 0);
  ASSERT_EQ(Ctl(*up, {"start"}).exit_code, 0);
  const pid_t machine = MachineOf(*up);
  ASSERT_GT(machine, 0);
  up->signal(SIGKILL);
  ASSERT_TRUE(up->wait(10s));
  EXPECT_TRUE(GoneWithin(machine, 10s)) << "the machine " << machine << " outlived its up";
}

}  // namespace
}  // namespace rproctee::test
