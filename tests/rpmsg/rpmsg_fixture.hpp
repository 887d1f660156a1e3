// A started RpmsgDevice on a FakeRpmsgDevice (firmware side) through a FakePort.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "rpmsg/fake_rpmsg_device.hpp"
#include "rpmsg/rpmsg_device.hpp"

namespace rproctee::test {

using namespace std::chrono_literals;

class RpmsgFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    if (dev_) dev_->stop(false);
  }

  /// Creates the device and starts it; interrupts of the fake reach it.
  int start(rpmsg::DeviceOptions options = {}) {
    dev_ = rpmsg::RpmsgDevice::create(port_, options);
    std::weak_ptr<rpmsg::RpmsgDevice> weak = dev_;
    fake_.set_interrupt([weak](uint32_t n) {
      if (auto d = weak.lock()) d->vring_interrupt(n);
    });
    const int err = dev_->start();
    fake_.settle();
    return err;
  }

  /// The firmware announces `name` at FakeRpmsgDevice::kDeviceAddr; the host's channel.
  std::shared_ptr<rpmsg::Channel> announce(const std::string& name = "rpmsg-tty") {
    EXPECT_TRUE(fake_.announce(name, FakeRpmsgDevice::kDeviceAddr, rpmsg::NsAction::kCreate));
    return dev_->wait_channel(name, 2s);
  }

  FakeRpmsgDevice fake_;
  FakePort port_{fake_};
  std::shared_ptr<rpmsg::RpmsgDevice> dev_;
};

}  // namespace rproctee::test
