// The rpmsg bus bound to real remoteproc::Rproc objects (a fake backend whose kicks go to a
// FakeRpmsgDevice, and whose vrings/buffers are that device's memory): the driver is bound at
// boot (DRIVER_OK in the resource table in use), unbound at shutdown (channels closed, held
// pointers still safe), bound again at the next boot; two processors in one process keep
// their devices and channels apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <future>
#include <memory>
#include <mutex>

#include "image/resource_table.hpp"
#include "remoteproc/kernel_log.hpp"
#include "remoteproc/rproc.hpp"
#include "remoteproc/vdev.hpp"
#include "rpmsg/bus.hpp"
#include "rpmsg/fake_rpmsg_device.hpp"
#include "support/rsc_builder.hpp"

namespace rproctee::test {
namespace {

using namespace std::chrono_literals;
using remoteproc::Firmware;
using remoteproc::Rproc;

constexpr uint64_t kIpcDa = 0x10000000, kIpcSize = 0x1000;

std::vector<uint8_t> rpmsg_table() {
  RscTableBuilder b;
  b.add_vdev(rpmsg::kVirtioIdRpmsg, 0, rpmsg::kFeatureNameService,
             {{static_cast<uint32_t>(FakeRpmsgDevice::kVring0Da), 16, 16, 0},
              {static_cast<uint32_t>(FakeRpmsgDevice::kVring1Da), 16, 16, 1}},
             0);
  return b.build();
}

/// A backend whose firmware is just a resource table, loaded into the IPC memory.
class TableOps final : public remoteproc::RprocOps {
 public:
  TableOps(FakeRpmsgDevice& device, std::vector<uint8_t>& ipc) : device_(device), ipc_(ipc) {}
  int parse_fw(Rproc& rproc, const Firmware& fw) override {
    rproc.set_cached_table(fw.data);
    return 0;
  }
  int load(Rproc&, const Firmware&) override { return 0; }
  int find_loaded_rsc_table(Rproc&, const Firmware&, uint8_t*& table) override {
    table = ipc_.data();
    return 0;
  }
  int start(Rproc&) override { return 0; }
  int stop(Rproc&) override { return 0; }
  void kick(Rproc&, int vqid) override { device_.kick(static_cast<uint32_t>(vqid)); }

 private:
  FakeRpmsgDevice& device_;
  std::vector<uint8_t>& ipc_;
};

/// One simulated processor with its firmware side.
struct Board {
  explicit Board(int index) {
    remoteproc::RprocEnvironment env;
    env.log = &log;
    env.request_firmware = [](const std::string& name, Firmware& out) {
      out.name = name;
      out.data = rpmsg_table();
      return 0;
    };
    auto v0 = fake.vring_memory(0), v1 = fake.vring_memory(1);
    const auto buf = fake.buffer_mapping();
    std::vector<remoteproc::MemoryMapping> carveouts = {
        {"ipc", kIpcDa, kIpcDa, kIpcSize, ipc.data()},
        {"vdev0vring0", FakeRpmsgDevice::kVring0Da, FakeRpmsgDevice::kVring0Da, v0.size(),
         v0.data()},
        {"vdev0vring1", FakeRpmsgDevice::kVring1Da, FakeRpmsgDevice::kVring1Da, v1.size(),
         v1.data()},
        buf,
    };
    rproc = std::make_unique<Rproc>(index, "m33", std::make_unique<TableOps>(fake, ipc),
                                    std::move(env), std::move(carveouts), "fw.bin");
    fake.set_interrupt([this](uint32_t n) { rproc->vq_interrupt(n); });
  }
  ~Board() {
    fake.set_interrupt(nullptr);
    fake.settle();
  }
  uint8_t vdev_status() {
    auto parsed = image::parse_resource_table(rproc->table());
    if (!parsed) return 0xFF;
    return std::get<image::RscVdev>(parsed->entries[0].body).status;
  }

