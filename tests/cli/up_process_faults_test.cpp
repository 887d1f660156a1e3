// `rproctee up` when a process dies under it: the machine killed while the demo firmware runs
// or in the middle of a LOAD (RPROCTEE_FAULT=hash:N:kill, the machine SIGKILLs itself at the
// N-th hash of the image), and `up` itself killed with SIGKILL. The survivor reports a clear
// error and nothing hangs: `up` says the machine exited and ends with status 1, the `ctl` write
// that was waiting fails, and a machine never outlives its `up`. A new `up` then boots the demo
// from a clean state.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

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
  void TearDown() override { ::unsetenv("RPROCTEE_FAULT"); }

  /// `up` without a mount, the demo firmware folder in its firmware path.
  std::unique_ptr<UpProcess> Launch(const std::string& name) {
    fs::create_directories(tmp_ / name);
    auto up = std::make_unique<UpProcess>(
        UpOptions{.dir = tmp_ / name, .mount = false, .firmware_path = {kDemoDir}});
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

TEST_F(UpProcessFaults, MachineKilledInTheMiddleOfALoadFailsTheBootWithoutHanging) {
  // The machine kills itself at the second hash of the LOAD (the TLVs were hashed, the first
  // segment not yet): the image was never fully verified.
  ::setenv("RPROCTEE_FAULT", "hash:1:kill", 1);
  auto up = Launch("load");
  ::unsetenv("RPROCTEE_FAULT");
  ASSERT_TRUE(up->running());
  ASSERT_EQ(Ctl(*up, {"firmware", "demo-m33.sign"}).exit_code, 0);
  const auto start = Ctl(*up, {"start"});
  EXPECT_NE(start.exit_code, 0) << start.out;  // the boot failed, the write returned
  EXPECT_FALSE(start.err.empty());
  ASSERT_NO_FATAL_FAILURE(ExpectMachineDeathReported(*up));
  EXPECT_NE(up->stderr_text().find("TEE_ERROR_COMMUNICATION"), std::string::npos)
      << up->stderr_text();
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
