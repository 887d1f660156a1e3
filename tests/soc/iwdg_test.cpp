// The IWDG model: keys, write protection of PR/RLR, the timeout on the 32 kHz clock counted in
// the core's virtual time, and that a started watchdog cannot be stopped.
#include "soc/iwdg.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace rproctee::soc {
namespace {

constexpr uint64_t kClock = 64'000'000;  // cycles per second of virtual time
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

TEST(Iwdg, ResetValuesAndStoppedUntilStarted) {
  Iwdg w(kClock);
  EXPECT_EQ(w.read(Iwdg::kPR), 0u);
  EXPECT_EQ(w.read(Iwdg::kRLR), 0xFFFu);
  EXPECT_EQ(w.read(Iwdg::kSR), 0u);
  EXPECT_FALSE(w.started());
  EXPECT_EQ(w.deadline(), kNever);
  EXPECT_FALSE(w.expired(kNever - 1));
}

TEST(Iwdg, PrescalerAndReloadNeedTheUnlockKey) {
  Iwdg w(kClock);
  w.write(Iwdg::kPR, 3, 0);
  w.write(Iwdg::kRLR, 100, 0);
  EXPECT_EQ(w.read(Iwdg::kPR), 0u);  // locked: ignored
  EXPECT_EQ(w.read(Iwdg::kRLR), 0xFFFu);
  w.write(Iwdg::kKR, Iwdg::kKeyUnlock, 0);
  w.write(Iwdg::kPR, 3, 0);
  w.write(Iwdg::kRLR, 0x1234, 0);  // 12 bits
  EXPECT_EQ(w.read(Iwdg::kPR), 3u);
  EXPECT_EQ(w.read(Iwdg::kRLR), 0x234u);
  w.write(Iwdg::kKR, Iwdg::kKeyRefresh, 0);  // locks again
  w.write(Iwdg::kRLR, 7, 0);
  EXPECT_EQ(w.read(Iwdg::kRLR), 0x234u);
}

TEST(Iwdg, ExpiresAfterTheProgrammedTimeoutUnlessRefreshed) {
  Iwdg w(kClock);
  w.write(Iwdg::kKR, Iwdg::kKeyUnlock, 0);
  w.write(Iwdg::kPR, 1, 0);      // /8
  w.write(Iwdg::kRLR, 3999, 0);  // 4000 * 8 / 32 kHz = 1 s
  EXPECT_DOUBLE_EQ(w.timeout_ms(), 1000.0);
  const uint64_t start = 1000;
  w.write(Iwdg::kKR, Iwdg::kKeyStart, start);
  ASSERT_TRUE(w.started());
  EXPECT_EQ(w.deadline(), start + kClock);  // one second of 64 MHz cycles
  EXPECT_FALSE(w.expired(start + kClock - 1));
  EXPECT_TRUE(w.expired(start + kClock));
  // A refresh half-way pushes the deadline out by a full period.
  w.write(Iwdg::kKR, Iwdg::kKeyRefresh, start + kClock / 2);
  EXPECT_FALSE(w.expired(start + kClock));
  EXPECT_TRUE(w.expired(start + kClock / 2 + kClock));
}

TEST(Iwdg, CannotBeStoppedOnceStartedButResetStopsIt) {
  Iwdg w(kClock);
  w.write(Iwdg::kKR, Iwdg::kKeyStart, 0);
  w.write(Iwdg::kKR, 0, 10);       // not a key
  w.write(Iwdg::kKR, 0x1234, 10);  // not a key
  EXPECT_TRUE(w.started());
  // Default PR 0 (/4), RLR 0xFFF: 4096 * 4 / 32 kHz = 512 ms.
  EXPECT_DOUBLE_EQ(w.timeout_ms(), 512.0);
  w.write(Iwdg::kKR, Iwdg::kKeyStart, 1'000'000);  // a second start does not refresh
  EXPECT_EQ(w.deadline(), kClock * 512 / 1000);
  w.reset();
  EXPECT_FALSE(w.started());
}

}  // namespace
}  // namespace rproctee::soc
