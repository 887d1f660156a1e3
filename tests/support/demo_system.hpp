// The whole system with firmware that really runs, for tests: the demo firmware (firmware/,
// signed at build time) on a machine with emulated cores, the normal world on it and the
// rpmsg bus, plus the waits such tests need. Tests skip when the firmware was not built.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/fault_injection.hpp"
#include "remoteproc/platform_driver.hpp"
#include "rpmsg/bus.hpp"
#include "rpmsg/channel.hpp"
#include "rpmsg/rpmsg_device.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {

using Bytes = std::vector<uint8_t>;

#ifdef RPROCTEE_DEMO_FIRMWARE_DIR
inline const std::filesystem::path kDemoDir = RPROCTEE_DEMO_FIRMWARE_DIR;
#else
inline const std::filesystem::path kDemoDir;
#endif
// Generous: the suite also runs under ASan on a loaded 2-core machine. Never a speed check.
inline constexpr auto kWait = std::chrono::seconds(20);

inline Bytes text_bytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

/// The normal world on `machine` that finds firmware in the demo folder, then in `dir`; its
/// kernel log stays off stderr.
inline Result<std::unique_ptr<remoteproc::NormalWorld>> demo_normal_world(
    MachineUnderTest& machine, const std::filesystem::path& dir) {
  remoteproc::NormalWorldOptions options;
  options.firmware_path = {kDemoDir.string(), dir.string()};
  options.echo_log = false;
  return remoteproc::NormalWorld::create(machine.tee_name(), std::move(options));
}

/// The whole system in this process with the demo firmware: a machine with emulated cores
/// served on a socket, the normal world on it, the rpmsg bus installed.
class DemoSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kDemoDir.empty() || !std::filesystem::exists(kDemoDir / "demo-m33.sign"))
      GTEST_SKIP() << "the demo firmware was not built (arm-none-eabi-gcc missing)";
    bus_ = &rpmsg::install();
  }
  void TearDown() override {
    disarm_faults();
    nw_.reset();
    machine_.reset();
    rpmsg::uninstall();  // the bus is process-wide: later tests expect untouched vdevs
  }

  void Start(const std::string& preset = "stm32mp25", bool emulate = true) {
    MachineConfig config;
    config.preset = preset;
    config.emulate_cores = emulate;
    machine_ = std::make_unique<MachineUnderTest>(TransportKind::kSocket, config);
    auto w = demo_normal_world(*machine_, dir_.path());
    ASSERT_TRUE(w) << w.error().message;
    nw_ = std::move(*w);
  }

  /// Boots `firmware` (a file name in the demo or the test folder) on processor 0.
  void Boot(const std::string& firmware) {
    ASSERT_EQ(rproc().set_firmware(firmware), 0);
    ASSERT_EQ(rproc().boot(), 0) << Log();
  }

  remoteproc::Rproc& rproc() { return *nw_->rproc(0); }
  std::string Log() { return nw_->log().contents(); }
  std::string Trace() {
    std::string out;
    nw_->sysfs().read("sys/kernel/debug/remoteproc/remoteproc0/trace0", out);
    return out;
  }

  /// Polls `done` until it holds or kWait passes.
  template <typename F>
  bool Eventually(F done) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }
  bool TraceShows(const std::string& text) {
    return Eventually([&] { return Trace().find(text) != std::string::npos; });
  }

  /// The "rpmsg-tty" channel the firmware announces after DRIVER_OK.
  std::shared_ptr<rpmsg::Channel> TtyChannel() {
    auto device = bus_->wait_device(rproc(), kWait);
    EXPECT_NE(device, nullptr) << Log();
    if (!device) return nullptr;
    auto channel = device->wait_channel("rpmsg-tty", kWait);
    EXPECT_NE(channel, nullptr) << Log() << Trace();
    return channel;
  }

  /// Sends `payload` and returns the next message (empty on timeout).
  Bytes Exchange(rpmsg::Channel& channel, const Bytes& payload) {
    auto sent = channel.send(payload);
    EXPECT_TRUE(sent) << sent.error().message;
    return channel.receive(kWait).value_or(Bytes{});
  }

  /// Waits for the crash worker to have recovered the processor after crash number `n`.
  bool RecoveredFrom(uint32_t n) {
    return Eventually([&] {
      return rproc().crash_count() >= n && rproc().state() == remoteproc::RprocState::kRunning &&
             Log().find("recovery of m33 done") != std::string::npos;
    });
  }

  rpmsg::Bus* bus_ = nullptr;
  TempDir dir_;
  std::unique_ptr<MachineUnderTest> machine_;
  std::unique_ptr<remoteproc::NormalWorld> nw_;
};

}  // namespace rproctee::test
