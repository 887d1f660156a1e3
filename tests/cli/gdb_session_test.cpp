// `rproctee run --gdb PORT --gdb-wait`: a real gdb-multiarch --batch session against the demo
// firmware on the emulated M33 (break at main, step, print a global, registers, a watchpoint
// the echo loop triggers), and the echo still answered at the end.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/demo_system.hpp"  // kDemoDir
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

const char* const kGdb = "/usr/bin/gdb-multiarch";

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

/// A TCP port for this test process's gdb server (and the next one, for a second core).
/// Below the kernel's ephemeral range (ip_local_port_range), so no bind(0) or outgoing
/// connection of a test running beside this one is handed it, and derived from the pid, so two
/// test processes do not pick the same one: a port the kernel picked and this test released
/// could be taken by another test's debugger before `rproctee run` bound it.
uint16_t free_port() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned ephemeral_low = 32768;
  range >> ephemeral_low;
  constexpr unsigned kSpan = 8000;
  EXPECT_GT(ephemeral_low, 1024 + kSpan) << "ip_local_port_range leaves no room below it";
  return static_cast<uint16_t>(ephemeral_low - kSpan +
                               2 * (static_cast<unsigned>(::getpid()) % (kSpan / 2)));
}

/// Waits until something listens on `port` (/proc/net/tcp: state 0A), without connecting
/// (a connection would be a debugger session).
bool wait_listening(uint16_t port) {
  const std::string needle = fmt::format(":{:04X} 00000000:0000 0A", port);
  for (int i = 0; i < 300; ++i) {
    std::ifstream tcp("/proc/net/tcp");
    std::string all((std::istreambuf_iterator<char>(tcp)), {});
    if (has(all, needle)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class GdbSession : public ::testing::Test {
 protected:
  /// The server listens before `run` has loaded and started the core, and gdb may attach
  /// first (pc 0, no firmware yet): this gdb script waits until the core halts at its reset
  /// vector (--gdb-wait), re-reading the registers, so every session starts from there.
  std::string wait_for_start_script() {
    const std::string path = dir_ / "wait-for-start.gdb";
    std::ofstream(path) << "while $pc == 0\n"
                           "  shell sleep 0.05\n"
                           "  maintenance flush register-cache\n"
                           "end\n";
    return path;
  }
  TempDir dir_;

  void SetUp() override {
    if (!std::filesystem::exists(kGdb))
      GTEST_SKIP() << "gdb-multiarch is not installed (scripts/setup-debian.sh installs it)";
    if (kDemoDir.empty() || !std::filesystem::exists(kDemoDir / "demo-m33.elf"))
      GTEST_SKIP() << "the demo firmware was not built (arm-none-eabi-gcc missing)";
  }

  /// Runs `run IMAGE --gdb PORT --gdb-wait RUN_EXTRA...` and gdb with `commands` on `elf`.
  std::pair<CommandResult, CommandResult> session(
      const std::vector<std::string>& commands, std::vector<std::string> run_extra,
      const std::string& timeout_s = "60", std::filesystem::path image = kDemoDir / "demo-m33.sign",
      std::filesystem::path elf = kDemoDir / "demo-m33.elf") {
    const uint16_t port = free_port();
    std::vector<std::string> run_args = {
        "run", image.string(), "--gdb", std::to_string(port), "--gdb-wait", "--timeout", timeout_s};
    run_args.insert(run_args.end(), run_extra.begin(), run_extra.end());
    auto run = std::async(std::launch::async, [run_args] { return run_rproctee(run_args); });
    EXPECT_TRUE(wait_listening(port)) << "no gdb server on port " << port;
    std::vector<std::string> gdb = {kGdb,
                                    "--batch",
                                    "-nx",
                                    "-ex",
                                    "set pagination off",
                                    "-ex",
                                    fmt::format("target remote 127.0.0.1:{}", port),
                                    "-x",
                                    wait_for_start_script()};
    for (const std::string& c : commands) gdb.insert(gdb.end(), {"-ex", c});
    gdb.push_back(elf.string());
    CommandResult debugger = run_command(gdb);
    return {debugger, run.get()};
  }
};

TEST_F(GdbSession, BreaksAtMainStepsReadsVariablesAndRegistersWatchesAGlobalAndTheEchoAnswers) {
  const auto [gdb, run] =
      session({"info registers pc", "break main", "continue", "stepi", "next", "next",
               "print ipcc_events", "print/x $pc", "info registers", "watch ipcc_events",
               "continue", "continue", "delete", "continue"},
              {"--send", "hello gdb"});
  const std::string& out = gdb.out;
  // Halted at the reset vector (--gdb-wait), then main.
  EXPECT_TRUE(has(out, "<reset_handler>")) << out << gdb.err;
  EXPECT_TRUE(has(out, "Breakpoint 1, main () at")) << out;
  // stepi stays on line 72; next goes to 73, then 74.
  EXPECT_TRUE(has(out, "\t72\t  trace(\"%s\", DEMO_BANNER);")) << out;
  EXPECT_TRUE(has(out, "73\t  watchdog_start();")) << out;
  EXPECT_TRUE(has(out, "74\t  trace(\"watchdog: started")) << out;
  EXPECT_TRUE(has(out, "$1 = 0")) << out;
  // The M-profile registers, system registers and the FPU's.
  for (const char* reg : {"\nxpsr ", "\nmsp ", "\npsp ", "\nprimask ", "\nbasepri ", "\nfaultmask ",
                          "\ncontrol ", "\nsp ", "\nlr "})
    EXPECT_TRUE(has(out, reg)) << reg << "\n" << out;
  // The watchpoint: the IPCC handler sets ipcc_events, the loop clears it.
  EXPECT_TRUE(has(out, "Hardware watchpoint 2: ipcc_events\n\nOld value = 0\nNew value = ")) << out;
  EXPECT_TRUE(has(out, "in ipcc_rx_irq_handler ()")) << out;
  EXPECT_TRUE(has(out, "New value = 0\nmain () at")) << out;
  // Detached at the end: the firmware runs on and answers.
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(has(run.out, "rpmsg-tty < hello gdb")) << run.out;
}

TEST_F(GdbSession, AFirmwareCrashStopsTheDebuggerWithSigsegvAndKeepsTheFaultVisible) {
  const auto [gdb, run] = session({"continue", "print/x $pc", "bt 1"}, {"--send", "fault"}, "5");
  EXPECT_TRUE(has(gdb.out, "Program received signal SIGSEGV")) << gdb.out << gdb.err;
  EXPECT_TRUE(has(gdb.out, "demo_fault")) << gdb.out;
  // Once the debugger detached, the crash took its normal course: reported, then recovered.
  EXPECT_TRUE(has(run.err, "crashed: bad memory access")) << run.err;
}

/// One packet, framed.
std::string packet(std::string_view payload) {
  uint8_t sum = 0;
  for (char c : payload) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  return fmt::format("${}#{:02x}", payload, sum);
}

/// What the server sends within `ms`, returning as soon as it holds `want` bytes (a slow,
/// loaded machine gets the whole deadline; a fast one does not wait it out).
std::string receive(int fd, int ms, size_t want = SIZE_MAX) {
  std::string got;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (got.size() < want && std::chrono::steady_clock::now() < until) {
    char buffer[512];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) got.append(buffer, static_cast<size_t>(n));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return got;
}

TEST_F(GdbSession, CtrlCStopsARunningCoreWithSigintAndMalformedPacketsGetAnError) {
  const uint16_t port = free_port();
  auto run = std::async(std::launch::async, [port] {
    return run_rproctee({"run", (kDemoDir / "demo-m33.sign").string(), "--gdb",
                         std::to_string(port), "--gdb-wait", "--timeout", "30"});
  });
  ASSERT_TRUE(wait_listening(port));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const auto send_all = [fd](const std::string& bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  };
  // The server listens before `run` has loaded and started the core. A continue and a Ctrl-C
  // sent then would stop nothing, and after the detach the start would halt for the next
  // debugger (--gdb-wait): wait until the core halts at its reset vector (pc no longer 0).
  const std::string pc_zero = "+" + packet("00000000");
  for (int i = 0; i < 200; ++i) {
    send_all(packet("pf"));
    const std::string reply = receive(fd, 10000, pc_zero.size());
    ASSERT_EQ(reply.size(), pc_zero.size()) << reply;
    if (reply != pc_zero) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  send_all(packet("mzz,4") + packet("Z9,0,2") + "$g#00");
  const std::string want_errors = "+" + packet("E01") + "+" + packet("E01") + "-";
  const std::string errors = receive(fd, 10000, want_errors.size());
  EXPECT_NE(errors.find(want_errors), std::string::npos) << errors;
  // Ctrl-C right behind the continue: the core stops at once, wherever it got to.
  send_all(packet("c") + "\x03");
  const std::string stopped = "+" + packet("T02");
  EXPECT_EQ(receive(fd, 10000, stopped.size()), stopped);
  send_all(packet("D"));
  const std::string detached = "+" + packet("OK");
  EXPECT_EQ(receive(fd, 10000, detached.size()), detached);
  ::close(fd);
  const auto r = run.get();
  EXPECT_TRUE(has(r.out, "trace: rproctee demo firmware 1.0.0")) << r.out << r.err;
}

TEST_F(GdbSession, StsEchoFirmwareBreaksAtMainAndStillEchoes) {
  const auto vendor = shared_vectors_dir() / "real" / "st_mp215_openamp_tty_echo_cm33_ns.elf";
  if (!have_shared_vectors() || !std::filesystem::exists(vendor))
    GTEST_SKIP() << "vendor vectors not present: " << vendor;
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("rproctee-gdb-st-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const auto image = dir / "echo.sign";
  const auto signed_ok = run_rproctee({"sign", "--in", vendor.string(), "--key",
                                       std::string(RPROCTEE_SOURCE_DIR) + "/keys/rproctee-dev.pem",
                                       "--out", image.string()});
  ASSERT_EQ(signed_ok.exit_code, 0) << signed_ok.err;
  const auto [gdb, run] =
      session({"break main", "continue", "next", "print SystemCoreClock", "info registers xpsr msp",
               "delete", "continue"},
              {"--platform", "stm32mp21", "--send", "hello st"}, "60", image, vendor);
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(has(gdb.out, "Breakpoint 1, main () at")) << gdb.out << gdb.err;
  EXPECT_TRUE(has(gdb.out, "$1 = 64000000")) << gdb.out;
  EXPECT_TRUE(has(gdb.out, "\nmsp ")) << gdb.out;
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(has(run.out, "rpmsg-tty < hello st")) << run.out;
}

}  // namespace
}  // namespace rproctee::test
