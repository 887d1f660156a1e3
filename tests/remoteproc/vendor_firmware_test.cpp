// ST's firmware, unmodified, on the simulated SoC (issue 13's acceptance). The STM32CubeMP2
// OpenAMP TTY echo of the STM32MP215F-DK (../shared/vectors/real, the ELF as ST ships it) is
// signed with the development key at test time and booted with `rproctee run --platform
// stm32mp21` and with `rproctee up`: its serial console prints its banner, it announces two
// rpmsg-tty channels, each /dev/ttyRPMSGn echoes hundreds of messages of every size up to the
// 496-byte payload, a stop gets its shutdown acknowledgement, a crash is recovered. ST's signed
// USB-PD image of the STM32MP257F-DK runs until it needs a peripheral nothing models, which the
// machine names. Skipped visibly without ../shared/vectors.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
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
using ::testing::HasSubstr;

constexpr auto kWait = 30s;  // generous: the suite also runs under ASan on a loaded machine

fs::path echo_elf() {
  return shared_vectors_dir() / "real" / "st_mp215_openamp_tty_echo_cm33_ns.elf";
}
fs::path usbpd_image() {
  return shared_vectors_dir() / "real" / "st_mp257_usbpd_ucsi_cm33_ns.sign";
}
fs::path development_key() {
  return vectors_dir().parent_path().parent_path().parent_path() / "keys" / "rproctee-dev.pem";
}

class VendorFirmware : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_shared_vectors() || !fs::exists(echo_elf()) || !fs::exists(usbpd_image()))
      GTEST_SKIP() << "ST's firmware is not present: " << echo_elf() << ", " << usbpd_image();
  }
  /// ST's echo ELF signed with the development key, as a user would sign their own build.
  std::string SignEcho() {
    const std::string out = dir_ / "st-tty-echo.sign";
    const auto r = run_rproctee(
        {"sign", "--in", echo_elf().string(), "--key", development_key().string(), "--out", out});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  TempDir dir_;
};

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST_F(VendorFirmware, St215TtyEchoRunsUnderRunOnTheStm32mp21Preset) {
  const std::string image = SignEcho();
  const std::string big(496, 'B');
  const auto r = run_rproctee({"run", image, "--platform", "stm32mp21", "--timeout", "30", "--json",
                               "--send", "hello from the host", "--send", big});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["platform"], "rproctee virtual STM32MP215 (Cortex-M33)");
  EXPECT_EQ(j["channel"], "rpmsg-tty");
  EXPECT_GT(j["channel_announced_ms"].get<double>(), 0.0);
  EXPECT_EQ(j["round_trips_ms"].size(), 2u);
  EXPECT_TRUE(j["shutdown_acknowledged"].get<bool>()) << r.err;
  // Its console (UART4, TX on PH7) as the board's serial line shows it.
  std::vector<std::string> console = j["console"];
  EXPECT_THAT(console, ::testing::Contains(HasSubstr(
                           "m33 UART4:  Starting OpenAMP application (May 27 2025: 12:44:20)")));
  EXPECT_THAT(console,
              ::testing::Contains("m33 UART4: Virtual UART0 OpenAMP-rpmsg channel creation"));
  EXPECT_THAT(console,
              ::testing::Contains("m33 UART4: Virtual UART1 OpenAMP-rpmsg channel creation"));
  EXPECT_THAT(console,
              ::testing::Contains(
                  "m33 UART4: Msg received on VIRTUAL UART0 channel:  hello from the host "));
  EXPECT_TRUE(has(r.err, "rpmsg-tty < hello from the host  (")) << r.err;
  EXPECT_TRUE(has(r.err, "rpmsg-tty < " + big + "  (")) << r.err;
  // Both channels were announced; the LED (LED3 on PH12) blinks; nothing is unmodelled.
  EXPECT_TRUE(has(r.err, "creating channel rpmsg-tty addr 0x400")) << r.err;
  EXPECT_TRUE(has(r.err, "creating channel rpmsg-tty addr 0x401")) << r.err;
  EXPECT_TRUE(has(r.err, "rproctee machine: m33 GPIOH pin 12: ")) << r.err;
  EXPECT_FALSE(has(r.err, "not modelled")) << r.err;
  EXPECT_FALSE(has(r.err, "crashed")) << r.err;
  EXPECT_FALSE(has(r.err, "shutdown without ack")) << r.err;
}

