// The TEE core with test TAs registered by the test: TA panics (TARGET_DEAD, origin TEE, for
// every session of the dead instance, the TEE staying up, a fresh instance for the next
// session), several clients and sessions at once, close_client, TA-to-TA sessions, and the
// rule that one client's sessions are out of reach of every other client. Also through the
// GlobalPlatform client API on a machine, over both transports.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "tee/tee_core.hpp"

namespace rproctee::test {
namespace {

using tee::Outcome;
using tee::ParamType;
using tee::TaParams;
using tee::Uuid;

constexpr Uuid kTestTa{0x7e57a000, 0x0001, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 0x01}};
constexpr Uuid kOtherTa{0x7e57a000, 0x0002, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 0x02}};
constexpr Uuid kPeerTa{0x7e57a000, 0x0003, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 0x03}};
constexpr Uuid kMissingTa{0x7e57a000, 0x00ff, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 0xff}};

// Commands of the test TA.
constexpr uint32_t kEcho = 1;        // p0 VALUE_INOUT: a + 1, b = the instance number
constexpr uint32_t kPanic = 2;       // TEE_Panic
constexpr uint32_t kThrow = 3;       // a C++ exception escapes the TA
constexpr uint32_t kWho = 4;         // p0 VALUE_OUTPUT: login, caller TA's time_low
constexpr uint32_t kCallPeer = 5;    // p0 VALUE_INPUT a: command for the peer;
                                     // p1 VALUE_OUTPUT: the peer's code and origin;
                                     // p2 VALUE_OUTPUT: the peer's p0 outputs
constexpr uint32_t kSlow = 6;        // sleeps p0.a ms; p0 a out: calls in flight on the session
constexpr uint32_t kRendezvous = 7;  // waits until p0.a calls are inside at once (5 s at most)
constexpr uint32_t kHoldPeer = 8;    // opens a TA-to-TA session on the peer and keeps it
constexpr uint32_t kDropPeer = 9;

// Session-opening requests (p0 VALUE_INPUT a).
constexpr uint32_t kOpenPanic = 0xDEAD;
constexpr uint32_t kOpenRefuse = 0xBAD;

struct Counters {
  std::atomic<int> instances{0}, destroyed{0}, opened{0}, closed{0};
  std::atomic<int> inside{0};        // rendezvous
  std::atomic<int> slow_started{0};  // kSlow calls that got inside the TA
  std::atomic<bool> closed_mid_call{false};
};

struct TaConfig {
  Uuid uuid;
  Uuid peer;
  bool only_tas = false;  // refuses normal-world clients (like the platform service)
  Counters* counters = nullptr;
};

class TestTa final : public tee::TrustedApp {
 public:
  TestTa(tee::TeeCore& core, TaConfig config)
      : core_(core), config_(config), instance_(++config.counters->instances) {}
  ~TestTa() override {
    held_.reset();
    ++config_.counters->destroyed;
  }
  Uuid uuid() const override { return config_.uuid; }
  std::string name() const override { return "test TA " + config_.uuid.str(); }

  Result<std::unique_ptr<tee::TaSession>> open_session(const tee::Caller& caller,
                                                       TaParams& params) override {
    if (config_.only_tas && !caller.is_ta())
      return make_error(TeeCode::kAccessDenied, "only TAs may open this TA");
    if (params[0].type == ParamType::kValueInput && params[0].a == kOpenPanic)
      tee::ta_panic("asked to panic in open_session");
    if (params[0].type == ParamType::kValueInput && params[0].a == kOpenRefuse)
      return make_error(TeeCode::kAccessConflict, "asked to refuse");
    ++config_.counters->opened;
    return std::unique_ptr<tee::TaSession>(std::make_unique<Session>(*this, caller));
  }

 private:
  class Session final : public tee::TaSession {
   public:
    Session(TestTa& ta, tee::Caller caller) : ta_(ta), caller_(caller) {}
    ~Session() override {
      if (in_flight_ != 0) ta_.config_.counters->closed_mid_call = true;
      ++ta_.config_.counters->closed;
    }
    TeeCode invoke(uint32_t command, TaParams& p) override {
      ++in_flight_;
      const TeeCode code = run(command, p);
      --in_flight_;
      return code;
    }

