// SharedWords::wait_either and LocalWakeWord (issue 12, fast path): a thread asleep on a shared
// word and a word of its own process is woken by either; a bump of the own word that nobody
// sleeps on makes no system call (a channel bumps it for every message it queues).
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <future>
#include <thread>

#include "common/shared_words.hpp"

namespace rproctee {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kSeq = 0;
constexpr uint32_t kWaiters = 4;

class WaitEither : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SharedWords::can_wait_either()) GTEST_SKIP() << "this kernel has no futex_waitv";
  }

  /// A thread sleeping in wait_either (no spin) until the test wakes it or 30 s pass.
  std::future<void> sleeper() {
    const uint32_t seen = words_.load(kSeq);
    const uint32_t own_seen = own_.load();
    return std::async(std::launch::async, [this, seen, own_seen] {
      words_.wait_either(kSeq, kWaiters, seen, own_, own_seen, 0us,
                         std::chrono::steady_clock::now() + 30s);
    });
  }

  /// Until the sleeper has counted itself on both words (it is about to sleep or asleep).
  void until_asleep() {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while ((own_.sleepers.load() == 0 || words_.load(kWaiters) == 0) &&
           std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(100us);
    ASSERT_EQ(own_.sleepers.load(), 1u);
  }

  alignas(8) std::array<uint32_t, 2> page_{};
  SharedWords words_{page_.data(), sizeof page_};
  LocalWakeWord own_;
};

TEST_F(WaitEither, ABumpWithNobodyAsleepMakesNoSystemCall) {
  EXPECT_FALSE(own_.bump_and_wake());
  EXPECT_FALSE(own_.bump_and_wake());
  EXPECT_EQ(own_.load(), 2u);
}

TEST_F(WaitEither, ASleeperIsWokenByABumpOfItsOwnWord) {
  auto done = sleeper();
  until_asleep();
  EXPECT_TRUE(own_.bump_and_wake());
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready) << "the bump did not wake it";
  EXPECT_EQ(own_.sleepers.load(), 0u);
  EXPECT_EQ(words_.load(kWaiters), 0u);
  EXPECT_FALSE(own_.bump_and_wake()) << "nobody sleeps any more";
}

TEST_F(WaitEither, ASleeperIsWokenByAChangeOfTheSharedWord) {
  auto done = sleeper();
  until_asleep();
  words_.fetch_add(kSeq, 1);
  words_.notify(kSeq, kWaiters);
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready) << "the notify did not wake it";
  EXPECT_EQ(own_.sleepers.load(), 0u);
}

TEST_F(WaitEither, ABumpBeforeTheSleepIsNotLost) {
  // The word changed after the sleeper read it: wait_either returns without a wake.
  const uint32_t own_seen = own_.load();
  own_.bump_and_wake();
  const auto start = std::chrono::steady_clock::now();
  words_.wait_either(kSeq, kWaiters, words_.load(kSeq), own_, own_seen, 0us, start + 30s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace
}  // namespace rproctee
