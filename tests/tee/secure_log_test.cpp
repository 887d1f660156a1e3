// The secure world's log (tee/log.hpp): the kernel-log style of the normal world with OP-TEE's
// level letters, "[    1.234567] E/remoteproc TA: m33: ...", and the TA, the TEE core and the
// platform service writing through it instead of bare fprintf.
#include <gtest/gtest.h>

#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "support/machine_fixture.hpp"
#include "tee/log.hpp"

namespace rproctee::test {
namespace {

using tee::LogLevel;

/// Collects the lines logged while it lives.
class CapturedLog {
 public:
  CapturedLog() {
    previous_ = tee::set_log_sink([this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  ~CapturedLog() { tee::set_log_sink(std::move(previous_)); }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  tee::LogSink previous_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST(SecureLog, KernelStyleLinesWithOpteeLevelLetters) {
  EXPECT_EQ(tee::format_log_line(1.234567, LogLevel::kError, "remoteproc TA", "m33: refused"),
            "[    1.234567] E/remoteproc TA: m33: refused\n");
  EXPECT_EQ(tee::format_log_line(0.0000004, LogLevel::kWarning, "machine", "x"),
            "[    0.000000] W/machine: x\n");
  EXPECT_EQ(tee::format_log_line(12345.5, LogLevel::kInfo, "tee", "y"),
            "[12345.500000] I/tee: y\n");
  EXPECT_EQ(tee::log_level_letter(LogLevel::kDebug), "D");
}

TEST(SecureLog, LinesAreTimestampedFromTheProcessStart) {
  CapturedLog captured;
  tee::log(LogLevel::kInfo, "remoteproc PTA", "{} of {}", 1, 2);
  tee::log(LogLevel::kError, "remoteproc PTA", "second");
  const auto lines = captured.lines();
  ASSERT_EQ(lines.size(), 2u);
  const std::regex line(R"(\[ *(\d+\.\d{6})\] ([EWID])/remoteproc PTA: (.*)\n)");
  std::smatch a, b;
  ASSERT_TRUE(std::regex_match(lines[0], a, line)) << lines[0];
  ASSERT_TRUE(std::regex_match(lines[1], b, line)) << lines[1];
  EXPECT_EQ(lines[0].find(']'), 13u);  // "[" + 12 characters, as dmesg
  EXPECT_EQ(a[2], "I");
  EXPECT_EQ(a[3], "1 of 2");
  EXPECT_EQ(b[2], "E");
  EXPECT_LE(std::stod(a[1]), std::stod(b[1]));
}

TEST(SecureLog, TheTaLogsARefusalThroughIt) {
  MachineUnderTest m(TransportKind::kInProcess);
  RprocClient c(m.tee_name());
  ASSERT_TRUE(c.initialized());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  CapturedLog captured;
  EXPECT_EQ(c.start(), TEEC_ERROR_BAD_STATE);
  const auto lines = captured.lines();
  ASSERT_EQ(lines.size(), 1u);
  const std::regex refusal(
      R"(\[ *\d+\.\d{6}\] E/remoteproc TA: \S+: START_FW rejected: no firmware is loaded )"
      R"(\[TEE_ERROR_BAD_STATE 0xffff0007\]\n)");
  EXPECT_TRUE(std::regex_match(lines[0], refusal)) << lines[0];
}

}  // namespace
}  // namespace rproctee::test
