// The tty bridge: an "rpmsg-tty" channel becomes DIR/dev/ttyRPMSGn (a symlink to a pty),
// bytes written to the tty reach the firmware, the firmware's messages are read from the tty,
// long writes are cut into messages of at most 496 bytes, and the link disappears with the
// channel. Other channels get no tty.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "rpmsg/rpmsg_fixture.hpp"
#include "rpmsg/tty_bridge.hpp"
#include "rpmsg/wire.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;
using rpmsg::NsAction;

/// Reads from `fd` until `n` bytes came or `timeout` passed.
std::string read_some(int fd, size_t n, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    char buf[1024];
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got > 0) out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

class TtyBridgeTest : public RpmsgFixture {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rpmsg-tty-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    ASSERT_EQ(start(), 0);
    bridge_ = std::make_unique<rpmsg::TtyBridge>(dir_);
    bridge_->watch(dev_);
  }
  void TearDown() override {
    bridge_.reset();
    RpmsgFixture::TearDown();
    fs::remove_all(dir_);
  }

  /// Collects what the firmware received until `n` bytes came.
  std::string firmware_got(size_t n) {
    std::string out;
    while (out.size() < n) {
      const auto m = fake_.wait_message(2s);
      if (!m) break;
      EXPECT_LE(m->payload.size(), rpmsg::kMaxPayload);
      out.append(m->payload.begin(), m->payload.end());
    }
    return out;
  }

  fs::path dir_;
  std::unique_ptr<rpmsg::TtyBridge> bridge_;
};

TEST_F(TtyBridgeTest, TtyChannelBecomesALinkedPty) {
  ASSERT_TRUE(announce("rpmsg-tty"));
  const fs::path link = dir_ / "dev" / "ttyRPMSG0";
  ASSERT_TRUE(fs::is_symlink(link));
  const auto target = fs::read_symlink(link);
  EXPECT_EQ(target.string().rfind("/dev/pts/", 0), 0u) << target;
  ASSERT_EQ(bridge_->ttys().size(), 1u);
  EXPECT_EQ(bridge_->ttys()[0].pty, target.string());

  // echo hello > LINK
  {
    const int fd = open(link.c_str(), O_WRONLY | O_NOCTTY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "hello\n", 6), 6);
    close(fd);
  }
  EXPECT_EQ(firmware_got(6), "hello\n");

  // The firmware writes; cat LINK shows it.
  const int fd = open(link.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  auto ch = dev_->find_channel("rpmsg-tty");
  const std::string text = "from the M33\r\n";
  ASSERT_TRUE(fake_.send(FakeRpmsgDevice::kDeviceAddr, ch->local_addr(),
                         std::vector<uint8_t>(text.begin(), text.end())));
  EXPECT_EQ(read_some(fd, text.size(), 2s), text);
  close(fd);

  // The channel goes away: so does the link.
  ASSERT_TRUE(fake_.announce("rpmsg-tty", FakeRpmsgDevice::kDeviceAddr, NsAction::kDestroy));
  fake_.settle();
  EXPECT_FALSE(fs::exists(fs::symlink_status(link)));
  EXPECT_TRUE(bridge_->ttys().empty());
}

TEST_F(TtyBridgeTest, LongWritesAreCutInto496ByteMessages) {
  ASSERT_TRUE(announce("rpmsg-tty-channel"));  // the legacy name
  const fs::path link = dir_ / "dev" / "ttyRPMSG0";
  const int fd = open(link.c_str(), O_WRONLY | O_NOCTTY);
  ASSERT_GE(fd, 0);
  std::string big;
  for (int i = 0; i < 3000; ++i) big.push_back(static_cast<char>('a' + i % 26));
  ASSERT_EQ(write(fd, big.data(), big.size()), static_cast<ssize_t>(big.size()));
  close(fd);
  EXPECT_EQ(firmware_got(big.size()), big);
}

TEST_F(TtyBridgeTest, NumbersFollowAnnounceOrderAndOtherChannelsGetNoTty) {
  ASSERT_TRUE(announce("rpmsg-raw"));
  ASSERT_TRUE(fake_.announce("rpmsg-tty", 0x10, NsAction::kCreate));
  ASSERT_TRUE(fake_.announce("rpmsg-tty", 0x11, NsAction::kCreate));
  fake_.settle();
  const auto ttys = bridge_->ttys();
  ASSERT_EQ(ttys.size(), 2u);
  EXPECT_EQ(ttys[0].link.filename(), "ttyRPMSG0");
  EXPECT_EQ(ttys[0].remote_addr, 0x10u);
  EXPECT_EQ(ttys[1].link.filename(), "ttyRPMSG1");
  EXPECT_EQ(ttys[1].remote_addr, 0x11u);
  EXPECT_FALSE(fs::exists(dir_ / "dev" / "ttyRPMSG2"));
}

TEST_F(TtyBridgeTest, DeviceStopRemovesEveryTty) {
  ASSERT_TRUE(announce("rpmsg-tty"));
  ASSERT_TRUE(fs::is_symlink(dir_ / "dev" / "ttyRPMSG0"));
  dev_->stop(false);
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "dev" / "ttyRPMSG0")));
  EXPECT_TRUE(bridge_->ttys().empty());
}

}  // namespace
}  // namespace rproctee::test
