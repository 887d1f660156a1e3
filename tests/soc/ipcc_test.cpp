// The IPCC model: the register layout and semantics of the STM32 part (set/clear through the
// SCRs, status read-only, masks and interrupt lines of processor 2, identification words),
// and the host-side waits the machine serves to the normal world.
#include "soc/ipcc.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace rproctee::soc {
namespace {

using std::chrono::milliseconds;

TEST(Ipcc, IdentificationAndResetValues) {
  Ipcc ipcc(0x40490000);
  EXPECT_EQ(ipcc.base(), 0x40490000u);
  EXPECT_EQ(ipcc.read(Ipcc::kHWCFGR) & 0xFF, 6u);  // six channels
  EXPECT_EQ(ipcc.read(Ipcc::kID), 0x00100071u);
  EXPECT_EQ(ipcc.read(Ipcc::kSID), 0xA3C5DD01u);
  EXPECT_EQ(ipcc.read(Ipcc::kC1MR), 0x003F003Fu);  // every channel masked
  EXPECT_EQ(ipcc.read(Ipcc::kC2MR), 0x003F003Fu);
  EXPECT_EQ(ipcc.read(Ipcc::kC1TOC2SR), 0u);
  EXPECT_EQ(ipcc.read(Ipcc::kC2TOC1SR), 0u);
  EXPECT_EQ(ipcc.read(0x100), 0u);  // reserved
}

TEST(Ipcc, HostSendIsSeenByTheRemoteAndClearedByIt) {
  Ipcc ipcc(0);
  ipcc.host_send(1);
  EXPECT_EQ(ipcc.read(Ipcc::kC1TOC2SR), 0x2u);
  EXPECT_EQ(ipcc.flags().occupied, 0x2u);
  EXPECT_EQ(ipcc.flags().received, 0u);
  // The remote clears channel 1 (C2SCR.CH2C is bit 1): the host sees it free.
  ipcc.write(Ipcc::kC2SCR, 1u << 1);
  EXPECT_EQ(ipcc.read(Ipcc::kC1TOC2SR), 0u);
}

TEST(Ipcc, RemoteSendIsSeenByTheHostAndAcknowledged) {
  Ipcc ipcc(0);
  ipcc.write(Ipcc::kC2SCR, 1u << (16 + 0));  // CH1S: channel 0 set by processor 2
  EXPECT_EQ(ipcc.read(Ipcc::kC2TOC1SR), 0x1u);
  EXPECT_EQ(ipcc.flags().received, 0x1u);
  ipcc.host_ack(0);
  EXPECT_EQ(ipcc.read(Ipcc::kC2TOC1SR), 0u);
}

TEST(Ipcc, StatusRegistersAreReadOnlyAndMasksKeepTheirBitsOnly) {
  Ipcc ipcc(0);
  ipcc.write(Ipcc::kC1TOC2SR, 0x3F);
  ipcc.write(Ipcc::kC2TOC1SR, 0x3F);
  EXPECT_EQ(ipcc.read(Ipcc::kC1TOC2SR), 0u);
  EXPECT_EQ(ipcc.read(Ipcc::kC2TOC1SR), 0u);
  ipcc.write(Ipcc::kC2MR, 0xFFFFFFFF);
  EXPECT_EQ(ipcc.read(Ipcc::kC2MR), 0x003F003Fu);
  ipcc.write(Ipcc::kC2CR, 0xFFFFFFFF);
  EXPECT_EQ(ipcc.read(Ipcc::kC2CR), 0x00010001u);
  EXPECT_EQ(ipcc.read(Ipcc::kC2SCR), 0u);  // write-only
  // Setting and clearing in one write: bits beyond the six channels do nothing.
  ipcc.write(Ipcc::kC1SCR, 0xFFC0FFC0);
  EXPECT_EQ(ipcc.read(Ipcc::kC1TOC2SR), 0u);
}

TEST(Ipcc, RemoteInterruptLinesFollowEnablesMasksAndFlags) {
  Ipcc ipcc(0);
  ipcc.host_send(2);
  EXPECT_FALSE(ipcc.remote_rx_irq());  // interrupts disabled
  ipcc.write(Ipcc::kC2CR, Ipcc::kRxOccupiedIe);
  EXPECT_FALSE(ipcc.remote_rx_irq());  // channel 2 still masked
  ipcc.write(Ipcc::kC2MR, 0x003F003F & ~(1u << 2));
  EXPECT_TRUE(ipcc.remote_rx_irq());
  ipcc.write(Ipcc::kC2SCR, 1u << 2);  // handled
  EXPECT_FALSE(ipcc.remote_rx_irq());

  // TX free: level while an unmasked channel of processor 2 is free.
  ipcc.write(Ipcc::kC2CR, Ipcc::kTxFreeIe);
  EXPECT_FALSE(ipcc.remote_tx_free_irq());  // all free-masks set
  ipcc.write(Ipcc::kC2SCR, 1u << (16 + 0));
  ipcc.write(Ipcc::kC2MR, 0x003F003F & ~(1u << 16));  // unmask channel 0 free
  EXPECT_FALSE(ipcc.remote_tx_free_irq());            // channel 0 occupied
  ipcc.host_ack(0);
  EXPECT_TRUE(ipcc.remote_tx_free_irq());
}

TEST(Ipcc, ListenerRunsOnEveryWriteAndMayWriteBack) {
  Ipcc ipcc(0);
  std::atomic<int> calls{0};
  // A remote that acknowledges every host message at once.
  ipcc.set_remote_listener([&] {
    ++calls;
    if (const uint32_t pending = ipcc.read(Ipcc::kC1TOC2SR)) ipcc.write(Ipcc::kC2SCR, pending);
  });
  ipcc.host_send(3);
  EXPECT_EQ(ipcc.flags().occupied, 0u);
  EXPECT_EQ(calls.load(), 2);  // the send, then the remote's clear
}

TEST(Ipcc, WaitReturnsWhenTheConditionHoldsOrAtTheTimeout) {
  Ipcc ipcc(0);
  auto f = ipcc.wait([](const Ipcc::Flags& x) { return x.received != 0; }, milliseconds(1));
  EXPECT_EQ(f.received, 0u);  // timed out
  std::thread remote([&] {
    std::this_thread::sleep_for(milliseconds(20));
    ipcc.write(Ipcc::kC2SCR, 1u << (16 + 4));
  });
  f = ipcc.wait([](const Ipcc::Flags& x) { return x.received != 0; }, milliseconds(10000));
  remote.join();
  EXPECT_EQ(f.received, 1u << 4);
}

TEST(Ipcc, ResetFreesEveryChannel) {
  Ipcc ipcc(0);
  ipcc.host_send(0);
  ipcc.write(Ipcc::kC2SCR, 1u << 17);
  ipcc.write(Ipcc::kC2CR, Ipcc::kRxOccupiedIe);
  ipcc.reset();
  EXPECT_EQ(ipcc.flags(), Ipcc::Flags{});
  EXPECT_EQ(ipcc.read(Ipcc::kC2CR), 0u);
  EXPECT_EQ(ipcc.read(Ipcc::kC2MR), 0x003F003Fu);
}

}  // namespace
}  // namespace rproctee::soc