   private:
    TeeCode run(uint32_t command, TaParams& p) {
      Counters& counters = *ta_.config_.counters;
      switch (command) {
        case kEcho:
          if (p[0].type != ParamType::kValueInout) return TeeCode::kBadParameters;
          p[0].a += 1;
          p[0].b = static_cast<uint32_t>(ta_.instance_);
          return TeeCode::kSuccess;
        case kPanic:
          tee::ta_panic("asked to panic");
        case kThrow:
          throw std::runtime_error("an exception escaped the TA");
        case kWho:
          p[0].a = caller_.login;
          p[0].b = caller_.uuid.time_low;
          return TeeCode::kSuccess;
        case kCallPeer: {
          TaParams none{};
          auto peer = ta_.core_.open_ta_session(ta_.config_.uuid, ta_.config_.peer, none);
          if (!peer) {
            p[1].a = static_cast<uint32_t>(peer.error().code);
            return TeeCode::kSuccess;
          }
          TaParams q{};
          q[0].type = ParamType::kValueInout;
          const Outcome o = peer->invoke(p[0].a, q);
          p[1].a = static_cast<uint32_t>(o.code);
          p[1].b = o.origin;
          p[2].a = q[0].a;
          p[2].b = q[0].b;
          return TeeCode::kSuccess;
        }
        case kSlow: {
          const int seen = in_flight_;
          ++counters.slow_started;
          std::this_thread::sleep_for(std::chrono::milliseconds(p[0].a));
          p[0].a = static_cast<uint32_t>(std::max(seen, in_flight_.load()));
          return TeeCode::kSuccess;
        }
        case kRendezvous: {
          ++counters.inside;
          const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
          while (counters.inside < static_cast<int>(p[0].a)) {
            if (std::chrono::steady_clock::now() > deadline) return TeeCode::kBusy;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          return TeeCode::kSuccess;
        }
        case kHoldPeer: {
          TaParams none{};
          auto peer = ta_.core_.open_ta_session(ta_.config_.uuid, ta_.config_.peer, none);
          if (!peer) return peer.error().code;
          ta_.held_.emplace(std::move(*peer));
          return TeeCode::kSuccess;
        }
        case kDropPeer:
          ta_.held_.reset();
          return TeeCode::kSuccess;
        default:
          return TeeCode::kNotSupported;
      }
    }

    TestTa& ta_;
    tee::Caller caller_;
    std::atomic<int> in_flight_{0};
  };

  tee::TeeCore& core_;
  TaConfig config_;
  int instance_;
  std::optional<tee::TaToTaSession> held_;
};

tee::TeeCore::Factory factory(TaConfig config) {
  return [config](tee::TeeCore& core) { return std::make_unique<TestTa>(core, config); };
}

TaParams value_in(uint32_t a) {
  TaParams p{};
  p[0].type = ParamType::kValueInput;
  p[0].a = a;
  return p;
}

TaParams value_inout(uint32_t a) {
  TaParams p{};
  p[0].type = ParamType::kValueInout;
  p[0].a = a;
  return p;
}

tee::Caller client_caller(uint64_t client) {
  tee::Caller c;
  c.login = TEEC_LOGIN_USER;
  c.client = client;
  return c;
}

/// A bare TEE core with the three test TAs.
class TeeCoreTest : public ::testing::Test {
 protected:
  TeeCoreTest() {
    core_.register_ta(kTestTa, factory({kTestTa, kPeerTa, false, &test_}));
    core_.register_ta(kOtherTa, factory({kOtherTa, kPeerTa, false, &other_}));
    core_.register_ta(kPeerTa, factory({kPeerTa, kTestTa, true, &peer_}));
  }

