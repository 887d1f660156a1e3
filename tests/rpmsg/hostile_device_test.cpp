// A malicious or broken firmware writing the vrings and buffers: every bad used entry, length
// or name-service message is dropped and counted, nothing crashes, the host never reads or
// writes outside the vring and buffer memory, and good traffic after a bad entry still works
// (except after a used.idx jump, which marks the vring broken as Linux does).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "rpmsg/rpmsg_fixture.hpp"
#include "rpmsg/wire.hpp"

namespace rproctee::test {
namespace {

using rpmsg::NsAction;

class HostileDevice : public RpmsgFixture {
 protected:
  void SetUp() override {
    ASSERT_EQ(start(), 0);
    fake_.set_echo(false);
  }

  /// Takes an RX buffer, writes `header` + `payload_bytes` of payload into it and publishes
  /// it with used.len `used_len`.
  void deliver(rpmsg::Header h, size_t payload_bytes, uint32_t used_len) {
    const auto id = fake_.take_rx_buffer();
    ASSERT_TRUE(id);
    auto buf = fake_.buffer_at(fake_.desc(0, *id).addr, 512);
    ASSERT_EQ(buf.size(), 512u);
    std::vector<uint8_t> payload(payload_bytes, 0x5A);
    rpmsg::write_message(buf, h, payload);
    fake_.push_used_raw(0, *id, used_len);
    fake_.interrupt(0);
    fake_.settle();
  }

  /// The firmware still talks normally afterwards.
  void expect_still_working() {
    auto ch = announce("after");
    ASSERT_TRUE(ch) << port_.logs();
  }
};

TEST_F(HostileDevice, UsedIndexJumpingPastNumBreaksTheVring) {
  fake_.set_used_idx(0, static_cast<uint16_t>(fake_.num() + 1));
  fake_.interrupt(0);
  fake_.settle();
  const auto s = dev_->stats();
  EXPECT_TRUE(s.rx_broken);
  EXPECT_EQ(s.rx_messages, 0u);
  EXPECT_NE(port_.logs().find("vring0 is broken"), std::string::npos) << port_.logs();
  // Later interrupts are ignored, without reading anything.
  fake_.interrupt(0);
  EXPECT_EQ(dev_->stats().rx_messages, 0u);
}

TEST_F(HostileDevice, UsedIndexGoingBackwardsBreaksTheVring) {
  fake_.set_used_idx(0, 0xFFFF);
  fake_.interrupt(0);
  EXPECT_TRUE(dev_->stats().rx_broken);
}

TEST_F(HostileDevice, TxUsedIndexJumpFailsSendersClearly) {
  auto ch = announce();
  ASSERT_TRUE(ch);
  fake_.set_used_idx(1, 0x8000);
  fake_.interrupt(1);
  const auto r = ch->send(std::vector<uint8_t>{1}, 100ms);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("vring1 broken"), std::string::npos) << r.error().message;
}

TEST_F(HostileDevice, UsedIdOutOfRangeIsDropped) {
  for (uint32_t id : {fake_.num(), 0xFFFFu, 0xFFFFFFFFu}) fake_.push_used_raw(0, id, 32);
  fake_.interrupt(0);
  fake_.settle();
  EXPECT_EQ(dev_->stats().rx_invalid, 3u);
  EXPECT_FALSE(dev_->stats().rx_broken);
  expect_still_working();
}

TEST_F(HostileDevice, UsedIdNotHeldByTheDeviceIsDropped) {
  // Returning the same buffer twice must not post it twice.
  const auto id = fake_.take_rx_buffer();
  ASSERT_TRUE(id);
  auto buf = fake_.buffer_at(fake_.desc(0, *id).addr, 512);
  const auto ns = rpmsg::encode_ns_message("twice", 1, NsAction::kCreate);
  rpmsg::write_message(buf, {1, rpmsg::kNameServiceAddr, 0, 40, 0}, ns);
  fake_.push_used_raw(0, *id, 56);
  fake_.push_used_raw(0, *id, 56);
  fake_.interrupt(0);
  fake_.settle();
  EXPECT_EQ(dev_->stats().rx_invalid, 1u);
  EXPECT_EQ(dev_->channels().size(), 1u);
  EXPECT_EQ(static_cast<uint16_t>(fake_.avail_idx(0) - fake_.num()), 1u);  // reposted once
}

TEST_F(HostileDevice, UsedLengthOutsideTheBufferIsDropped) {
  deliver({1, rpmsg::kNameServiceAddr, 0, 40, 0}, 40, 513);
  deliver({1, rpmsg::kNameServiceAddr, 0, 40, 0}, 40, 0xFFFFFFFF);
  deliver({1, rpmsg::kNameServiceAddr, 0, 0, 0}, 0, 15);
  EXPECT_EQ(dev_->stats().rx_invalid, 3u);
  EXPECT_TRUE(dev_->channels().empty());
  expect_still_working();
}

TEST_F(HostileDevice, RpmsgLengthBeyondUsedLengthIsDropped) {
  deliver({1, 0x400, 0, 100, 0}, 100, 16 + 99);
  deliver({1, 0x400, 0, 497, 0}, 0, 512);
  deliver({1, 0x400, 0, 0xFFFF, 0}, 0, 512);
  EXPECT_EQ(dev_->stats().rx_invalid, 3u);
  expect_still_working();
}

TEST_F(HostileDevice, NameWithoutNulIsRefused) {
  auto ns = rpmsg::encode_ns_message("x", 1, NsAction::kCreate);
  std::memset(ns.data(), 'A', 32);
  ASSERT_TRUE(fake_.send(1, rpmsg::kNameServiceAddr, ns));
  fake_.settle();
  EXPECT_TRUE(dev_->channels().empty());
  EXPECT_EQ(dev_->stats().ns_invalid, 1u);
  EXPECT_NE(port_.logs().find("not NUL-terminated"), std::string::npos) << port_.logs();
  expect_still_working();
}

TEST_F(HostileDevice, NameServiceMessageOfWrongSizeIsRefused) {
  for (size_t n : {0u, 1u, 39u, 41u, 496u}) {
    auto ns = rpmsg::encode_ns_message("rpmsg-tty", 1, NsAction::kCreate);
    ns.resize(n, 0);
    ASSERT_TRUE(fake_.send(1, rpmsg::kNameServiceAddr, ns));
  }
  fake_.settle();
  EXPECT_TRUE(dev_->channels().empty());
  EXPECT_EQ(dev_->stats().ns_invalid, 5u);
}

TEST_F(HostileDevice, DuplicateUnknownAndFloodingAnnouncementsAreRefused) {
  ASSERT_TRUE(announce("dup"));
  ASSERT_TRUE(fake_.announce("dup", FakeRpmsgDevice::kDeviceAddr, NsAction::kCreate));
  ASSERT_TRUE(fake_.announce("ghost", 0x77, NsAction::kDestroy));
  fake_.settle();
  EXPECT_EQ(dev_->channels().size(), 1u);
  EXPECT_EQ(dev_->stats().ns_invalid, 2u);
  // More than max_channels: cut off (announced in batches the host keeps up with).
  for (uint32_t i = 0; i < 80; ++i) {
    if (!fake_.announce("flood", 0x100 + i, NsAction::kCreate)) {
      fake_.settle();
      ASSERT_TRUE(fake_.announce("flood", 0x100 + i, NsAction::kCreate));
    }
    fake_.settle();
  }
  EXPECT_EQ(dev_->channels().size(), dev_->options().max_channels);
}

TEST_F(HostileDevice, MessageToUnknownAddressIsDroppedWithRateLimitedLog) {
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(fake_.send(1, 0x999, std::vector<uint8_t>{1, 2, 3}));
    fake_.settle();
  }
  EXPECT_EQ(dev_->stats().rx_no_endpoint, 40u);
  const std::string logs = port_.logs();
  size_t lines = 0;
  for (size_t p = logs.find("unbound address"); p != std::string::npos;
       p = logs.find("unbound address", p + 1))
    ++lines;
  EXPECT_EQ(lines, 10u + 2u);  // the first 10, then 16 and 32
  expect_still_working();
}