/// A tty of `up`, raw, opened when its link appears.
class Tty {
 public:
  static std::optional<Tty> open(const fs::path& link, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!fs::exists(link)) {
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(10ms);
    }
    const int fd = ::open(link.c_str(), O_RDWR | O_NOCTTY);
    if (fd < 0) return std::nullopt;
    termios t{};
    ::tcgetattr(fd, &t);
    ::cfmakeraw(&t);
    ::tcsetattr(fd, TCSANOW, &t);
    return Tty(fd);
  }
  Tty(Tty&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Tty& operator=(Tty&&) = delete;
  ~Tty() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool write(const std::string& data) {
    return ::write(fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  }
  /// What arrives within `timeout`, until `size` bytes (or `until` appears) are there.
  std::string read(size_t size, std::chrono::milliseconds timeout, const std::string& until = "") {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.size() < size && std::chrono::steady_clock::now() < deadline) {
      if (!until.empty() && got.find(until) != std::string::npos) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[1024];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }

 private:
  explicit Tty(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// `count` messages through `tty`, each answered before the next (ST's echo keeps one message
/// per channel), sizes cycling up to the 496-byte payload; returns how many came back exact.
int echo_many(Tty& tty, int count, size_t tag) {
  const size_t sizes[] = {1, 2, 16, 63, 100, 255, 256, 400, 495, 496};
  int exact = 0;
  for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
    const size_t size = sizes[i % std::size(sizes)];
    std::string message(size, ' ');
    for (size_t k = 0; k < size; ++k) message[k] = static_cast<char>('A' + (i + k + tag) % 26);
    if (!tty.write(message)) break;
    const std::string echo = tty.read(size, 10s);
    if (echo != message) {
      ADD_FAILURE() << "message " << i << " (" << size << " bytes) came back as " << echo.size()
                    << " bytes";
      break;
    }
    ++exact;
  }
  return exact;
}

TEST_F(VendorFirmware, St215TtyEchoUnderUpEchoesOnEachTtyStopsWithAnAckAndRecovers) {
  const std::string image = SignEcho();
  fs::create_directories(dir_.path() / "up");
  fs::create_directories(dir_.path() / "ttys");
  UpProcess up(UpOptions{.dir = dir_.path() / "up",
                         .mount = false,
                         .firmware_path = {dir_.path().string()},
                         .extra = {"--platform", "stm32mp21", "--tty-dir", dir_ / "ttys"},
                         .quick_shutdown = false});
  std::string why;
  ASSERT_TRUE(up.start(why)) << why;
  auto ctl = [&](std::vector<std::string> words) {
    words.insert(words.begin(), {"ctl", "--socket", up.socket()});
    return run_rproctee(words);
  };
  ASSERT_EQ(ctl({"remoteproc0", "firmware", "st-tty-echo.sign"}).exit_code, 0);
  const auto started = ctl({"remoteproc0", "start"});
  ASSERT_EQ(started.exit_code, 0) << started.err << up.stderr_text();

  const fs::path dev = dir_.path() / "ttys" / "dev";
  {
    // The board's serial console: what the firmware printed on UART4 is waiting there.
    auto console = Tty::open(dev / "ttySTM0", kWait);
    ASSERT_TRUE(console) << up.stderr_text();
    const std::string banner = console->read(4096, kWait, "Virtual UART1");
    EXPECT_TRUE(has(banner, " Starting OpenAMP application (May 27 2025: 12:44:20) \r\n"))
        << banner;
    EXPECT_TRUE(has(banner, "Virtual UART0 OpenAMP-rpmsg channel creation\r\n")) << banner;

    auto tty0 = Tty::open(dev / "ttyRPMSG0", kWait);
    auto tty1 = Tty::open(dev / "ttyRPMSG1", kWait);
    ASSERT_TRUE(tty0 && tty1) << ctl({"dmesg"}).out;
    EXPECT_EQ(echo_many(*tty0, 200, 0), 200);
    EXPECT_EQ(echo_many(*tty1, 200, 7), 200);
    // The firmware reports each message on its console too (what nobody read while the
    // terminal was full is lost, as on a serial line: the first reports are there).
    EXPECT_TRUE(has(console->read(1 << 20, 2s), "Msg received on VIRTUAL UART0 channel:"));
  }

  // A crash (debugfs): recovered with a fresh load, both channels announced again.
  ASSERT_EQ(ctl({"remoteproc0", "crash", "0"}).exit_code, 0);
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  std::string log;
  while (!has(log = ctl({"dmesg"}).out, "recovery of m33 done")) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << log;
    std::this_thread::sleep_for(20ms);
  }
  {
    auto tty0 = Tty::open(dev / "ttyRPMSG0", kWait);
    ASSERT_TRUE(tty0) << ctl({"dmesg"}).out;
    EXPECT_EQ(echo_many(*tty0, 20, 3), 20);
  }

  // Stop: the shutdown request on IPCC channel 2 is acknowledged by the firmware.
  const auto stopped = ctl({"remoteproc0", "stop"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  log = ctl({"dmesg"}).out;
  EXPECT_TRUE(has(log, "stopped remote processor m33")) << log;
  EXPECT_FALSE(has(log, "shutdown without ack")) << log;
  EXPECT_FALSE(fs::exists(dev / "ttyRPMSG0"));
  EXPECT_FALSE(has(up.stderr_text(), "not modelled")) << up.stderr_text();
}

TEST_F(VendorFirmware, St257UsbPdRunsUntilAnUnmodelledPeripheralAndItIsNamed) {
  const auto r = run_rproctee({"run", usbpd_image().string(), "--platform", "stm32mp25", "--trust",
                               (shared_vectors_dir() / "keys" / "st_default.pub.pem").string(),
                               "--timeout", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // RCC, PWR (UCPDRDY), SYSCFG, RIFSC, GPIO, TIM6 and UART5 got it this far.
  EXPECT_TRUE(has(r.out, "m33 UART5:  Starting UCSI project(May 15 2025: 13:23:52) \n")) << r.out;
  EXPECT_TRUE(has(r.out, "m33 UART5: Enable UCPD regulator directly\n")) << r.out;
  EXPECT_THAT(r.err,
              ::testing::ContainsRegex("rproctee machine: m33 crashed: read of HPDMA3\\+0x1d0 "
                                       "\\(32-bit\\) at pc 0x80a[0-9a-f]{5}: HPDMA3 is not "
                                       "modelled"));
  // Crashing at every boot, it is recovered ever more slowly.
  EXPECT_TRUE(has(r.err,
                  "crashed 2 times in a row during its boot (within 1000 ms of its start): "
                  "recovery in 100 ms"))
      << r.err;
  // The final stop either cancels a waiting recovery or stops a freshly recovered core.
  EXPECT_TRUE(has(r.out,
                  "summary: st_mp257_usbpd_ucsi_cm33_ns.sign on rproctee virtual "
                  "STM32MP25"))
      << r.out;
}

TEST_F(VendorFirmware, St257UsbPdWithUnmodelledPeripheralsIgnoredGetsAWarningInstead) {
  const auto r = run_rproctee({"run", usbpd_image().string(), "--platform", "stm32mp25", "--trust",
                               (shared_vectors_dir() / "keys" / "st_default.pub.pem").string(),
                               "--timeout", "2", "--unmodelled", "ignore"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "rproctee machine: m33: warning: read of HPDMA3+0x1d0 (32-bit) at pc 0x"))
      << r.err;
  EXPECT_TRUE(has(r.err,
                  "HPDMA3 is not modelled (--unmodelled ignore: reads as zero, writes "
                  "dropped)"))
      << r.err;
  EXPECT_FALSE(has(r.err, "crashed")) << r.err;
}

}  // namespace
}  // namespace rproctee::test
