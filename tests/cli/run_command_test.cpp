// `rproctee run`, the main job, as a user runs it: the machine as a child process, the bundled
// demo firmware authenticated and run, the trace and the rpmsg exchange on stdout, a summary
// (or JSON), a clean stop; a refused image exits 1 with the TA's reason and code.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "support/demo_system.hpp"  // kDemoDir
#include "support/image_crafting.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using Bytes = std::vector<uint8_t>;

class RunCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kDemoDir.empty() || !std::filesystem::exists(kDemoDir / "demo-m33.sign"))
      GTEST_SKIP() << "the demo firmware was not built (arm-none-eabi-gcc missing)";
  }
};

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST_F(RunCommand, BootsTheBundledDemoPrintsItsTraceAndTheEchoesAndStopsCleanly) {
  const auto r = run_rproctee({"run", "--send", "hello board", "--send", "version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "trace: rproctee demo firmware 1.0.0 on cortex-m33 (demo-m33)\n"))
      << r.out;
  EXPECT_TRUE(has(r.out, "rpmsg-tty > hello board\nrpmsg-tty < hello board  (")) << r.out;
  EXPECT_TRUE(has(r.out, "rpmsg-tty < rproctee demo firmware 1.0.0 on cortex-m33 (demo-m33)"))
      << r.out;
  EXPECT_TRUE(has(r.out, "summary: demo-m33.sign on rproctee virtual STM32MP25")) << r.out;
  EXPECT_TRUE(has(r.out, "(firmware acknowledged the shutdown)")) << r.out;
  EXPECT_TRUE(has(r.err, "remoteproc remoteproc0: remote processor m33 is now up")) << r.err;
}

// The firmware's words reach the terminal as text only: an escape sequence in an echo (or in
// a trace line) is shown, never sent to the terminal, as the kernel's %pE does.
TEST_F(RunCommand, ControlBytesFromTheFirmwareAreShownNotSentToTheTerminal) {
  const auto r = run_rproctee({"run", "--send", "\x1b]0;owned\x07\x1b[2Jred"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "rpmsg-tty < \\x1b]0;owned\\x07\\x1b[2Jred  (")) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x07'), std::string::npos) << r.out;
}

TEST_F(RunCommand, JsonSummaryOnStdoutOnly) {
  const auto r = run_rproctee({"run", "--json", "--send", "ping"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["banner"], "rproctee demo firmware 1.0.0 on cortex-m33 (demo-m33)");
  EXPECT_EQ(j["channel"], "rpmsg-tty");
  EXPECT_EQ(j["round_trips_ms"].size(), 1u);
  EXPECT_GT(j["authenticate_and_load_ms"].get<double>(), 0.0);
  EXPECT_GE(j["boot_to_first_trace_ms"].get<double>(), 0.0);
  EXPECT_TRUE(j["shutdown_acknowledged"].get<bool>());
  EXPECT_EQ(j["schema"], 1);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(has(r.err, "rpmsg-tty < ping")) << r.err;  // the exchange went to stderr

  // A run that stops early prints the same keys, null where it did not get.
  const auto failed = run_rproctee({"run", "--json", "/nonexistent/fw.sign"});
  EXPECT_EQ(failed.exit_code, 1);
  const auto f = nlohmann::json::parse(failed.out, nullptr, false);
  ASSERT_FALSE(f.is_discarded()) << failed.out;
  std::vector<std::string> keys, failed_keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  for (const auto& [key, value] : f.items()) failed_keys.push_back(key);
  EXPECT_EQ(failed_keys, keys);
  EXPECT_FALSE(f["ok"].get<bool>());
  EXPECT_EQ(f["error"]["tee_error_name"], "TEE_ERROR_ITEM_NOT_FOUND");
  EXPECT_TRUE(f["platform"].is_null());
  EXPECT_TRUE(f["stop_ms"].is_null());
  EXPECT_EQ(f["image"], "fw.sign");
}

TEST_F(RunCommand, TheM4PresetRunsItsOwnDemo) {
  const auto r = run_rproctee({"run", "--platform", "stm32mp15", "--send", "m4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "trace: rproctee demo firmware 1.0.0 on cortex-m4 (demo-m4)\n")) << r.out;
  EXPECT_TRUE(has(r.out, "rpmsg-tty < m4  (")) << r.out;
}

TEST_F(RunCommand, TheMp21PresetRunsItsOwnDemo) {
  const auto r = run_rproctee({"run", "--platform", "stm32mp21", "--send", "mp21"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "trace: rproctee demo firmware 1.0.0 on cortex-m33 (demo-m33-mp21)\n"))
      << r.out;
  EXPECT_TRUE(has(r.out, "rpmsg-tty < mp21  (")) << r.out;
  EXPECT_TRUE(has(r.out, "summary: demo-m33-mp21.sign on rproctee virtual STM32MP215")) << r.out;
  EXPECT_TRUE(has(r.out, "(firmware acknowledged the shutdown)")) << r.out;
}

TEST_F(RunCommand, ACrashDuringTheExchangeIsRecoveredAndTheNextMessageAnswered) {
  const auto r =
      run_rproctee({"run", "--send", "fault", "--send", "still here", "--timeout", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "no answer to \"fault\": the firmware crashed (crash #1), was recovered"))
      << r.err;
  EXPECT_TRUE(has(r.out, "rpmsg-tty < still here  (")) << r.out;
}

TEST_F(RunCommand, ATamperedImageIsRefusedWithTheTaReasonAndExitOne) {
  TempDir dir;
  Bytes image = read_bytes(kDemoDir / "demo-m33.sign");
  RawImage raw = decompose(image);
  raw.images[0][0x1040] ^= 0xFF;  // inside the code segment, after signing
  write_bytes(dir / "tampered.sign", assemble_raw(raw));
  const auto r = run_rproctee({"run", dir / "tampered.sign"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "tampered.sign did not boot: TEE LOAD_FW failed")) << r.err;
  EXPECT_TRUE(has(r.err, "does not match the signed digest")) << r.err;
  EXPECT_TRUE(has(r.err, "[TEE_ERROR_SECURITY 0xffff000f]")) << r.err;
  EXPECT_FALSE(has(r.out, "trace:")) << r.out;  // nothing ran
}

TEST_F(RunCommand, MissingImageAndBadProcessorAreClearErrors) {
  auto r = run_rproctee({"run", "/nonexistent/fw.sign"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "no image file /nonexistent/fw.sign")) << r.err;
  r = run_rproctee({"run", "--processor", "3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "--processor 3: the platform has 1 processor(s)")) << r.err;
}

}  // namespace
}  // namespace rproctee::test