TEST_F(HostileDevice, ScribbledDescriptorsAreRewrittenOnRepost) {
  // The device overwrites the descriptor of a buffer, then returns it: the host reposts it
  // with the right address again.
  const auto id = fake_.take_rx_buffer();
  ASSERT_TRUE(id);
  auto ring = fake_.vring_memory(0);
  std::memset(ring.data() + 16 * *id, 0xFF, 16);
  fake_.push_used_raw(0, *id, 16);
  fake_.interrupt(0);
  fake_.settle();
  const auto d = fake_.desc(0, *id);
  EXPECT_EQ(d.addr, FakeRpmsgDevice::kBufferDa + uint64_t{*id} * 512);
  EXPECT_EQ(d.len, 512u);
}

TEST_F(HostileDevice, RandomSharedMemoryNeverCrashesTheHost) {
  // The firmware scribbles random bytes over both vrings and every buffer between
  // interrupts (a poor man's fuzzer; run it under the sanitizers).
  auto ch = announce("rpmsg-tty");
  ASSERT_TRUE(ch);
  std::mt19937 rng(1234);
  auto scribble = [&](std::span<uint8_t> m, size_t count) {
    for (size_t i = 0; i < count; ++i) m[rng() % m.size()] = static_cast<uint8_t>(rng());
  };
  for (int round = 0; round < 2000; ++round) {
    scribble(fake_.vring_memory(0), 64);
    scribble(fake_.vring_memory(1), 64);
    scribble(fake_.buffer_memory(), 256);
    fake_.interrupt(round % 2 ? 0u : 1u);
    (void)ch->send(std::vector<uint8_t>{1, 2, 3}, 1ms);
  }
  fake_.settle();
  const auto s = dev_->stats();
  EXPECT_GT(s.rx_invalid + s.rx_no_endpoint + s.ns_invalid + (s.rx_broken ? 1 : 0), 0u);
}

}  // namespace
}  // namespace rproctee::test
