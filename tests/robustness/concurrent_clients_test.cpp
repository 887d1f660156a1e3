// Load: many TEE clients at once against one machine served on a socket, each client its own
// context (its own connection, as separate processes have). They race to open the one session
// of processor 0, open sessions for processors that do not exist and for the platform service,
// and the client that wins processor 0 drives LOAD / START / STOP / RELEASE while the others
// keep knocking. Every answer must be one the TA documents for that call (tee.md); whenever a
// session holder sees OFF the memories are zero, after its LOAD they hold exactly the signed
// bytes. At the end: no session is left (a fresh client opens processor 0 at once), a full
// LOAD/START/STOP cycle works, the memories are zero and no descriptor of the machine leaked.
// RPROCTEE_CLIENTS / RPROCTEE_CLIENT_ROUNDS override the size of the crowd.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "robustness/walk_support.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
constexpr int kClients = 16, kRounds = 40;
#else
constexpr int kClients = 32, kRounds = 150;
#endif

int from_environment(const char* name, int fallback) {
  return static_cast<int>(std::max<uint64_t>(1, env_number(name, static_cast<uint64_t>(fallback))));
}

std::string descriptor_list() {
  std::string s;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    s += "\n  " + e.path().filename().string() + " -> " +
         std::filesystem::read_symlink(e.path(), ec).string();
  }
  return s;
}