  remoteproc::KernelLog log{false};
  std::vector<uint8_t> ipc = std::vector<uint8_t>(kIpcSize, 0);
  FakeRpmsgDevice fake;
  std::unique_ptr<Rproc> rproc;
};

class RpmsgBus : public ::testing::Test {
 protected:
  void SetUp() override {
    rpmsg::BusOptions o;
    o.device.tx_timeout = 2s;
    bus_ = &rpmsg::install(o);
  }
  void TearDown() override { rpmsg::uninstall(); }
  rpmsg::Bus* bus_ = nullptr;
};

TEST_F(RpmsgBus, BootBindsShutdownUnbinds) {
  Board board(0);
  std::vector<std::string> events;
  std::mutex m;
  rpmsg::Bus::Observer o;
  o.device_added = [&](Rproc& r, const auto&) {
    std::lock_guard l(m);
    events.push_back("dev+" + r.dev_name());
  };
  o.device_removed = [&](Rproc& r, const auto&) {
    std::lock_guard l(m);
    events.push_back("dev-" + r.dev_name());
  };
  o.channel_added = [&](Rproc&, const std::shared_ptr<rpmsg::Channel>& c) {
    std::lock_guard l(m);
    events.push_back("ch+" + c->name());
  };
  o.channel_removed = [&](Rproc&, const std::shared_ptr<rpmsg::Channel>& c) {
    std::lock_guard l(m);
    events.push_back("ch-" + c->name());
  };
  const uint64_t sub = bus_->subscribe(o);

  ASSERT_EQ(board.rproc->boot(), 0) << board.log.contents();
  auto dev = bus_->wait_device(*board.rproc, 2s);
  ASSERT_TRUE(dev) << board.log.contents();
  EXPECT_EQ(board.vdev_status(), remoteproc::kVirtioAcknowledge | remoteproc::kVirtioDriver |
                                     remoteproc::kVirtioDriverOk);
  EXPECT_NE(board.log.contents().find("rpmsg host is online"), std::string::npos);

  board.fake.set_echo(true);
  ASSERT_TRUE(
      board.fake.announce("rpmsg-tty", FakeRpmsgDevice::kDeviceAddr, rpmsg::NsAction::kCreate));
  auto tty = dev->wait_channel("rpmsg-tty", 2s);
  ASSERT_TRUE(tty);
  const std::vector<uint8_t> hello = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE(tty->send(hello));
  const auto back = tty->receive(2s);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, hello);

  ASSERT_EQ(board.rproc->shutdown(), 0);
  EXPECT_EQ(bus_->device(*board.rproc), nullptr);
  EXPECT_TRUE(tty->closed());
  EXPECT_FALSE(tty->send(hello));  // held across the stop: an error, not a use-after-free
  EXPECT_FALSE(dev->running());

  // The next boot binds a new device.
  ASSERT_EQ(board.rproc->boot(), 0);
  auto again = bus_->wait_device(*board.rproc, 2s);
  ASSERT_TRUE(again);
  EXPECT_NE(again, dev);
  bus_->unsubscribe(sub);
  ASSERT_EQ(board.rproc->shutdown(), 0);
  std::lock_guard l(m);
  EXPECT_EQ(events, (std::vector<std::string>{"dev+remoteproc0", "ch+rpmsg-tty", "ch-rpmsg-tty",
                                              "dev-remoteproc0", "dev+remoteproc0"}));
}

TEST_F(RpmsgBus, CrashRecoveryReplacesTheDeviceAndWakesSenders) {
  Board board(0);
  ASSERT_EQ(board.rproc->set_coredump(remoteproc::CoredumpMode::kDisabled), 0);
  ASSERT_EQ(board.rproc->boot(), 0);
  auto dev = bus_->wait_device(*board.rproc, 2s);
  ASSERT_TRUE(dev);
  ASSERT_TRUE(board.fake.announce("rpmsg-tty", 1, rpmsg::NsAction::kCreate));
  auto tty = dev->wait_channel("rpmsg-tty", 2s);
  ASSERT_TRUE(tty);
  board.fake.set_hold_tx(true);
  for (uint32_t i = 0; i < board.fake.num(); ++i)
    ASSERT_TRUE(tty->send(std::vector<uint8_t>{1}, 1s));
  auto waiting =
      std::async(std::launch::async, [&] { return tty->send(std::vector<uint8_t>{2}, 30s); });
  EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout);
  // Recovery: stop(crashed) unbinds the device (the sender fails at once), then the
  // processor boots again with a new device.
  board.rproc->report_crash(remoteproc::CrashType::kWatchdog);
  board.rproc->flush_crash_work();
  ASSERT_EQ(waiting.wait_for(2s), std::future_status::ready);
  const auto r = waiting.get();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ENODEV"), std::string::npos) << r.error().message;
  EXPECT_TRUE(tty->closed());
  EXPECT_FALSE(dev->running());
  EXPECT_EQ(board.rproc->state(), remoteproc::RprocState::kRunning) << board.log.contents();
  auto after = bus_->wait_device(*board.rproc, 2s);
  ASSERT_TRUE(after);
  EXPECT_NE(after, dev);
  EXPECT_NE(board.log.contents().find("stopping after a crash"), std::string::npos);
  ASSERT_EQ(board.rproc->shutdown(), 0);
}

