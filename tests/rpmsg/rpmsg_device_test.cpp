// The host side of virtio-rpmsg against a fake firmware: the layout the host initialises (RX
// buffers posted with their device addresses before DRIVER_OK), name-service channels, echo of
// every payload size, the 496-byte limit, TX buffer exhaustion, time-outs, concurrent senders,
// and stop while a sender waits.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "remoteproc/vdev.hpp"
#include "rpmsg/rpmsg_fixture.hpp"
#include "rpmsg/wire.hpp"

namespace rproctee::test {
namespace {

using rpmsg::NsAction;

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

using RpmsgDevice = RpmsgFixture;

TEST_F(RpmsgDevice, StartPostsEveryRxBufferBeforeDriverOk) {
  ASSERT_EQ(start(), 0) << port_.logs();
  const uint32_t num = fake_.num();
  // Status: the driver bits, DRIVER_OK last.
  const auto history = port_.status_history();
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history.back(), remoteproc::kVirtioAcknowledge | remoteproc::kVirtioDriver |
                                remoteproc::kVirtioDriverOk);
  // At DRIVER_OK every RX buffer was already available.
  const auto snapshot = port_.vring0_at_driver_ok();
  ASSERT_FALSE(snapshot.empty());
  EXPECT_EQ(snapshot[16 * num + 2] | (snapshot[16 * num + 3] << 8), static_cast<int>(num));
  EXPECT_EQ(fake_.avail_idx(0), num);
  std::set<uint16_t> ids;
  for (uint32_t slot = 0; slot < num; ++slot) {
    const uint16_t id = fake_.avail_entry(0, slot);
    ids.insert(id);
    const auto d = fake_.desc(0, id);
    EXPECT_EQ(d.addr, FakeRpmsgDevice::kBufferDa + uint64_t{id} * 512) << "desc " << id;
    EXPECT_EQ(d.len, 512u);
    EXPECT_EQ(d.flags, rpmsg::kDescFlagWrite);
  }
  EXPECT_EQ(ids.size(), num);  // each buffer once
  // Nothing on vring1 until something is sent; vring0 kicked once.
  EXPECT_EQ(fake_.avail_idx(1), 0);
  EXPECT_EQ(fake_.used_idx(0), 0);
  EXPECT_EQ(port_.kicks(0), 1u);
  EXPECT_EQ(dev_->free_tx_buffers(), num);
  EXPECT_EQ(dev_->start(), -EBUSY);
}

TEST_F(RpmsgDevice, StartZeroesWhatTheVringsHeldBefore) {
  std::fill(fake_.vring_memory(1).begin(), fake_.vring_memory(1).end(), uint8_t{0xEE});
  ASSERT_EQ(start(), 0);
  EXPECT_EQ(fake_.avail_idx(1), 0);
  EXPECT_EQ(fake_.used_idx(1), 0);
}

TEST_F(RpmsgDevice, MissingOrSmallCarveoutIsENOMEM) {
  port_.no_buffers = true;
  EXPECT_EQ(start(), -ENOMEM);
  EXPECT_NE(port_.logs().find("no vdev buffer carveout"), std::string::npos) << port_.logs();
  EXPECT_TRUE(port_.status_history().empty());  // DRIVER_OK never set
}

TEST_F(RpmsgDevice, TooSmallCarveoutIsENOMEM) {
  auto m = fake_.buffer_mapping();
  m.size = 2 * 16 * 512 - 1;
  port_.buffer_override = m;
  EXPECT_EQ(start(), -ENOMEM);
  EXPECT_NE(port_.logs().find("0x3fff bytes"), std::string::npos) << port_.logs();
}

TEST_F(RpmsgDevice, UnusableVringsAreEINVAL) {
  auto v = fake_.vrings();
  v[0].num = 12;  // not a power of two
  port_.vring_override = v;
  EXPECT_EQ(start(), -EINVAL);
  v = fake_.vrings();
  v[1].notifyid = 0;  // both vrings on one notify id
  port_.vring_override = v;
  dev_.reset();
  EXPECT_EQ(start(), -EINVAL);
  port_.vring_override = {fake_.vrings()[0]};
  EXPECT_EQ(start(), -EINVAL);
}

TEST_F(RpmsgDevice, NameServiceCreatesAndDestroysChannels) {
  ASSERT_EQ(start(), 0);
  std::vector<std::string> events;
  std::mutex m;
  const uint64_t sub = dev_->subscribe({[&](const std::shared_ptr<rpmsg::Channel>& c) {
                                          std::lock_guard l(m);
                                          events.push_back("+" + c->name());
                                        },
                                        [&](const std::shared_ptr<rpmsg::Channel>& c) {
                                          std::lock_guard l(m);
                                          events.push_back("-" + c->name());
                                        }});
  auto tty = announce("rpmsg-tty");
  ASSERT_TRUE(tty);
  EXPECT_EQ(tty->remote_addr(), FakeRpmsgDevice::kDeviceAddr);
  EXPECT_EQ(tty->local_addr(), rpmsg::kFirstDynamicAddr);
  ASSERT_TRUE(fake_.announce("rpmsg-raw", 0x2, NsAction::kCreate));
  auto raw = dev_->wait_channel("rpmsg-raw", 2s);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->local_addr(), rpmsg::kFirstDynamicAddr + 1);
  EXPECT_EQ(dev_->channels().size(), 2u);

