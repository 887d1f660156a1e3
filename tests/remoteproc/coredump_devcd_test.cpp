// The normal world's devcoredump path under the secure world's coredump policy, over both
// transports: a crash written to debugfs `crash` (sysfs `coredump` enabled) publishes
// devcdN/data from GET_COREDUMP; with the default policy it holds none of the bytes of the
// firewalled regions (the markers the firmware carries there), with "sealed" they appear only
// once the dump is opened with the debug key, with "full" they are there in clear. The normal
// world has nothing to hide them itself: the policy is the secure world's.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>
#include <string>

#include "image/sealed_core_open.hpp"
#include "remoteproc/platform_driver.hpp"
#include "tee/coredump_support.hpp"

namespace rproctee::test {
namespace {

using namespace coredump;  // NOLINT(google-build-using-namespace)

constexpr const char* kState0 = "sys/class/remoteproc/remoteproc0/state";
constexpr const char* kCoredump0 = "sys/class/remoteproc/remoteproc0/coredump";
constexpr const char* kCrash0 = "sys/kernel/debug/remoteproc/remoteproc0/crash";

class CoredumpDevcd : public ::testing::TestWithParam<TransportKind> {
 protected:
  void TearDown() override {
    nw_.reset();
    machine_.reset();
  }

  /// A machine with `config`, the normal world on it, the marker firmware booted.
  void Boot(MachineConfig config) {
    machine_ = std::make_unique<MachineUnderTest>(GetParam(), std::move(config));
    remoteproc::NormalWorldOptions options;
    options.firmware_path = {dir_.path().string()};
    options.echo_log = false;
    options.shutdown_timeout = std::chrono::milliseconds(10);  // the test core runs no code
    auto w = remoteproc::NormalWorld::create(machine_->tee_name(), std::move(options));
    ASSERT_TRUE(w) << w.error().message;
    nw_ = std::move(*w);
    write_bytes(dir_ / "fw.sign", marker_image(config_aes_));
    ASSERT_EQ(nw_->sysfs().write("sys/class/remoteproc/remoteproc0/firmware", "fw.sign"), 0);
    std::string mode;
    ASSERT_EQ(nw_->sysfs().read(kCoredump0, mode), 0);
    ASSERT_EQ(mode, "disabled\n");  // the kernel default
    ASSERT_EQ(nw_->sysfs().write(kCoredump0, "enabled"), 0);
    ASSERT_EQ(nw_->sysfs().write(kState0, "start"), 0) << nw_->log().contents();
    ASSERT_EQ(machine_->read(kCodeDa + kMarkerOffset, 64), code_marker());
  }

  /// `echo 1 > crash`, recovery, and the bytes of the one devcdN/data published.
  Bytes CrashAndReadDump() {
    EXPECT_EQ(nw_->sysfs().write(kCrash0, "1"), 0);
    nw_->rproc(0)->flush_crash_work();
    const auto list = nw_->dumps().list();
    EXPECT_EQ(list.size(), 1u) << nw_->log().contents();
    if (list.empty()) return {};
    std::string data;
    EXPECT_EQ(nw_->sysfs().read(fmt::format("sys/class/devcoredump/devcd{}/data", list[0]), data),
              0);
    std::string state;
    nw_->sysfs().read(kState0, state);
    EXPECT_EQ(state, "running\n") << nw_->log().contents();
    return Bytes(data.begin(), data.end());
  }

  TempDir dir_;
  std::optional<Bytes> config_aes_;
  std::unique_ptr<MachineUnderTest> machine_;
  std::unique_ptr<remoteproc::NormalWorld> nw_;
};

TEST_P(CoredumpDevcd, DefaultPolicyDumpHoldsNoFirewalledByte) {
  ASSERT_NO_FATAL_FAILURE(Boot({}));
  const Bytes dump = CrashAndReadDump();
  ASSERT_FALSE(dump.empty());
  const Core core = Core::parse(dump);
  EXPECT_FALSE(contains(dump, code_marker()));
  EXPECT_FALSE(contains(dump, data_marker()));
  EXPECT_FALSE(core.covers_any(kCodeDa, 0x800000));
  EXPECT_FALSE(core.covers_any(kDataDa, 0x800000));
  // The shared memory is there (the resource table as the normal world left it).
  EXPECT_TRUE(core.covers_any(kTableDa, 0x100));
}

TEST_P(CoredumpDevcd, SealedPolicyDumpOpensOnlyWithTheDebugKey) {
  ASSERT_NO_FATAL_FAILURE(Boot(policy_config("sealed", "rsa2048")));
  const Bytes dump = CrashAndReadDump();
  ASSERT_FALSE(dump.empty());
  EXPECT_FALSE(contains(dump, code_marker()));
  EXPECT_FALSE(contains(dump, data_marker()));
  auto key = crypto::PrivateKey::load_file(key_path("rsa2048", false), std::nullopt);
  ASSERT_TRUE(key);
  auto opened = image::open_sealed_coredump(dump, "devcd", *key, "rsa2048.pem");
  ASSERT_TRUE(opened) << opened.error().message;
  const Core plain = Core::parse(opened->elf);
  EXPECT_EQ(plain.at(kCodeDa + kMarkerOffset, 64), code_marker());
  EXPECT_EQ(plain.at(kDataDa + kMarkerOffset, 64), data_marker());
}

TEST_P(CoredumpDevcd, FullPolicyDumpHoldsEverything) {
  ASSERT_NO_FATAL_FAILURE(Boot(policy_config("full")));
  const Core core = Core::parse(CrashAndReadDump());
  EXPECT_EQ(core.at(kCodeDa + kMarkerOffset, 64), code_marker());
  EXPECT_EQ(core.at(kDataDa + kMarkerOffset, 64), data_marker());
}

TEST_P(CoredumpDevcd, EncryptedImageFullPolicyDumpHoldsNoPlaintext) {
  config_aes_ = st_aes_key();
  if (!config_aes_) GTEST_SKIP() << "needs ../shared/vectors (ST's AES test key)";
  ASSERT_NO_FATAL_FAILURE(Boot(policy_config("full", "", config_aes_)));
  const Bytes dump = CrashAndReadDump();
  ASSERT_FALSE(dump.empty());
  EXPECT_FALSE(contains(dump, code_marker()));
  EXPECT_FALSE(contains(dump, data_marker()));
}

INSTANTIATE_TEST_SUITE_P(Transports, CoredumpDevcd,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         ta_attack::transport_param_name);

}  // namespace
}  // namespace rproctee::test
