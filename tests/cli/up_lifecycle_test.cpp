// `rproctee up` / `ctl` / `down` as processes: --help and usage errors; SIGTERM, SIGINT and
// `rproctee down` unmount the tree, stop the processors, end the machine child and exit 0;
// DIR/dmesg (and stderr) carry the kernel-like boot lines; a crash written to debugfs `crash`
// publishes an ELF core under sys/class/devcoredump/devcdN/data (at recovery, as Linux does:
// with recovery disabled the dump waits for `recover`), an inline dump holds recovery until it
// is read, and writing the data file dismisses it; firmware names are looked up in the
// --firmware-path folders in order (default: the working directory), a missing one failing the
// boot with ENOENT as request_firmware does; the demo firmware's rpmsg-tty channel is a pty
// at DIR/dev/ttyRPMSG0 that echoes what is written to it.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <sstream>
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

constexpr const char* kClass = "/sys/class/remoteproc/remoteproc0/";
constexpr const char* kDebug = "/sys/kernel/debug/remoteproc/remoteproc0/";

TEST(UpCli, HelpExitsZero) {
  for (const char* cmd : {"up", "ctl", "down"}) {
    auto r = run_rproctee({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd << r.err;
    EXPECT_NE(r.out.find("Usage: rproctee " + std::string(cmd)), std::string::npos) << r.out;
  }
  const auto up = run_rproctee({"up", "--help"}).out;
  for (const char* option :
       {"--platform", "--dtb", "--trust", "--mount", "--firmware-path", "--socket"})
    EXPECT_NE(up.find(option), std::string::npos) << option;
  const auto ctl = run_rproctee({"ctl", "--help"}).out;
  for (const char* verb : {"start|stop", "firmware [NAME]", "recovery [enabled|disabled|recover]",
                           "coredump [disabled|enabled|inline]", "crash N", "shutdown"})
    EXPECT_NE(ctl.find(verb), std::string::npos) << verb;
}

TEST(UpCli, UsageErrorsExitTwo) {
  TempDir tmp;
  const std::vector<std::vector<std::string>> cases = {
      {"up", "--bogus"},
      {"up", "--mount", tmp / "no-such-dir"},
      {"up", "--firmware-path", tmp / "no-such-dir"},
      {"up", "--platform", "stm32mp25", "--dtb", rsa2048_public_key_file()},
      {"up", "--trust", tmp / "no-such.pem"},
      {"up", "extra-positional"},
      {"ctl"},
      {"ctl", "--socket", tmp / "s"},
      {"ctl", "--socket", tmp / "s", "frobnicate"},
      {"ctl", "--socket", tmp / "s", "remoteproc0"},
      {"ctl", "--socket", tmp / "s", "remoteproc0", "start", "now"},
      {"down"},
      {"down", "--bogus"},
  };
  for (const auto& args : cases) {
    auto r = run_rproctee(args);
    EXPECT_EQ(r.exit_code, 2) << fmt::format("{}", fmt::join(args, " ")) << "\n" << r.err;
    EXPECT_FALSE(r.err.empty());
  }
  // Without --socket, ctl uses the socket `up` listens on by default (not a usage error).
  {
    const std::string runtime = tmp / "runtime";
    std::filesystem::create_directory(runtime);
    std::filesystem::permissions(runtime, std::filesystem::perms::owner_all);
    auto r = run_command({"/usr/bin/env", "XDG_RUNTIME_DIR=" + runtime, rproctee_binary(), "ctl",
                          "remoteproc0", "state"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(runtime + "/rproctee-ctl.sock"), std::string::npos) << r.err;
  }
  // Not usage errors: nothing listens there.
  auto ctl = run_rproctee({"ctl", "--socket", tmp / "s", "remoteproc0", "state"});
  EXPECT_EQ(ctl.exit_code, 1);
  EXPECT_NE(ctl.err.find("cannot connect to"), std::string::npos) << ctl.err;
  auto down = run_rproctee({"down", "--socket", tmp / "s"});
  EXPECT_EQ(down.exit_code, 1);
}

// `down` falls back to fusermount3 when umount2 fails: the mount path is one argument of it,
// never shell text (it was given to std::system inside quotes).
TEST(UpCli, DownPassesTheMountPathAsOneArgument) {
  TempDir tmp;
  const std::string marker = tmp / "injected";
  const std::string path = (tmp / "x") + "'; touch " + marker + "; '";
  auto down = run_rproctee({"down", "--mount", path});
  EXPECT_EQ(down.exit_code, 1) << down.err;
  EXPECT_NE(down.err.find("cannot unmount"), std::string::npos) << down.err;
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the mount path ran as shell code";
}

// The ttyRPMSGn terminals go where only their user can change them (checked before the
// machine starts).
TEST(UpCli, ATtyDirectoryOthersCanWriteToIsRefused) {
  TempDir tmp;
  const std::string shared = tmp / "shared";
  ASSERT_TRUE(std::filesystem::create_directory(shared));
  std::filesystem::permissions(shared, std::filesystem::perms::all);
  auto up = run_rproctee({"up", "--tty-dir", shared, "--socket", tmp / "ctl.sock"});
  EXPECT_EQ(up.exit_code, 1) << up.err;
  EXPECT_NE(up.err.find("(a parent of " + shared + "/dev) is writable by group or others"),
            std::string::npos)
      << up.err;
}

/// An `up` with the test firmware in its firmware path ("fw.sign").
class UpLifecycle : public ::testing::Test {
 protected:
  void Launch(bool mount, std::vector<std::string> firmware_path = {}, std::string cwd = "") {
    if (mount) {
      if (auto why = fuse_unavailable()) GTEST_SKIP() << "FUSE mount not tested: " << *why;
    }
    fw_ = tmp_ / "fw";
    fs::create_directories(fw_);
    write_bytes(fw_ + "/fw.sign", up_test_firmware());
    if (firmware_path.empty() && cwd.empty()) firmware_path = {fw_};
    fs::create_directories(tmp_ / "up");
    up_ = std::make_unique<UpProcess>(UpOptions{.dir = tmp_ / "up",
                                                .mount = mount,
                                                .firmware_path = std::move(firmware_path),
                                                .cwd = std::move(cwd)});
    std::string why;
    if (!up_->start(why)) {
      if (mount && why.find("cannot mount") != std::string::npos) GTEST_SKIP() << why;
      FAIL() << why;
    }
    if (mount) mnt_ = up_->mount();
  }
  CommandResult ctl(std::vector<std::string> words) {
    words.insert(words.begin(), {"ctl", "--socket", up_->socket()});
    return run_rproctee(words);
  }
  /// `echo VALUE > FILE` through bash, FILE relative to the mount.
  CommandResult echo(const std::string& value, const std::string& file) {
    return run_command({"/bin/bash", "-c", "echo " + value + " > \"$1\"", "bash", mnt_ + file});
  }
  std::string read(const std::string& file) { return slurp(mnt_ + file); }
  /// The machine child of `up` (`rproctee machine --socket ...`).
  pid_t machine_child() {
    for (pid_t p : child_processes(up_->pid()))
      if (slurp("/proc/" + std::to_string(p) + "/cmdline").find("machine") != std::string::npos)
        return p;
    return -1;
  }
  /// Writes `type` to debugfs crash and waits for the crash to be handled and recovered.
  void CrashAndWaitForRecovery(const std::string& type) {
    const int before = crashes_handled(read("/dmesg"));
    ASSERT_EQ(echo(type, std::string(kDebug) + "crash").exit_code, 0);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      const std::string log = read("/dmesg");
      if (crashes_handled(log) > before && last_recovery_finished(log)) return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << log;
      std::this_thread::sleep_for(10ms);
    }
  }
  void ExpectCleanExit(pid_t machine) {
    ASSERT_TRUE(up_->wait(20s)) << "up still running\n" << up_->stderr_text();
    EXPECT_EQ(up_->status(), 0) << up_->stderr_text();
    EXPECT_FALSE(is_rproctee_mount(up_->mount()));
    EXPECT_FALSE(process_alive(machine)) << "machine child " << machine << " survived";
    EXPECT_FALSE(fs::exists(up_->socket()));
    const std::string err = up_->stderr_text();
    EXPECT_NE(err.find("rproctee up: stopping"), std::string::npos) << err;
    EXPECT_NE(err.find("rproctee machine: stopped"), std::string::npos) << err;
  }

  TempDir tmp_;
  std::string fw_, mnt_;
  std::unique_ptr<UpProcess> up_;  // after tmp_: gone (and unmounted) first
};

class UpSignals : public UpLifecycle, public ::testing::WithParamInterface<int> {};

TEST_P(UpSignals, UnmountStopTheProcessorsEndTheMachineAndExitZero) {
  ASSERT_NO_FATAL_FAILURE(Launch(true));
  ASSERT_TRUE(is_rproctee_mount(up_->mount()));
  ASSERT_EQ(echo("fw.sign", std::string(kClass) + "firmware").exit_code, 0);
  ASSERT_EQ(echo("start", std::string(kClass) + "state").exit_code, 0) << up_->stderr_text();
  ASSERT_EQ(read(std::string(kClass) + "state"), "running\n");
  const pid_t machine = machine_child();
  ASSERT_GT(machine, 0);
  up_->signal(GetParam());
  ASSERT_NO_FATAL_FAILURE(ExpectCleanExit(machine));
  EXPECT_NE(up_->stderr_text().find("remoteproc remoteproc0: stopped remote processor m33"),
            std::string::npos)
      << up_->stderr_text();
}

INSTANTIATE_TEST_SUITE_P(Signals, UpSignals, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(p.param == SIGTERM ? "SIGTERM" : "SIGINT");
                         });

TEST_F(UpLifecycle, DownMountFromAnotherShellDoesTheSame) {
  ASSERT_NO_FATAL_FAILURE(Launch(true));
  ASSERT_EQ(echo("fw.sign", std::string(kClass) + "firmware").exit_code, 0);
  ASSERT_EQ(echo("start", std::string(kClass) + "state").exit_code, 0);
  const pid_t machine = machine_child();
  ASSERT_GT(machine, 0);
  auto down = run_rproctee({"down", "--mount", up_->mount()});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  ASSERT_NO_FATAL_FAILURE(ExpectCleanExit(machine));
  EXPECT_NE(up_->stderr_text().find("stopped remote processor m33"), std::string::npos);
  // Nothing mounted any more: a second down fails.
  EXPECT_EQ(run_rproctee({"down", "--mount", up_->mount()}).exit_code, 1);
}

TEST_F(UpLifecycle, DownSocketAndCtlShutdownWithoutAMount) {
  ASSERT_NO_FATAL_FAILURE(Launch(false));
  ASSERT_EQ(ctl({"remoteproc0", "firmware", "fw.sign"}).exit_code, 0);
  ASSERT_EQ(ctl({"remoteproc0", "start"}).exit_code, 0) << up_->stderr_text();
  const pid_t machine = machine_child();
  ASSERT_GT(machine, 0);
  auto down = run_rproctee({"down", "--socket", up_->socket()});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  ASSERT_NO_FATAL_FAILURE(ExpectCleanExit(machine));
  EXPECT_NE(up_->stderr_text().find("stopped remote processor m33"), std::string::npos);
}

TEST_F(UpLifecycle, CtlShutdownAlsoUnmounts) {
  ASSERT_NO_FATAL_FAILURE(Launch(true));
  const pid_t machine = machine_child();
  ASSERT_GT(machine, 0);
  auto r = ctl({"shutdown"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NO_FATAL_FAILURE(ExpectCleanExit(machine));
}

TEST_F(UpLifecycle, DmesgHasTheKernelLikeBootLinesAlsoOnStderr) {
  ASSERT_NO_FATAL_FAILURE(Launch(true));
  ASSERT_EQ(echo("fw.sign", std::string(kClass) + "firmware").exit_code, 0);
  ASSERT_EQ(echo("start", std::string(kClass) + "state").exit_code, 0);
  const std::string dmesg = read("/dmesg");
  for (const char* line : {"remoteproc remoteproc0: m33 (st,stm32mp2-m33, TEE-controlled)",
                           "remoteproc remoteproc0: powering up m33",
                           "remoteproc remoteproc0: Booting fw image fw.sign, size ",
                           "remoteproc remoteproc0: remote processor m33 is now up"}) {
    EXPECT_NE(dmesg.find(line), std::string::npos) << line << "\n" << dmesg;
    EXPECT_NE(up_->stderr_text().find(line), std::string::npos) << line;
  }
  // Every line: "[    S.UUUUUU] DEVICE: MESSAGE".
  std::istringstream lines(dmesg);
  const std::regex kernel_line(R"(\[ *[0-9]+\.[0-9]{6}\] remoteproc remoteproc0: .+)");
  int n = 0;
  for (std::string l; std::getline(lines, l); ++n)
    EXPECT_TRUE(std::regex_match(l, kernel_line)) << l;
  EXPECT_GE(n, 4);
  EXPECT_EQ(ctl({"dmesg"}).out.substr(0, dmesg.size()), dmesg);
  // Read-only, like /dev/kmsg is not: writes are refused.
  EXPECT_NE(echo("hello", "/dmesg").err.find("Permission denied"), std::string::npos);
}

/// The devcdN folders of the mount.
std::vector<std::string> devcds(const std::string& mnt) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(mnt + "/sys/class/devcoredump"))
    out.push_back(e.path().filename().string());
  return out;
}

void ExpectElfCore(const std::vector<uint8_t>& core) {
  ASSERT_GE(core.size(), 52u);
  EXPECT_EQ(std::string(core.begin(), core.begin() + 4),
            "\x7f"
            "ELF");
  EXPECT_EQ(core[4], 1);                    // ELFCLASS32
  EXPECT_EQ(core[16] | core[17] << 8, 4);   // e_type ET_CORE
  EXPECT_EQ(core[18] | core[19] << 8, 40);  // e_machine EM_ARM
  EXPECT_GT(core[44] | core[45] << 8, 1);   // e_phnum: PT_NOTE + PT_LOADs
}

TEST_F(UpLifecycle, CrashThroughDebugfsPublishesAnElfCoreAtRecovery) {
  ASSERT_NO_FATAL_FAILURE(Launch(true));
  ASSERT_EQ(echo("fw.sign", std::string(kClass) + "firmware").exit_code, 0);
  ASSERT_EQ(echo("disabled", std::string(kClass) + "recovery").exit_code, 0);
  ASSERT_EQ(echo("enabled", std::string(kClass) + "coredump").exit_code, 0);  // default: none
  ASSERT_EQ(echo("start", std::string(kClass) + "state").exit_code, 0);
  EXPECT_TRUE(devcds(mnt_).empty());

  ASSERT_EQ(echo("1", std::string(kDebug) + "crash").exit_code, 0);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (read(std::string(kClass) + "state") != "crashed\n") {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << read("/dmesg");
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(read("/dmesg").find("crash detected in m33: type watchdog"), std::string::npos);
  // Linux takes the dump in rproc_boot_recovery: none while recovery is disabled.
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(devcds(mnt_).empty());

  ASSERT_EQ(echo("recover", std::string(kClass) + "recovery").exit_code, 0);
  EXPECT_EQ(read(std::string(kClass) + "state"), "running\n");
  const auto dumps = devcds(mnt_);
  ASSERT_EQ(dumps.size(), 1u) << read("/dmesg");
  const std::string dir = mnt_ + "/sys/class/devcoredump/" + dumps[0];
  EXPECT_EQ(std::filesystem::read_symlink(dir + "/failing_device"),
            "../../../devices/platform/m33/remoteproc/remoteproc0");
  EXPECT_EQ(slurp(dir + "/failing_device/name"), "m33\n");
  const std::string data = slurp(dir + "/data");
  ASSERT_NO_FATAL_FAILURE(ExpectElfCore(std::vector<uint8_t>(data.begin(), data.end())));
  EXPECT_NE(
      read("/dmesg").find("coredump available as sys/class/devcoredump/" + dumps[0] + "/data"),
      std::string::npos);
  // Any write to data dismisses the dump (devcd_data_write).
  ASSERT_EQ(echo("1", "/sys/class/devcoredump/" + dumps[0] + "/data").exit_code, 0);
  EXPECT_TRUE(devcds(mnt_).empty());

  // With recovery enabled (the default) the same crash recovers by itself, with a dump.
  ASSERT_EQ(echo("enabled", std::string(kClass) + "recovery").exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(CrashAndWaitForRecovery("1"));
  EXPECT_EQ(read(std::string(kClass) + "state"), "running\n");
  ASSERT_EQ(devcds(mnt_).size(), 1u);
  const std::string again = slurp(mnt_ + "/sys/class/devcoredump/" + devcds(mnt_)[0] + "/data");
  ASSERT_NO_FATAL_FAILURE(ExpectElfCore(std::vector<uint8_t>(again.begin(), again.end())));

  // coredump disabled: recovery without a dump.
  ASSERT_EQ(echo("1", "/sys/class/devcoredump/" + devcds(mnt_)[0] + "/data").exit_code, 0);
  ASSERT_EQ(echo("disabled", std::string(kClass) + "coredump").exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(CrashAndWaitForRecovery("0"));
  EXPECT_EQ(read(std::string(kClass) + "state"), "running\n") << read("/dmesg");
  EXPECT_TRUE(devcds(mnt_).empty());
}

TEST_F(UpLifecycle, InlineCoredumpHoldsRecoveryUntilItIsRead) {
  ASSERT_NO_FATAL_FAILURE(Launch(true));
  ASSERT_EQ(echo("fw.sign", std::string(kClass) + "firmware").exit_code, 0);
  ASSERT_EQ(echo("inline", std::string(kClass) + "coredump").exit_code, 0);
  ASSERT_EQ(echo("start", std::string(kClass) + "state").exit_code, 0);
  ASSERT_EQ(echo("2", std::string(kDebug) + "crash").exit_code, 0);
  const auto deadline = std::chrono::steady_clock::now() + 4s;
  std::vector<std::string> dumps;
  while ((dumps = devcds(mnt_)).empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << read("/dmesg");
    std::this_thread::sleep_for(5ms);
  }
  // Recovery waits for the dump; the state reads meanwhile (state_show takes no lock).
  EXPECT_EQ(read(std::string(kClass) + "state"), "crashed\n");
  EXPECT_EQ(read("/dmesg").find("recovery of m33 done"), std::string::npos);
  const std::string data = slurp(mnt_ + "/sys/class/devcoredump/" + dumps[0] + "/data");
  ASSERT_NO_FATAL_FAILURE(ExpectElfCore(std::vector<uint8_t>(data.begin(), data.end())));
  // Reading released it (or, on a very loaded machine, the 5 s inline timeout did: the
  // in-process test with a long timeout pins the release-on-read itself).
  const auto read_at = std::chrono::steady_clock::now();
  while (read("/dmesg").find("recovery of m33 done") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now() - read_at, 30s) << read("/dmesg");
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(read(std::string(kClass) + "state"), "running\n");
}

#ifdef RPROCTEE_DEMO_FIRMWARE_DIR
// The demo firmware in `up`: its rpmsg-tty channel is a pty linked as DIR/dev/ttyRPMSG0, used
// as on a board (raw mode, write a line, read the echo); the link goes with the processor.
TEST_F(UpLifecycle, RpmsgTtyOfTheDemoFirmwareIsATerminalUnderDev) {
  const std::string demo = RPROCTEE_DEMO_FIRMWARE_DIR;
  if (!fs::exists(demo + "/demo-m33.sign")) GTEST_SKIP() << "demo firmware not built";
  ASSERT_NO_FATAL_FAILURE(Launch(true, {demo}));
  ASSERT_EQ(echo("demo-m33.sign", std::string(kClass) + "firmware").exit_code, 0);
  ASSERT_EQ(echo("start", std::string(kClass) + "state").exit_code, 0);
  const std::string tty = mnt_ + "/dev/ttyRPMSG0";
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!fs::exists(tty)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << read("/dmesg");
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(fs::is_symlink(tty));
  EXPECT_EQ(fs::read_symlink(tty).string().rfind("/dev/pts/", 0), 0u);
  EXPECT_NE(read(std::string(kDebug) + "trace0").find("rproctee demo firmware 1.0.0"),
            std::string::npos);

  const int fd = ::open(tty.c_str(), O_RDWR | O_NOCTTY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  termios t{};
  ASSERT_EQ(::tcgetattr(fd, &t), 0);
  ::cfmakeraw(&t);
  ASSERT_EQ(::tcsetattr(fd, TCSANOW, &t), 0);
  const std::string line = "hello over the tty\n";
  ASSERT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  std::string got;
  while (got.size() < line.size() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(got, line);

  ASSERT_EQ(echo("stop", std::string(kClass) + "state").exit_code, 0);
  EXPECT_FALSE(fs::exists(tty));  // the channel went with the processor
}
#endif

TEST_F(UpLifecycle, FirmwareIsLookedUpInTheFirmwarePathFoldersInOrder) {
  TempDir a, b;
  write_bytes(b / "only-in-b.sign", up_test_firmware(8192));
  write_bytes(a / "both.sign", up_test_firmware(8192));
  write_bytes(b / "both.sign", std::vector<uint8_t>(64, 0x41));  // a is searched first
  ASSERT_NO_FATAL_FAILURE(Launch(true, {a.path().string(), b.path().string()}));
  const std::string state = std::string(kClass) + "state";
  for (const char* name : {"only-in-b.sign", "both.sign"}) {
    ASSERT_EQ(echo(name, std::string(kClass) + "firmware").exit_code, 0);
    auto start = echo("start", state);
    EXPECT_EQ(start.exit_code, 0) << name << start.err << read("/dmesg");
    EXPECT_EQ(read(state), "running\n") << name;
    ASSERT_EQ(echo("stop", state).exit_code, 0);
  }
  // Not in any folder: request_firmware's -ENOENT, the processor stays offline and free.
  ASSERT_EQ(echo("missing.sign", std::string(kClass) + "firmware").exit_code, 0);
  auto missing = echo("start", state);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, BashWriteError("No such file or directory"));
  EXPECT_EQ(read(state), "offline\n");
  const std::string log = read("/dmesg");
  EXPECT_NE(log.find("Direct firmware load for missing.sign failed with error -2"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("remoteproc remoteproc0: Boot failed: -2"), std::string::npos) << log;
  // The folder of the other path (fw_) is not searched; names cannot climb out of a folder.
  ASSERT_EQ(echo("fw.sign", std::string(kClass) + "firmware").exit_code, 0);
  EXPECT_NE(echo("start", state).err.find("No such file or directory"), std::string::npos);
  ASSERT_EQ(echo("../" + b.path().filename().string() + "/only-in-b.sign",
                 std::string(kClass) + "firmware")
                .exit_code,
            0);
  EXPECT_NE(echo("start", state).err.find("Invalid argument"), std::string::npos);
  EXPECT_EQ(read(state), "offline\n");
  // After all those failures a good name boots (no reference was kept).
  ASSERT_EQ(echo("only-in-b.sign", std::string(kClass) + "firmware").exit_code, 0);
  EXPECT_EQ(echo("start", state).exit_code, 0) << read("/dmesg");
  EXPECT_EQ(read(state), "running\n");
}

TEST_F(UpLifecycle, WithoutFirmwarePathTheWorkingDirectoryIsSearched) {
  fs::create_directories(tmp_ / "cwd");
  write_bytes(tmp_ / "cwd/here.sign", up_test_firmware(8192));
  ASSERT_NO_FATAL_FAILURE(Launch(false, {}, tmp_ / "cwd"));
  ASSERT_EQ(ctl({"remoteproc0", "firmware", "here.sign"}).exit_code, 0);
  auto start = ctl({"remoteproc0", "start"});
  EXPECT_EQ(start.exit_code, 0) << start.err << up_->stderr_text();
  EXPECT_EQ(ctl({"remoteproc0", "state"}).out, "running\n");
  ASSERT_EQ(ctl({"remoteproc0", "stop"}).exit_code, 0);
  ASSERT_EQ(ctl({"remoteproc0", "firmware", "fw.sign"}).exit_code, 0);  // in fw_, not in cwd
  auto missing = ctl({"remoteproc0", "start"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "rproctee ctl: remoteproc0 start: No such file or directory\n");
}

}  // namespace
}  // namespace rproctee::test