  ASSERT_TRUE(fake_.announce("rpmsg-tty", FakeRpmsgDevice::kDeviceAddr, NsAction::kDestroy));
  fake_.settle();
  EXPECT_EQ(dev_->find_channel("rpmsg-tty"), nullptr);
  EXPECT_TRUE(tty->closed());
  EXPECT_FALSE(tty->send(pattern(4, 1)));  // the object is still valid, its use fails
  EXPECT_EQ(dev_->channels().size(), 1u);
  {
    std::lock_guard l(m);
    EXPECT_EQ(events, (std::vector<std::string>{"+rpmsg-tty", "+rpmsg-raw", "-rpmsg-tty"}));
  }
  // The freed address is reused by the next channel.
  auto again = announce("rpmsg-tty");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->local_addr(), rpmsg::kFirstDynamicAddr);
  dev_->unsubscribe(sub);
}

TEST_F(RpmsgDevice, EchoOfEveryPayloadSize) {
  ASSERT_EQ(start(), 0);
  fake_.set_echo(true);
  auto tty = announce();
  ASSERT_TRUE(tty);
  for (size_t n = 1; n <= rpmsg::kMaxPayload; ++n) {
    const auto sent = pattern(n, static_cast<uint8_t>(n));
    ASSERT_TRUE(tty->send(sent)) << n;
    const auto back = tty->receive(2s);
    ASSERT_TRUE(back) << "no echo of " << n << " bytes";
    ASSERT_EQ(*back, sent) << n;
  }
  const auto s = dev_->stats();
  EXPECT_EQ(s.tx_messages, rpmsg::kMaxPayload);
  EXPECT_EQ(s.rx_messages, rpmsg::kMaxPayload + 1);  // + the announcement
  EXPECT_EQ(s.rx_invalid, 0u);
  EXPECT_EQ(tty->stats().rx_bytes, rpmsg::kMaxPayload * (rpmsg::kMaxPayload + 1) / 2);
  // The firmware saw the right addresses.
  EXPECT_EQ(fake_.messages_received(), rpmsg::kMaxPayload);
}

// A reader waiting in Channel::receive sleeps in the port's interrupt waiter. When another
// thread takes the interrupt and queues the reader's message (the receive thread may beat the
// reader to it), the queueing wakes the waiter through the reader's word: the reader is never
// left sleeping until its deadline or the waiter's slice with its answer queued.
TEST_F(RpmsgDevice, AReaderWaitingForTheInterruptIsWokenWhenAnotherThreadQueuesItsMessage) {
  std::atomic<int> woken_by_queue{0}, ran_out{0};
  // A waiter that never takes interrupts itself: it only sleeps on the reader's word.
  port_.waiter = [&](auto deadline, const LocalWakeWord& own, uint32_t own_seen) {
    while (own.load() == own_seen) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ++ran_out;
        return true;
      }
      std::this_thread::sleep_for(50us);
    }
    ++woken_by_queue;
    return true;
  };
  ASSERT_EQ(start(), 0);
  fake_.set_echo(true);  // the fake's own thread interrupts: it delivers the echoes
  auto tty = announce();
  ASSERT_TRUE(tty);
  for (int i = 0; i < 200; ++i) {
    const auto sent = pattern(static_cast<size_t>(1 + i % 64), static_cast<uint8_t>(i));
    ASSERT_TRUE(tty->send(sent)) << i;
    const auto back = tty->receive(30s);
    ASSERT_TRUE(back) << i;
    ASSERT_EQ(*back, sent) << i;
  }
  EXPECT_EQ(ran_out.load(), 0) << "a reader slept on with its message queued";
  EXPECT_GT(woken_by_queue.load(), 0);
}

TEST_F(RpmsgDevice, PayloadOver496IsRefused) {
  ASSERT_EQ(start(), 0);
  auto tty = announce();
  ASSERT_TRUE(tty);
  const auto r = tty->send(pattern(497, 0));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("EMSGSIZE"), std::string::npos) << r.error().message;
  fake_.settle();
  EXPECT_EQ(fake_.avail_idx(1), 0);  // nothing reached the vring
  EXPECT_EQ(dev_->free_tx_buffers(), fake_.num());
}

