// The callbacks of rpmsg behind plain mutexes (rpmsg/callback_gate.hpp, observer_list.hpp):
// calls never overlap; whoever drops a callback from another thread waits for its running call
// and it never runs again; a callback that drops itself (or unsubscribes itself) from inside its
// call goes on at once instead of deadlocking — what the recursive mutexes allowed before.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>
#include <vector>

#include "rpmsg/callback_gate.hpp"
#include "rpmsg/observer_list.hpp"

namespace rproctee::test {
namespace {

using namespace std::chrono_literals;
using Slot = rpmsg::CallbackSlot<std::function<void(int)>>;

TEST(RpmsgCallbackSlot, CallsTheCallbackUntilItIsDropped) {
  Slot slot;
  EXPECT_FALSE(slot.visit([](const auto& f) { f(1); }));  // none yet
  std::vector<int> got;
  slot.set([&](int v) { got.push_back(v); });
  EXPECT_TRUE(slot.visit([](const auto& f) { f(1); }));
  slot.set(nullptr);
  EXPECT_FALSE(slot.visit([](const auto& f) { f(2); }));
  EXPECT_EQ(got, std::vector<int>{1});
}

TEST(RpmsgCallbackSlot, DroppingFromAnotherThreadWaitsForTheRunningCall) {
  Slot slot;
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  std::atomic<bool> finished{false};
  slot.set([&](int) {
    entered.set_value();
    released.wait();
    finished = true;
  });
  auto call = std::async(std::launch::async, [&] { slot.visit([](const auto& f) { f(0); }); });
  entered.get_future().wait();
  auto drop = std::async(std::launch::async, [&] { slot.set(nullptr); });
  EXPECT_EQ(drop.wait_for(50ms), std::future_status::timeout);  // the call is still running
  release.set_value();
  drop.get();
  EXPECT_TRUE(finished);  // set() returned only after the call ended
  call.get();
  EXPECT_FALSE(slot.visit([](const auto& f) { f(0); }));
}

TEST(RpmsgCallbackSlot, ACallbackMayReplaceOrDropItselfWhileItRuns) {
  Slot slot;
  std::vector<int> got;
  slot.set([&](int v) {
    slot.set([&](int w) { got.push_back(100 + w); });  // no deadlock, and
    got.push_back(v);  // the running closure is still alive after replacing itself
  });
  auto first = std::async(std::launch::async, [&] { slot.visit([](const auto& f) { f(1); }); });
  ASSERT_EQ(first.wait_for(2s), std::future_status::ready) << "replacing itself deadlocked";
  slot.visit([](const auto& f) { f(2); });
  slot.set([&](int) { slot.set(nullptr); });
  slot.visit([](const auto& f) { f(3); });
  EXPECT_FALSE(slot.visit([](const auto& f) { f(4); }));
  EXPECT_EQ(got, (std::vector<int>{1, 102}));
}

TEST(RpmsgObserverList, EachObserverSubscribedWhenTheNotificationStarts) {
  rpmsg::ObserverList<std::function<void(int)>> list;
  std::vector<int> got;
  uint64_t second = 0;
  list.add([&](int v) {
    got.push_back(v);
    list.add([&](int w) { got.push_back(1000 + w); });  // runs from the next notification on
  });
  second = list.add([&](int v) {
    got.push_back(10 + v);
    list.remove(second);  // unsubscribing itself while it runs
  });
  list.add([&](int v) { got.push_back(20 + v); });
  auto notify = [&](int v) { list.each([&](const auto& o) { o(v); }); };
  auto run = std::async(std::launch::async, [&] { notify(1); });
  ASSERT_EQ(run.wait_for(2s), std::future_status::ready) << "unsubscribing itself deadlocked";
  EXPECT_EQ(got, (std::vector<int>{1, 11, 21}));
  got.clear();
  notify(2);
  EXPECT_EQ(got, (std::vector<int>{2, 22, 1002}));
}

TEST(RpmsgObserverList, UnsubscribingFromAnotherThreadWaitsForTheRunningObserver) {
  rpmsg::ObserverList<std::function<void()>> list;
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  std::atomic<int> runs{0};
  const uint64_t id = list.add([&] {
    if (runs++ == 0) {
      entered.set_value();
      released.wait();
    }
  });
  auto notify = std::async(std::launch::async, [&] { list.each([](const auto& o) { o(); }); });
  entered.get_future().wait();
  auto remove = std::async(std::launch::async, [&] { list.remove(id); });
  EXPECT_EQ(remove.wait_for(50ms), std::future_status::timeout);
  release.set_value();
  remove.get();
  notify.get();
  list.each([](const auto& o) { o(); });
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace rproctee::test