TEST_F(RpmsgBus, TwoProcessorsDoNotCrossTalk) {
  Board a(0), b(1);
  ASSERT_EQ(a.rproc->boot(), 0);
  ASSERT_EQ(b.rproc->boot(), 0);
  auto da = bus_->wait_device(*a.rproc, 2s), db = bus_->wait_device(*b.rproc, 2s);
  ASSERT_TRUE(da);
  ASSERT_TRUE(db);
  EXPECT_NE(da, db);
  ASSERT_TRUE(a.fake.announce("only-a", 1, rpmsg::NsAction::kCreate));
  ASSERT_TRUE(da->wait_channel("only-a", 2s));
  EXPECT_EQ(db->wait_channel("only-a", 100ms), nullptr);
  auto ca = da->find_channel("only-a");
  ASSERT_TRUE(ca->send(std::vector<uint8_t>{7}));
  const auto got = a.fake.wait_message(2s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->payload, std::vector<uint8_t>{7});
  EXPECT_EQ(b.fake.messages_received(), 0u);
  ASSERT_EQ(a.rproc->shutdown(), 0);
  EXPECT_EQ(bus_->device(*a.rproc), nullptr);
  EXPECT_EQ(bus_->device(*b.rproc), db);
  ASSERT_EQ(b.rproc->shutdown(), 0);
}

TEST_F(RpmsgBus, UninstalledDriverBindsNothing) {
  rpmsg::uninstall();
  Board board(0);
  ASSERT_EQ(board.rproc->boot(), 0);
  EXPECT_EQ(bus_->wait_device(*board.rproc, 50ms), nullptr);
  EXPECT_EQ(board.vdev_status(), remoteproc::kVirtioAcknowledge);
  ASSERT_EQ(board.rproc->shutdown(), 0);
}

TEST_F(RpmsgBus, MissingBufferCarveoutFailsTheBoot) {
  // Vrings twice as large: 2 x 32 buffers do not fit the 16 KiB carveout.
  Board board(0);
  RscTableBuilder t;
  t.add_vdev(rpmsg::kVirtioIdRpmsg, 0, 1,
             {{static_cast<uint32_t>(FakeRpmsgDevice::kVring0Da), 16, 32, 0},
              {static_cast<uint32_t>(FakeRpmsgDevice::kVring1Da), 16, 32, 1}},
             0);
  remoteproc::RprocEnvironment env;
  remoteproc::KernelLog log(false);
  env.log = &log;
  const auto table = t.build();
  env.request_firmware = [&](const std::string& name, Firmware& out) {
    out.name = name;
    out.data = table;
    return 0;
  };
  auto v0 = board.fake.vring_memory(0), v1 = board.fake.vring_memory(1);
  Rproc r(3, "m4", std::make_unique<TableOps>(board.fake, board.ipc), std::move(env),
          {{"ipc", kIpcDa, kIpcDa, kIpcSize, board.ipc.data()},
           {"vdev0vring0", FakeRpmsgDevice::kVring0Da, FakeRpmsgDevice::kVring0Da, v0.size(),
            v0.data()},
           {"vdev0vring1", FakeRpmsgDevice::kVring1Da, FakeRpmsgDevice::kVring1Da, v1.size(),
            v1.data()},
           board.fake.buffer_mapping()},
          "fw.bin");
  EXPECT_EQ(r.boot(), -ENOMEM);
  EXPECT_NE(log.contents().find("64 buffers need 0x8000"), std::string::npos) << log.contents();
  EXPECT_EQ(r.state(), remoteproc::RprocState::kOffline);
  EXPECT_EQ(bus_->device(r), nullptr);
}

}  // namespace
}  // namespace rproctee::test