TEST_F(RpmsgDevice, ForeverTimeoutDoesNotOverflow) {
  ASSERT_EQ(start(), 0);
  auto tty = announce();
  ASSERT_TRUE(tty);
  EXPECT_TRUE(tty->send(pattern(2, 0), std::chrono::milliseconds::max()));
  EXPECT_TRUE(fake_.wait_message(1s));
}

TEST_F(RpmsgDevice, TxExhaustionThenRecovery) {
  ASSERT_EQ(start(), 0);
  auto tty = announce();
  ASSERT_TRUE(tty);
  fake_.set_hold_tx(true);
  for (uint32_t i = 0; i < fake_.num(); ++i) ASSERT_TRUE(tty->send(pattern(8, 0), 1s)) << i;
  EXPECT_EQ(dev_->free_tx_buffers(), 0u);
  // The next sender waits until the firmware gives buffers back.
  auto waiting = std::async(std::launch::async, [&] { return tty->send(pattern(9, 0), 5s); });
  EXPECT_EQ(waiting.wait_for(200ms), std::future_status::timeout);
  fake_.set_hold_tx(false);
  fake_.release_tx();
  const auto sent = waiting.get();
  EXPECT_TRUE(sent) << sent.error().message;
  fake_.settle();
  EXPECT_EQ(fake_.messages_received(), fake_.num() + 1);
}

TEST_F(RpmsgDevice, NoBufferBackTimesOut) {
  ASSERT_EQ(start(), 0);
  auto tty = announce();
  ASSERT_TRUE(tty);
  fake_.set_hold_tx(true);
  for (uint32_t i = 0; i < fake_.num(); ++i) ASSERT_TRUE(tty->send(pattern(1, 0), 1s));
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = tty->send(pattern(1, 0), 150ms);
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ETIMEDOUT"), std::string::npos) << r.error().message;
  EXPECT_GE(waited, 140ms);
  EXPECT_LT(waited, 2s);
  EXPECT_EQ(dev_->stats().tx_timeouts, 1u);
}

TEST_F(RpmsgDevice, DefaultTimeoutComesFromTheOptions) {
  rpmsg::DeviceOptions o;
  o.tx_timeout = 100ms;
  ASSERT_EQ(start(o), 0);
  auto tty = announce();
  ASSERT_TRUE(tty);
  fake_.set_hold_tx(true);
  for (uint32_t i = 0; i < fake_.num(); ++i) ASSERT_TRUE(tty->send(pattern(1, 0)));
  EXPECT_FALSE(tty->send(pattern(1, 0)));
}

TEST_F(RpmsgDevice, ConcurrentSenders) {
  ASSERT_EQ(start(), 0);
  auto tty = announce();
  ASSERT_TRUE(tty);
  constexpr int kThreads = 6, kEach = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::vector<uint8_t> p = {static_cast<uint8_t>(t), static_cast<uint8_t>(i),
                                  static_cast<uint8_t>(i >> 8)};
        if (!tty->send(p, 5s)) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  // Every message arrived exactly once, in order per sender.
  std::vector<int> next(kThreads, 0);
  for (int n = 0; n < kThreads * kEach; ++n) {
    const auto m = fake_.wait_message(2s);
    ASSERT_TRUE(m) << n;
    ASSERT_EQ(m->payload.size(), 3u);
    EXPECT_EQ(m->src, tty->local_addr());
    EXPECT_EQ(m->dst, FakeRpmsgDevice::kDeviceAddr);
    const int t = m->payload[0], i = m->payload[1] | (m->payload[2] << 8);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(i, next[static_cast<size_t>(t)]++);
  }
  fake_.settle();
  EXPECT_EQ(dev_->free_tx_buffers(), fake_.num());
}