/// What every client saw, and what it must not have seen.
class Tally {
 public:
  void count(const std::string& call, TEEC_Result r) {
    std::lock_guard lock(mutex_);
    ++answers_[fmt::format("{} -> {:#x}", call, r)];
  }
  void violation(std::string what) {
    std::lock_guard lock(mutex_);
    if (violations_.size() < 20) violations_.push_back(std::move(what));
    ++violation_count_;
  }
  uint64_t calls() const {
    std::lock_guard lock(mutex_);
    uint64_t n = 0;
    for (const auto& [_, c] : answers_) n += c;
    return n;
  }
  std::string summary() const {
    std::lock_guard lock(mutex_);
    std::string s;
    for (const auto& [what, n] : answers_) s += fmt::format("\n    {}: {}", what, n);
    return s;
  }
  uint64_t violation_count() const {
    std::lock_guard lock(mutex_);
    return violation_count_;
  }
  std::string violations() const {
    std::lock_guard lock(mutex_);
    std::string s;
    for (const auto& v : violations_) s += "\n  " + v;
    return s;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> answers_;
  std::vector<std::string> violations_;
  uint64_t violation_count_ = 0;
};

/// Checks `r` against the codes documented for `call`, counts it.
void expect_one_of(Tally& tally, const std::string& call, TEEC_Result r,
                   std::initializer_list<TEEC_Result> allowed) {
  tally.count(call, r);
  for (TEEC_Result a : allowed)
    if (r == a) return;
  tally.violation(fmt::format("{} answered {:#x}", call, r));
}

/// One client of the crowd: `rounds` times, a random kind of visit.
void client_loop(MachineUnderTest& m, const std::vector<uint8_t>& image, int rounds, uint32_t seed,
                 Tally& tally) {
  std::mt19937 rng(seed);
  for (int round = 0; round < rounds; ++round) {
    RprocClient c(m.tee_name());
    if (!c.initialized()) {
      tally.violation("TEEC_InitializeContext failed");
      continue;
    }
    switch (rng() % 4) {
      case 0: {  // a processor that does not exist
        const auto id = static_cast<uint32_t>(1 + rng() % 1000);
        expect_one_of(tally, "open(unknown processor)", c.open(id), {TEEC_ERROR_NOT_SUPPORTED});
        break;
      }
      case 1: {  // the platform service is for the TA only
        TEEC_Session s{};
        uint32_t origin = 0;
        const TEEC_Result r = TEEC_OpenSession(&c.context(), &s, &kPtaUuid, TEEC_LOGIN_REE_KERNEL,
                                               nullptr, nullptr, &origin);
        expect_one_of(tally, "open(platform service)", r, {TEEC_ERROR_ACCESS_DENIED});
        if (r == TEEC_SUCCESS) TEEC_CloseSession(&s);
        break;
      }
      default: {  // processor 0: held by at most one client at a time
        const TEEC_Result r = c.open(0);
        expect_one_of(tally, "open(processor 0)", r, {TEEC_SUCCESS, TEEC_ERROR_BUSY});
        if (r != TEEC_SUCCESS) break;
        // The holder: whatever state the previous holder left, drive it and check.
        const TEEC_Result load = c.load(image);
        expect_one_of(tally, "LOAD_FW", load, {TEEC_SUCCESS, TEEC_ERROR_BAD_STATE});
        if (load == TEEC_SUCCESS && !memory_holds_exactly(m, image))
          tally.violation("after a LOAD the memory does not hold exactly the signed image");
        if (rng() % 2) {
          expect_one_of(tally, "START_FW", c.start(), {TEEC_SUCCESS, TEEC_ERROR_BAD_STATE});
          if (rng() % 3 == 0) break;  // leave it running: the next holder takes over
        }
        const TEEC_Result stop = c.stop();
        expect_one_of(tally, "STOP_FW", stop, {TEEC_SUCCESS, TEEC_ERROR_BAD_STATE});
        const TEEC_Result release = c.release();
        expect_one_of(tally, "RELEASE_FW", release, {TEEC_SUCCESS, TEEC_ERROR_BAD_STATE});
        if (release == TEEC_SUCCESS && !m.memories_zero(0))
          tally.violation("memories not zero after RELEASE_FW");
        break;
      }
    }
  }
}

TEST(ConcurrentClients, ManyClientsAtOnceGetOnlyDocumentedAnswersAndLeaveNothingBehind) {
  MachineUnderTest m(TransportKind::kSocket);
  const std::vector<uint8_t> image =
      sign_elfs({make_firmware(8192, demo_resource_table())}, test_key("rsa2048"));
  const int clients = from_environment("RPROCTEE_CLIENTS", kClients);
  const int rounds = from_environment("RPROCTEE_CLIENT_ROUNDS", kRounds);
  {  // warm-up: the first connection creates what every later one reuses
    RprocClient c(m.tee_name());
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  }
  ASSERT_TRUE(m.wait_no_connection(std::chrono::seconds(20)));
  const size_t fds = open_descriptors();
  const std::string fd_list = descriptor_list();

  Tally tally;
  std::vector<std::thread> crowd;
  for (int i = 0; i < clients; ++i)
    crowd.emplace_back(client_loop, std::ref(m), std::cref(image), rounds,
                       static_cast<uint32_t>(1000 + i), std::ref(tally));
  for (auto& t : crowd) t.join();

  EXPECT_EQ(tally.violation_count(), 0u) << tally.violations();
  {  // nobody holds processor 0 any more: a new client opens it at once and completes a cycle
    RprocClient last(m.tee_name());
    ASSERT_EQ(last.open(0), TEEC_SUCCESS) << "a session outlived its client";
    (void)last.stop();  // a holder may have left it running or loaded
    (void)last.release();
    ASSERT_EQ(last.load(image), TEEC_SUCCESS) << last.last_error();
    EXPECT_TRUE(memory_holds_exactly(m, image));
    ASSERT_EQ(last.start(), TEEC_SUCCESS);
    ASSERT_EQ(last.stop(), TEEC_SUCCESS);
    EXPECT_TRUE(m.memories_zero());
  }
  // Every connection's thread, socket and mapping is gone once its client is.
  EXPECT_TRUE(m.wait_no_connection(std::chrono::seconds(20))) << "a connection outlived its client";
  EXPECT_EQ(open_descriptors(), fds)
      << "descriptors leaked; before:" << fd_list << "\nafter:" << descriptor_list();

  const uint64_t calls = tally.calls();
  std::cout << "concurrent clients: " << clients << " x " << rounds << " rounds, " << calls
            << " calls, " << tally.violation_count() << " violations, descriptors " << fds << " -> "
            << open_descriptors() << "\n  answers:" << tally.summary() << "\n";
  RecordProperty("clients", clients);
  RecordProperty("calls", static_cast<int>(calls));
  RecordProperty("violations", static_cast<int>(tally.violation_count()));
}

}  // namespace
}  // namespace rproctee::test