  /// Opens a session for `client` on `uuid` (must succeed).
  uint32_t open(uint64_t client, const Uuid& uuid) {
    TaParams p{};
    uint32_t id = 0;
    const Outcome o = core_.open_session(client_caller(client), uuid, p, id);
    EXPECT_TRUE(o.ok()) << std::hex << static_cast<uint32_t>(o.code);
    EXPECT_EQ(o.origin, tee::kOriginTrustedApp);  // the TA accepted
    return id;
  }

  /// kEcho: the outcome, and the instance that answered in `instance`.
  Outcome echo(uint64_t client, uint32_t session, uint32_t* instance = nullptr) {
    TaParams p = value_inout(41);
    const Outcome o = core_.invoke(client, session, kEcho, p);
    if (o.ok()) {
      EXPECT_EQ(p[0].a, 42u);
      if (instance) *instance = p[0].b;
    }
    return o;
  }

  Counters test_, other_, peer_;  // outlive the core
  tee::TeeCore core_;
};

void expect_outcome(const Outcome& o, TeeCode code, uint32_t origin) {
  EXPECT_EQ(o.code, code) << std::hex << static_cast<uint32_t>(o.code);
  EXPECT_EQ(o.origin, origin);
}

TEST_F(TeeCoreTest, UnknownUuidIsItemNotFoundFromTheTee) {
  TaParams p{};
  uint32_t id = 77;
  expect_outcome(core_.open_session(client_caller(1), kMissingTa, p, id), TeeCode::kItemNotFound,
                 tee::kOriginTee);
  EXPECT_EQ(id, 77u);
  EXPECT_EQ(core_.session_count(), 0u);
}

TEST_F(TeeCoreTest, TaRefusalCarriesTheTaOrigin) {
  TaParams p = value_in(kOpenRefuse);
  uint32_t id = 0;
  expect_outcome(core_.open_session(client_caller(1), kTestTa, p, id), TeeCode::kAccessConflict,
                 tee::kOriginTrustedApp);
  EXPECT_EQ(core_.session_count(), 0u);
  // The instance that refused is alive: the next session uses it.
  const uint32_t s = open(1, kTestTa);
  uint32_t instance = 0;
  EXPECT_TRUE(echo(1, s, &instance).ok());
  EXPECT_EQ(instance, 1u);
  EXPECT_EQ(test_.instances, 1);
}

TEST_F(TeeCoreTest, PanicKillsEverySessionOfTheTaAndTheNextSessionGetsAFreshInstance) {
  const uint64_t a = core_.new_client_id(), b = core_.new_client_id();
  ASSERT_NE(a, b);
  const uint32_t a1 = open(a, kTestTa), a2 = open(a, kTestTa), b1 = open(b, kTestTa);
  const uint32_t other = open(a, kOtherTa);
  uint32_t instance = 0;
  ASSERT_TRUE(echo(a, a1, &instance).ok());
  EXPECT_EQ(instance, 1u);

  TaParams p{};
  expect_outcome(core_.invoke(a, a1, kPanic, p), TeeCode::kTargetDead, tee::kOriginTee);
  // The panicking session, the client's other session and another client's session: dead.
  expect_outcome(core_.invoke(a, a1, kPanic, p), TeeCode::kTargetDead, tee::kOriginTee);
  expect_outcome(echo(a, a1), TeeCode::kTargetDead, tee::kOriginTee);
  expect_outcome(echo(a, a2), TeeCode::kTargetDead, tee::kOriginTee);
  expect_outcome(echo(b, b1), TeeCode::kTargetDead, tee::kOriginTee);
  // The TEE and the other TAs carry on.
  expect_outcome(echo(a, other), TeeCode::kSuccess, tee::kOriginTrustedApp);
  EXPECT_EQ(core_.session_count(), 4u);  // dead sessions stay until closed

  // A new session: a fresh instance, which works.
  const uint32_t fresh = open(b, kTestTa);
  EXPECT_EQ(test_.instances, 2);
  ASSERT_TRUE(echo(b, fresh, &instance).ok());
  EXPECT_EQ(instance, 2u);
  expect_outcome(echo(a, a2), TeeCode::kTargetDead, tee::kOriginTee);  // still dead

  // The dead instance goes away with its last session.
  core_.close_session(a, a1);
  core_.close_session(a, a2);
  EXPECT_EQ(test_.destroyed, 0);
  core_.close_session(b, b1);
  EXPECT_EQ(test_.destroyed, 1);
  EXPECT_EQ(core_.session_count(), 2u);
  EXPECT_TRUE(echo(b, fresh).ok());
}

TEST_F(TeeCoreTest, AnEscapingExceptionIsAPanicToo) {
  const uint32_t s1 = open(1, kTestTa), s2 = open(1, kTestTa);
  TaParams p{};
  expect_outcome(core_.invoke(1, s1, kThrow, p), TeeCode::kTargetDead, tee::kOriginTee);
  expect_outcome(echo(1, s2), TeeCode::kTargetDead, tee::kOriginTee);
  uint32_t instance = 0;
  EXPECT_TRUE(echo(1, open(1, kTestTa), &instance).ok());
  EXPECT_EQ(instance, 2u);
}

TEST_F(TeeCoreTest, PanicWhileOpeningASessionKillsTheInstance) {
  const uint32_t s = open(1, kTestTa);
  TaParams p = value_in(kOpenPanic);
  uint32_t id = 0;
  expect_outcome(core_.open_session(client_caller(2), kTestTa, p, id), TeeCode::kTargetDead,
                 tee::kOriginTee);
  EXPECT_EQ(core_.session_count(), 1u);
  expect_outcome(echo(1, s), TeeCode::kTargetDead, tee::kOriginTee);
  uint32_t instance = 0;
  EXPECT_TRUE(echo(2, open(2, kTestTa), &instance).ok());
  EXPECT_EQ(instance, 2u);
}

TEST_F(TeeCoreTest, PanicWhileAnotherSessionIsMidCall) {
  const uint32_t slow = open(1, kTestTa), panicking = open(2, kTestTa);
  std::thread t([&] {
    TaParams p = value_in(200);
    // Already inside the TA when it dies: the call finishes with the TA's answer.
    const Outcome o = core_.invoke(1, slow, kSlow, p);
    EXPECT_EQ(o.code, TeeCode::kSuccess);
  });
  while (test_.slow_started == 0) std::this_thread::yield();
  TaParams p{};
  expect_outcome(core_.invoke(2, panicking, kPanic, p), TeeCode::kTargetDead, tee::kOriginTee);
  t.join();
  expect_outcome(echo(1, slow), TeeCode::kTargetDead, tee::kOriginTee);
}

TEST_F(TeeCoreTest, PanicUnderConcurrentCalls) {
  // Sessions of one TA hammer it from several threads while one of them panics: every answer
  // is the TA's or TARGET_DEAD from the TEE, and once dead, dead for all.
  constexpr int kThreads = 4;
  std::vector<uint32_t> sessions;
  for (int i = 0; i < kThreads; ++i)
    sessions.push_back(open(static_cast<uint64_t>(i + 1), kTestTa));
  std::atomic<bool> panicked{false};
  std::atomic<int> wrong{0}, dead_after{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      const auto client = static_cast<uint64_t>(i + 1);
      for (int after = 0; after < 200;) {  // until 200 calls after the panic
        const bool was_dead = panicked;
        if (was_dead) ++after;
        const Outcome o = echo(client, sessions[static_cast<size_t>(i)]);
        if (o.ok() && o.origin == tee::kOriginTrustedApp && !was_dead) continue;
        if (o.code == TeeCode::kTargetDead && o.origin == tee::kOriginTee) {
          if (was_dead) ++dead_after;
          continue;
        }
        ++wrong;
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const uint32_t victim = open(99, kTestTa);
  TaParams p{};
  expect_outcome(core_.invoke(99, victim, kPanic, p), TeeCode::kTargetDead, tee::kOriginTee);
  panicked = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(dead_after, kThreads * 200);
  for (int i = 0; i < kThreads; ++i)
    expect_outcome(echo(static_cast<uint64_t>(i + 1), sessions[static_cast<size_t>(i)]),
                   TeeCode::kTargetDead, tee::kOriginTee);
}

TEST_F(TeeCoreTest, ManyClientsAndSessionsAtOnce) {
  constexpr int kClients = 8, kSessions = 3, kCalls = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int c = 0; c < kClients; ++c)
    threads.emplace_back([&] {
      const uint64_t client = core_.new_client_id();
      std::vector<uint32_t> sessions;
      for (int s = 0; s < kSessions; ++s)
        sessions.push_back(open(client, s % 2 ? kOtherTa : kTestTa));
      for (int n = 0; n < kCalls; ++n)
        for (uint32_t s : sessions) {
          TaParams p = value_inout(static_cast<uint32_t>(n));
          const Outcome o = core_.invoke(client, s, kEcho, p);
          if (!o.ok() || p[0].a != static_cast<uint32_t>(n) + 1) ++failures;
        }
      core_.close_client(client);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(core_.session_count(), 0u);
  EXPECT_EQ(test_.instances, 1);  // one instance serves every session
  EXPECT_EQ(other_.instances, 1);
  EXPECT_EQ(test_.opened + other_.opened, kClients * kSessions);
  EXPECT_EQ(test_.closed + other_.closed, kClients * kSessions);
}

TEST_F(TeeCoreTest, CallsOnOneSessionAreSerialisedAndSessionsRunConcurrently) {
  // Two clients' sessions meet inside the TA at the same time (a TEE that serialised every
  // call would time out here)...
  const uint32_t s1 = open(1, kTestTa), s2 = open(2, kTestTa);
  Outcome o1, o2;
  std::thread t1([&] {
    TaParams p = value_in(2);
    o1 = core_.invoke(1, s1, kRendezvous, p);
  });
  std::thread t2([&] {
    TaParams p = value_in(2);
    o2 = core_.invoke(2, s2, kRendezvous, p);
  });
  t1.join();
  t2.join();
  expect_outcome(o1, TeeCode::kSuccess, tee::kOriginTrustedApp);
  expect_outcome(o2, TeeCode::kSuccess, tee::kOriginTrustedApp);
  // ...while calls on one session never overlap.
  std::atomic<uint32_t> most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      TaParams p = value_in(20);
      EXPECT_TRUE(core_.invoke(1, s1, kSlow, p).ok());
      uint32_t seen = most;
      while (seen < p[0].a && !most.compare_exchange_weak(seen, p[0].a)) {
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(most, 1u);
}

TEST_F(TeeCoreTest, CloseClientClosesItsSessionsOnly) {
  const uint64_t a = core_.new_client_id(), b = core_.new_client_id();
  const uint32_t a1 = open(a, kTestTa), a2 = open(a, kOtherTa), a3 = open(a, kTestTa);
  const uint32_t b1 = open(b, kTestTa);
  EXPECT_EQ(core_.session_count(), 4u);
  core_.close_client(a);
  EXPECT_EQ(core_.session_count(), 1u);
  EXPECT_EQ(test_.closed + other_.closed, 3);
  for (uint32_t s : {a1, a2, a3})
    expect_outcome(echo(a, s), TeeCode::kItemNotFound, tee::kOriginTee);
  EXPECT_TRUE(echo(b, b1).ok());
  core_.close_client(a);  // twice: nothing left
  EXPECT_EQ(core_.session_count(), 1u);
}

TEST_F(TeeCoreTest, CloseClientWaitsForACallInProgress) {
  const uint32_t s = open(5, kTestTa);
  std::atomic<bool> returned{false};
  std::thread t([&] {
    TaParams p = value_in(300);
    EXPECT_TRUE(core_.invoke(5, s, kSlow, p).ok());
    returned = true;
  });
  while (test_.slow_started == 0) std::this_thread::yield();
  core_.close_client(5);
  EXPECT_EQ(test_.closed, 1);
  EXPECT_FALSE(test_.closed_mid_call) << "the session was destroyed under a running call";
  t.join();
  EXPECT_TRUE(returned);
  EXPECT_EQ(core_.session_count(), 0u);
}

TEST_F(TeeCoreTest, TaToTaSessions) {
  const uint32_t s = open(3, kTestTa);
  // The peer sees a TA caller with the caller's UUID.
  TaParams p{};
  p[0].a = kWho;
  expect_outcome(core_.invoke(3, s, kCallPeer, p), TeeCode::kSuccess, tee::kOriginTrustedApp);
  EXPECT_EQ(p[1].a, 0u);
  EXPECT_EQ(p[1].b, tee::kOriginTrustedApp);
  EXPECT_EQ(p[2].a, 0xF0000000u);  // TEE_LOGIN_TRUSTED_APP
  EXPECT_EQ(p[2].b, kTestTa.time_low);
  EXPECT_EQ(core_.session_count(), 1u);  // the TA-to-TA session closed with its handle
  EXPECT_EQ(peer_.opened, 1);
  EXPECT_EQ(peer_.closed, 1);
  // A normal-world client cannot open the peer; the peer's own refusal.
  TaParams none{};
  uint32_t id = 0;
  expect_outcome(core_.open_session(client_caller(3), kPeerTa, none, id), TeeCode::kAccessDenied,
                 tee::kOriginTrustedApp);
  // A missing target.
  auto missing = core_.open_ta_session(kTestTa, kMissingTa, none);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, TeeCode::kItemNotFound);
  EXPECT_EQ(core_.session_count(), 1u);
  // The peer panics inside a TA-to-TA call: the caller gets TARGET_DEAD and lives on.
  p[0].a = kPanic;
  expect_outcome(core_.invoke(3, s, kCallPeer, p), TeeCode::kSuccess, tee::kOriginTrustedApp);
  EXPECT_EQ(p[1].a, static_cast<uint32_t>(TeeCode::kTargetDead));
  EXPECT_EQ(p[1].b, tee::kOriginTee);
  EXPECT_TRUE(echo(3, s).ok());
  // The next TA-to-TA session reaches a fresh peer.
  p[0].a = kEcho;
  expect_outcome(core_.invoke(3, s, kCallPeer, p), TeeCode::kSuccess, tee::kOriginTrustedApp);
  EXPECT_EQ(p[1].a, 0u);
  EXPECT_EQ(p[2].a, 1u);  // 0 + 1
  EXPECT_EQ(p[2].b, 2u);  // the second peer instance
  EXPECT_EQ(peer_.instances, 2);
}

TEST_F(TeeCoreTest, SessionsOfOneClientAreOutOfReachOfOtherClients) {
  const uint64_t a = core_.new_client_id(), b = core_.new_client_id();
  const uint32_t sa = open(a, kTestTa);
  // A TA-to-TA session is held by the TA (client id 0), another client's session too.
  TaParams p{};
  ASSERT_TRUE(core_.invoke(a, sa, kHoldPeer, p).ok());
  const uint32_t sb = open(b, kTestTa);
  EXPECT_EQ(core_.session_count(), 3u);
  // Client b reaches exactly its own session, whatever id it tries.
  int reachable = 0;
  for (uint32_t id = 0; id < 64; ++id) {
    const Outcome o = echo(b, id);
    if (o.ok()) {
      ++reachable;
      EXPECT_EQ(id, sb);
    } else {
      expect_outcome(o, TeeCode::kItemNotFound, tee::kOriginTee);
    }
  }
  EXPECT_EQ(reachable, 1);
  // Closing someone else's session is ignored, and so is closing a client's nothing.
  core_.close_session(b, sa);
  EXPECT_TRUE(echo(a, sa).ok());
  EXPECT_EQ(core_.session_count(), 3u);
  ASSERT_TRUE(core_.invoke(a, sa, kDropPeer, p).ok());
  EXPECT_EQ(core_.session_count(), 2u);
  EXPECT_EQ(peer_.closed, 1);
}

// --- The same rules through the client API, on a machine -----------------------------------

class TeeCoreOverTransport : public ::testing::TestWithParam<TransportKind> {
 protected:
  TeeCoreOverTransport() : m_(GetParam()) {
    m_.machine().tee().register_ta(kTestTa, factory({kTestTa, kPeerTa, false, &test_}));
  }
  Counters test_;  // outlives the machine
  MachineUnderTest m_;
};

constexpr TEEC_UUID to_teec(const Uuid& u) {
  return {u.time_low,
          u.time_mid,
          u.time_hi_and_version,
          {u.clock_seq_and_node[0], u.clock_seq_and_node[1], u.clock_seq_and_node[2],
           u.clock_seq_and_node[3], u.clock_seq_and_node[4], u.clock_seq_and_node[5],
           u.clock_seq_and_node[6], u.clock_seq_and_node[7]}};
}

TEEC_Result echo_teec(TEEC_Session& s, uint32_t* origin, uint32_t* instance = nullptr) {
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = 9;
  const TEEC_Result r = TEEC_InvokeCommand(&s, kEcho, &op, origin);
  if (r == TEEC_SUCCESS) {
    EXPECT_EQ(op.params[0].value.a, 10u);
    if (instance) *instance = op.params[0].value.b;
  }
  return r;
}

TEST_P(TeeCoreOverTransport, TaPanicIsTargetDeadFromTheTeeAndTheTeeStaysUp) {
  const TEEC_UUID uuid = to_teec(kTestTa);
  TEEC_Context ctx{}, ctx2{};
  ASSERT_EQ(TEEC_InitializeContext(m_.tee_name().c_str(), &ctx), TEEC_SUCCESS);
  ASSERT_EQ(TEEC_InitializeContext(m_.tee_name().c_str(), &ctx2), TEEC_SUCCESS);
  TEEC_Session s1{}, s2{}, other{};
  uint32_t origin = 0;
  ASSERT_EQ(TEEC_OpenSession(&ctx, &s1, &uuid, TEEC_LOGIN_PUBLIC, nullptr, nullptr, &origin),
            TEEC_SUCCESS);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  ASSERT_EQ(TEEC_OpenSession(&ctx, &s2, &uuid, TEEC_LOGIN_PUBLIC, nullptr, nullptr, &origin),
            TEEC_SUCCESS);
  ASSERT_EQ(TEEC_OpenSession(&ctx2, &other, &uuid, TEEC_LOGIN_PUBLIC, nullptr, nullptr, &origin),
            TEEC_SUCCESS);
  EXPECT_EQ(echo_teec(s1, &origin), TEEC_SUCCESS);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);

  EXPECT_EQ(TEEC_InvokeCommand(&s1, kPanic, nullptr, &origin), TEEC_ERROR_TARGET_DEAD);
  EXPECT_EQ(origin, TEEC_ORIGIN_TEE);
  for (TEEC_Session* s : {&s1, &s2, &other}) {
    origin = 0;
    EXPECT_EQ(echo_teec(*s, &origin), TEEC_ERROR_TARGET_DEAD);
    EXPECT_EQ(origin, TEEC_ORIGIN_TEE);
  }
  // A new session: a fresh instance.
  TEEC_Session fresh{};
  ASSERT_EQ(TEEC_OpenSession(&ctx2, &fresh, &uuid, TEEC_LOGIN_PUBLIC, nullptr, nullptr, &origin),
            TEEC_SUCCESS);
  uint32_t instance = 0;
  EXPECT_EQ(echo_teec(fresh, &origin, &instance), TEEC_SUCCESS);
  EXPECT_EQ(instance, 2u);
  // The remoteproc TA of the same TEE still loads, starts and stops firmware.
  RprocClient rproc(m_.tee_name());
  ASSERT_EQ(rproc.open(0), TEEC_SUCCESS);
  const auto image = sign_elfs({make_firmware(4096, demo_resource_table())}, test_key("rsa2048"));
  EXPECT_EQ(rproc.load(image), TEEC_SUCCESS) << rproc.last_error();
  EXPECT_EQ(rproc.start(), TEEC_SUCCESS);
  EXPECT_EQ(rproc.stop(), TEEC_SUCCESS);

  for (TEEC_Session* s : {&s1, &s2, &other, &fresh}) TEEC_CloseSession(s);
  EXPECT_EQ(test_.destroyed, 1);  // the dead instance went with its last session
  TEEC_FinalizeContext(&ctx);
  TEEC_FinalizeContext(&ctx2);
}

TEST_P(TeeCoreOverTransport, ASessionCannotBeUsedThroughAnotherContext) {
  TEEC_Context ctx{}, thief{};
  ASSERT_EQ(TEEC_InitializeContext(m_.tee_name().c_str(), &ctx), TEEC_SUCCESS);
  ASSERT_EQ(TEEC_InitializeContext(m_.tee_name().c_str(), &thief), TEEC_SUCCESS);
  const TEEC_UUID uuid = to_teec(kTestTa);
  TEEC_Session s{};
  uint32_t origin = 0;
  ASSERT_EQ(TEEC_OpenSession(&ctx, &s, &uuid, TEEC_LOGIN_PUBLIC, nullptr, nullptr, &origin),
            TEEC_SUCCESS);
  // The same session id sent by another connection (client).
  TEEC_Session stolen = s;
  stolen.imp.ctx = &thief;
  EXPECT_EQ(echo_teec(stolen, &origin), TEEC_ERROR_ITEM_NOT_FOUND);
  EXPECT_EQ(origin, TEEC_ORIGIN_TEE);
  TEEC_CloseSession(&stolen);  // ignored by the TEE: not the thief's session
  EXPECT_EQ(echo_teec(s, &origin), TEEC_SUCCESS);
  EXPECT_EQ(test_.closed, 0);
  // A remoteproc session likewise.
  RprocClient owner(m_.tee_name());
  ASSERT_EQ(owner.open(0), TEEC_SUCCESS);
  TEEC_Session stolen_rproc = owner.session();
  stolen_rproc.imp.ctx = &thief;
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  EXPECT_EQ(TEEC_InvokeCommand(&stolen_rproc, 2 /* START_FW */, &op, &origin),
            TEEC_ERROR_ITEM_NOT_FOUND);
  EXPECT_EQ(origin, TEEC_ORIGIN_TEE);
  // Finalizing the thief's context (its connection) leaves the owner's sessions alone.
  TEEC_FinalizeContext(&thief);
  EXPECT_EQ(echo_teec(s, &origin), TEEC_SUCCESS);
  EXPECT_EQ(owner.stop(), TEEC_SUCCESS);
  TEEC_CloseSession(&s);
  EXPECT_EQ(test_.closed, 1);
  TEEC_FinalizeContext(&ctx);
}

TEST_P(TeeCoreOverTransport, FinalizingAContextClosesItsSessions) {
  {
    RprocClient first(m_.tee_name());
    ASSERT_EQ(first.open(0), TEEC_SUCCESS);
    // One session per remote processor: a second one is refused by the TA while the first
    // lives (the TA's own rule, hence its origin).
    RprocClient second(m_.tee_name());
    uint32_t origin = 0;
    EXPECT_EQ(second.open(0, &origin), TEEC_ERROR_BUSY);
    EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
    // The first client goes away without closing its session: finalizing its context is
    // enough for the TEE to close it.
    TEEC_FinalizeContext(&first.context());
    first.context().imp.fd = -1;
    // Over a socket the machine notices asynchronously: wait for it.
    TEEC_Result r = TEEC_ERROR_BUSY;
    for (int i = 0; i < 500 && r == TEEC_ERROR_BUSY; ++i) {
      r = second.open(0, &origin);
      if (r == TEEC_ERROR_BUSY) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(r, TEEC_SUCCESS);
  }
  EXPECT_EQ(m_.machine().tee().session_count(), 1u);  // the remoteproc TA's platform session
}

INSTANTIATE_TEST_SUITE_P(Transports, TeeCoreOverTransport,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         [](const auto& param) { return transport_name(param.param); });

}  // namespace
}  // namespace rproctee::test