TEST_F(RpmsgDevice, StopWakesAWaitingSender) {
  ASSERT_EQ(start(), 0);
  auto tty = announce();
  ASSERT_TRUE(tty);
  fake_.set_hold_tx(true);
  for (uint32_t i = 0; i < fake_.num(); ++i) ASSERT_TRUE(tty->send(pattern(1, 0), 1s));
  auto waiting = std::async(std::launch::async, [&] { return tty->send(pattern(1, 0), 30s); });
  EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout);
  const auto t0 = std::chrono::steady_clock::now();
  dev_->stop(true);
  ASSERT_EQ(waiting.wait_for(2s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  const auto r = waiting.get();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ENODEV"), std::string::npos);
  EXPECT_TRUE(tty->closed());
  EXPECT_FALSE(tty->receive(10ms));
  EXPECT_EQ(dev_->wait_channel("rpmsg-tty", 10ms), nullptr);
  // Nothing touches the vrings after stop: a late interrupt is not this device's any more.
  EXPECT_FALSE(dev_->vring_interrupt(0));
  EXPECT_FALSE(dev_->create_endpoint(rpmsg::kAddrAny, nullptr));
}

TEST_F(RpmsgDevice, DestroyingTheChannelWakesItsSender) {
  ASSERT_EQ(start(), 0);
  auto tty = announce();
  ASSERT_TRUE(tty);
  fake_.set_hold_tx(true);
  for (uint32_t i = 0; i < fake_.num(); ++i) ASSERT_TRUE(tty->send(pattern(1, 0), 1s));
  auto waiting = std::async(std::launch::async, [&] { return tty->send(pattern(1, 0), 30s); });
  EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout);
  ASSERT_TRUE(fake_.announce("rpmsg-tty", FakeRpmsgDevice::kDeviceAddr, NsAction::kDestroy));
  ASSERT_EQ(waiting.wait_for(2s), std::future_status::ready);
  EXPECT_FALSE(waiting.get());
}

TEST_F(RpmsgDevice, FixedAndDynamicEndpoints) {
  ASSERT_EQ(start(), 0);
  std::mutex m;
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> got;
  auto ept = dev_->create_endpoint(0x50, [&](uint32_t src, std::span<const uint8_t> p) {
    std::lock_guard l(m);
    got.emplace_back(src, std::vector<uint8_t>(p.begin(), p.end()));
  });
  ASSERT_TRUE(ept);
  EXPECT_EQ((*ept)->addr(), 0x50u);
  EXPECT_FALSE(dev_->create_endpoint(0x50, nullptr));  // taken
  auto dyn = dev_->create_endpoint(rpmsg::kAddrAny, nullptr);
  ASSERT_TRUE(dyn);
  EXPECT_EQ((*dyn)->addr(), rpmsg::kFirstDynamicAddr);
  ASSERT_TRUE(fake_.send(0x9, 0x50, pattern(5, 3)));
  fake_.settle();
  {
    std::lock_guard l(m);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].first, 0x9u);
    EXPECT_EQ(got[0].second, pattern(5, 3));
  }
  ASSERT_TRUE((*ept)->send(0x9, pattern(3, 1), 1s));
  const auto out = fake_.wait_message(1s);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->src, 0x50u);
  EXPECT_EQ(out->dst, 0x9u);
  ept->reset();  // unbound: the next message is dropped
  ASSERT_TRUE(fake_.send(0x9, 0x50, pattern(5, 3)));
  fake_.settle();
  EXPECT_EQ(dev_->stats().rx_no_endpoint, 1u);
}

TEST_F(RpmsgDevice, WithoutNameServiceFeatureAnnouncementsAreNotHandled) {
  port_.set_features(0);
  ASSERT_EQ(start(), 0);
  ASSERT_TRUE(fake_.announce("rpmsg-tty", 1, NsAction::kCreate));
  fake_.settle();
  EXPECT_TRUE(dev_->channels().empty());
  EXPECT_EQ(dev_->stats().rx_no_endpoint, 1u);
}

TEST_F(RpmsgDevice, FailuresAreErrnosAsInLinux) {
  ASSERT_EQ(start(), 0);
  auto tty = announce();
  ASSERT_TRUE(tty);
  auto errnum = [](const auto& result) { return result ? 0 : result.error().errnum; };
  EXPECT_EQ(errnum(tty->send(pattern(497, 0))), EMSGSIZE);
  EXPECT_EQ(errnum(dev_->send(rpmsg::kAddrAny, 1, pattern(1, 0))), EINVAL);
  auto ept = dev_->create_endpoint(0x60, nullptr);
  ASSERT_TRUE(ept);
  EXPECT_EQ(errnum(dev_->create_endpoint(0x60, nullptr)), EBUSY);
  fake_.set_hold_tx(true);
  for (uint32_t i = 0; i < fake_.num(); ++i) ASSERT_TRUE(tty->send(pattern(1, 0), 1s));
  const auto timed_out = tty->send(pattern(1, 0), 10ms);
  EXPECT_EQ(errnum(timed_out), ETIMEDOUT);
  EXPECT_EQ(timed_out.error().code(), -ETIMEDOUT);
  dev_->stop(false);
  EXPECT_EQ(errnum(tty->send(pattern(1, 0))), ENODEV);
  EXPECT_EQ(errnum((*ept)->send(1, pattern(1, 0))), ENODEV);
  EXPECT_EQ(errnum(dev_->create_endpoint(rpmsg::kAddrAny, nullptr)), ENODEV);
}

}  // namespace
}  // namespace rproctee::test
