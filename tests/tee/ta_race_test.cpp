// security.md attack class 5 as a real race: the signed image stays in shared memory from
// TEEC_AllocateSharedMemory while an attacker rewrites header sizes, e_phnum, e_phoff, p_type and
// other program-header words, section headers, TLV bytes and segment bytes *during* LOAD_FW.
// The attacker is a thread of this process (in-process race) or a forked child process that
// inherited the MAP_SHARED mapping of the same memfd (cross-process race), over both transports.
// Invariant after every LOAD: it failed with a TA code (origin TRUSTED_APP), the state is OFF
// and every memory is zero; or it succeeded and memory holds exactly the pristine signed image
// (and the resource table reported is the signed one). Never a crash, a hang or a TA panic.
//
// Iterations: each of the 4 tests runs 2000 LOADs in a Release build (250 in sanitizer or
// unoptimised builds), or fewer when its wall-clock budget (4.5 s; 30 s in slow builds) runs
// out first on a loaded machine, but never fewer than 200. RPROCTEE_RACE_ITERATIONS=N and
// RPROCTEE_RACE_SECONDS=S override both (e.g. N=100000 S=600 for a soak run).
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/byte_reader.hpp"
#include "image/format.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "ta_attack_support.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RPROCTEE_RACE_SLOW_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RPROCTEE_RACE_SLOW_BUILD 1
#endif
#endif
#if !defined(RPROCTEE_RACE_SLOW_BUILD) && !defined(NDEBUG)
#define RPROCTEE_RACE_SLOW_BUILD 1
#endif

namespace rproctee::test {
namespace {

using namespace attack;     // NOLINT(google-build-using-namespace)
using namespace ta_attack;  // NOLINT(google-build-using-namespace)
using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

#ifdef RPROCTEE_RACE_SLOW_BUILD
constexpr uint64_t kDefaultIterations = 250;
constexpr double kDefaultSeconds = 30;
#else
constexpr uint64_t kDefaultIterations = 2000;
constexpr double kDefaultSeconds = 4.5;
#endif
constexpr uint64_t kMinIterations = 200;

/// Wall-clock budget of one race test: it stops early (after at least kMinIterations) when a
/// loaded machine makes the iterations slow. RPROCTEE_RACE_SECONDS=S overrides it.
double budget_seconds() {
  if (const char* v = std::getenv("RPROCTEE_RACE_SECONDS")) {
    const double s = std::strtod(v, nullptr);
    if (s > 0) return s;
  }
  return kDefaultSeconds;
}

uint64_t iterations() {
  if (const char* v = std::getenv("RPROCTEE_RACE_ITERATIONS")) {
    const uint64_t n = std::strtoull(v, nullptr, 10);
    if (n > 0) return n;
  }
  return kDefaultIterations;
}

/// One place the attacker flips between its evil value and the pristine bytes.
struct Mutation {
  size_t offset = 0;
  Bytes evil;
  const char* what = "";
  uint32_t group = 0;  // kContainer, kElf, kSections, kSegments
};
enum : uint32_t { kContainer, kElf, kSections, kSegments, kGroups };

/// Everything the attacker needs, in memory shared with a forked child (atomics in a
/// MAP_SHARED anonymous page are lock-free and work across processes).
struct Control {
  std::atomic<uint32_t> generation{0};  // bumped by the victim for every LOAD
  std::atomic<uint32_t> running{0};     // 1 while the LOAD is in flight
  std::atomic<uint32_t> ready{0};       // the generation the attacker is attacking
  std::atomic<uint32_t> done{0};        // the generation the attacker finished
  std::atomic<uint32_t> exit{0};
  std::atomic<uint64_t> seed{0};
  std::atomic<int64_t> window_ns{0};  // the attacker starts at a random point in [0, window)
  std::atomic<uint64_t> flips{0};     // evil writes, in total
};
static_assert(std::atomic<uint32_t>::is_always_lock_free &&
              std::atomic<uint64_t>::is_always_lock_free);

uint64_t xorshift(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

/// Waits (yielding) until `value` is `want`; false after 10 s (a dead attacker).
/// Spins for the first 200 us (yielding on a busy machine costs a whole time slice), then
/// yields.
bool wait_for(const std::atomic<uint32_t>& value, uint32_t want) {
  const int64_t start = now_ns();
  while (value.load(std::memory_order_acquire) != want) {
    const int64_t waited = now_ns() - start;
    if (waited > 10'000'000'000) return false;
    if (waited > 200'000) ::sched_yield();
  }
  return true;
}

void write_bytes_volatile(uint8_t* dst, const uint8_t* src, size_t n) {
  volatile uint8_t* d = dst;
  for (size_t i = 0; i < n; ++i) d[i] = src[i];
}

/// Busy-waits until `deadline` (CLOCK_MONOTONIC ns) or until the LOAD is over.
void hold_until(const Control* ctl, int64_t deadline) {
  while (now_ns() < deadline && ctl->running.load(std::memory_order_acquire)) {
  }
}

/// The attacker: for every generation it says it is ready (the victim starts the LOAD only
/// then), waits a random part of a clean LOAD's duration, then flips random mutations until
/// the LOAD returned: evil value held for a random time, pristine bytes back, pause. No
/// allocation, no locks: it also runs in a forked child.
void attack_loop(Control* ctl, uint8_t* shared, const uint8_t* pristine, const Mutation* mutations,
                 size_t count) {
  static constexpr int64_t kEvilHold[] = {0, 200, 1000, 5000, 50000};
  static constexpr int64_t kPristineHold[] = {0, 200, 1000, 5000};
  uint32_t last = 0;
  for (;;) {
    uint32_t g = 0;
    const int64_t idle = now_ns();
    while ((g = ctl->generation.load(std::memory_order_acquire)) == last) {
      if (ctl->exit.load(std::memory_order_acquire)) return;
      if (now_ns() - idle > 2'000'000) ::sched_yield();  // spin through the victim's checks
    }
    last = g;
    uint64_t rng = ctl->seed.load() | 1;
    const int64_t window = ctl->window_ns.load();
    // Focus: one mutation (the most precise double-fetch probe), one group (container, ELF
    // headers, section headers, segment bytes; the list is sorted by group), or all of them.
    const uint64_t focus = xorshift(rng) % 8;
    size_t first = 0, span = count;
    if (focus < 3) {
      first = static_cast<size_t>(xorshift(rng) % count);
      span = 1;
    } else if (focus < 7) {
      const auto group = static_cast<uint32_t>(xorshift(rng) % kGroups);
      size_t end = 0;
      while (first < count && mutations[first].group != group) ++first;
      for (end = first; end < count && mutations[end].group == group; ++end) {
      }
      if (end > first)
        span = end - first;
      else
        first = 0;
    }
    const int64_t evil_hold = kEvilHold[xorshift(rng) % std::size(kEvilHold)];
    const int64_t pristine_hold = kPristineHold[xorshift(rng) % std::size(kPristineHold)];
    const int64_t delay =
        window > 0 ? static_cast<int64_t>(xorshift(rng) % static_cast<uint64_t>(window)) : 0;
    ctl->ready.store(g, std::memory_order_release);
    hold_until(ctl, now_ns() + delay);
    uint64_t flips = 0;
    while (ctl->running.load(std::memory_order_acquire)) {
      const Mutation& m = mutations[first + static_cast<size_t>(xorshift(rng) % span)];
      write_bytes_volatile(shared + m.offset, m.evil.data(), m.evil.size());
      ++flips;
      hold_until(ctl, now_ns() + evil_hold);
      write_bytes_volatile(shared + m.offset, pristine + m.offset, m.evil.size());
      hold_until(ctl, now_ns() + pristine_hold);
    }
    ctl->flips.fetch_add(flips);
    ctl->done.store(g, std::memory_order_release);
  }
}

/// The places to attack in `image` (one ELF: code, data, resource table).
std::vector<Mutation> mutations_for(const Bytes& image) {
  std::vector<Mutation> out;
  uint32_t group = kContainer;
  auto word = [&](size_t at, uint32_t v, const char* what) {
    out.push_back({at, le32(v), what, group});
  };
  auto half = [&](size_t at, uint16_t v, const char* what) {
    out.push_back({at, Bytes{static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)}, what, group});
  };
  auto flip = [&](size_t at, const char* what) {
    out.push_back({at, Bytes{static_cast<uint8_t>(image.at(at) ^ 0xFF)}, what, group});
  };
  const uint32_t tlv_len = get_u32(image, 8), sign_len = get_u32(image, 12),
                 img_len = get_u32(image, 16);
  // Header sizes (read once into the snapshot, or the sizes disagree with the file).
  word(8, 0xFFFFFFF9, "tlv_len wraps");
  word(8, tlv_len - 8, "tlv_len shorter");
  word(12, 0xFFFFFFFF, "sign_len wraps");
  word(12, sign_len - 1, "sign_len shorter");
  word(16, 0xFFFFFFF8, "img_len wraps");
  word(16, img_len + 8, "img_len longer");
  // TLV area: the signed hash table (a program-header word and a digest byte).
  const RawImage raw = decompose(image);
  size_t table_at = 20;
  {
    // Find HASHTABLE's value in the TLV area.
    size_t at = 20;
    while (at + 8 <= 20 + tlv_len) {
      const uint32_t type = get_u32(image, at), len = get_u32(image, at + 4);
      if (type == image::tlv::kHashTable) {
        table_at = at + 8;
        break;
      }
      at += 8 + round_up8(len);
    }
  }
  word(table_at + 16, get_u32(image, table_at + 16) + 0x100, "signed table p_filesz");
  flip(table_at + 40, "signed digest byte");

  // The ELF header and program headers (the signed table must equal them).
  group = kElf;
  const size_t elf = 20 + round_up8(tlv_len) + round_up8(sign_len);
  const Bytes& e = raw.images[0];
  const uint16_t phnum = get_u16(e, ehdr::kPhnum);
  half(elf + ehdr::kPhnum, static_cast<uint16_t>(phnum - 1), "e_phnum - 1");
  half(elf + ehdr::kPhnum, static_cast<uint16_t>(phnum + 1), "e_phnum + 1");
  half(elf + ehdr::kPhnum, 0xFFFF, "e_phnum PN_XNUM");
  half(elf + ehdr::kPhnum, 0, "e_phnum 0");
  word(elf + ehdr::kPhoff, get_u32(e, ehdr::kPhoff) + 32, "e_phoff + 32");
  out.push_back({elf + ehdr::kClass, Bytes{2}, "ELFCLASS64", group});
  half(elf + ehdr::kMachine, 62, "e_machine x86-64");
  for (size_t i = 0; i < phnum; ++i) {
    const size_t ph = elf + phdr_offset(e, i);
    word(ph + 0, 0, "p_type PT_NULL");
    word(ph + 4, get_phdr(e, i, Phdr::kOffset) + 0x10, "p_offset + 0x10");
    word(ph + 12, get_phdr(e, i, Phdr::kPaddr) + 0x1000, "p_paddr + 0x1000");
    word(ph + 16, get_phdr(e, i, Phdr::kFilesz) + 0x100, "p_filesz + 0x100");
    word(ph + 20, get_phdr(e, i, Phdr::kMemsz) - 1, "p_memsz - 1");
  }

  // Section headers (unsigned): the resource table's location and the name table.
  group = kSections;
  const size_t rsc = section_index(e, ".resource_table");
  const size_t names = get_u16(e, ehdr::kShstrndx);
  const size_t sh = elf + shdr_offset(e, rsc);
  word(sh + 16, get_shdr(e, 1, Shdr::kOffset), "rsc sh_offset -> code");
  word(sh + 12, get_shdr(e, rsc, Shdr::kAddr) + 0x40, "rsc sh_addr + 0x40");
  word(sh + 20, 0x10001, "rsc sh_size oversized");
  word(sh + 20, 8, "rsc sh_size 8");
  word(sh + 8, get_shdr(e, rsc, Shdr::kFlags) | 4u, "rsc SHF_EXECINSTR");
  word(elf + shdr_offset(e, names) + 20, 3, "name table cut");
  half(elf + ehdr::kShstrndx, get_u16(e, ehdr::kShnum), "e_shstrndx = e_shnum");
  word(elf + ehdr::kShoff, 0xFFFFFFF0, "e_shoff wraps");

  // Segment bytes (the digest covers them: copied once, hashed where they are kept), nine
  // spots per segment from the first to the last file byte; the resource table's count and
  // version words too.
  group = kSegments;
  for (size_t i = 0; i < phnum; ++i) {
    const size_t seg = elf + get_phdr(e, i, Phdr::kOffset);
    const size_t n = get_phdr(e, i, Phdr::kFilesz);
    for (size_t k = 0; k <= 8; ++k) flip(seg + (n - 1) * k / 8, "segment byte");
  }
  const size_t table = elf + get_shdr(e, rsc, Shdr::kOffset);
  word(table + 0, 2, "resource table version");
  word(table + 4, 0x10000000, "resource table num");
  return out;
}

/// TA codes a racing LOAD may legitimately answer.
bool allowed_failure(TEEC_Result r) {
  switch (r) {
    case TEEC_ERROR_BAD_PARAMETERS:
    case TEEC_ERROR_BAD_FORMAT:
    case TEEC_ERROR_SECURITY:
    case TEE_ERROR_SIGNATURE_INVALID:
    case TEEC_ERROR_ACCESS_DENIED:
    case TEEC_ERROR_NO_DATA:
    case TEEC_ERROR_NOT_SUPPORTED:
      return true;
    default:
      return false;
  }
}

enum class AttackerKind { kThread, kProcess };

class TaRace : public ::testing::TestWithParam<std::tuple<AttackerKind, TransportKind>> {};

TEST_P(TaRace, EveryLoadFailsCleanlyOrLoadsExactlyTheSignedBytes) {
  const auto [attacker, transport] = GetParam();
  MachineUnderTest m(transport);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  // 64 KiB of code: the copy-and-hash of the segments takes long enough to be raced.
  const Bytes pristine = demo_image(65536);
  const auto mutations = mutations_for(pristine);
  const uint64_t table_size = demo_resource_table().size();

  TEEC_SharedMemory shm{};
  shm.size = pristine.size();
  shm.flags = TEEC_MEM_INPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&c.context(), &shm), TEEC_SUCCESS);
  struct ReleaseShm {
    TEEC_SharedMemory& shm;
    ~ReleaseShm() { TEEC_ReleaseSharedMemory(&shm); }  // idempotent
  } release_shm{shm};
  auto* shared = static_cast<uint8_t*>(shm.buffer);
  auto load = [&](uint32_t& origin) {
    TEEC_Operation op{};
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
    op.params[1].memref.parent = &shm;
    return c.invoke(protocol::rproc_ta::kLoadFw, op, &origin);
  };

  // How long a clean LOAD takes: the attacker's start point is drawn from that.
  std::memcpy(shared, pristine.data(), pristine.size());
  std::vector<int64_t> clean;
  for (int i = 0; i < 9; ++i) {
    uint32_t origin = 0;
    const int64_t t0 = now_ns();
    ASSERT_EQ(load(origin), TEEC_SUCCESS) << c.last_error();
    clean.push_back(now_ns() - t0);
    ASSERT_TRUE(memory_holds_exactly(m, pristine));
    ASSERT_EQ(c.release(), TEEC_SUCCESS);
  }
  std::sort(clean.begin(), clean.end());
  const int64_t clean_ns = clean[clean.size() / 2];

  void* page =
      ::mmap(nullptr, sizeof(Control), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  auto* ctl = new (page) Control();
  ctl->window_ns = clean_ns;
  std::thread thread;
  pid_t child = -1;
  if (attacker == AttackerKind::kThread) {
    thread =
        std::thread(attack_loop, ctl, shared, pristine.data(), mutations.data(), mutations.size());
  } else {
    // The child inherits the MAP_SHARED mapping of the shared memory's memfd: it writes the
    // very pages the TEE reads.
    const pid_t parent = ::getpid();
    child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(3);
      attack_loop(ctl, shared, pristine.data(), mutations.data(), mutations.size());
      ::_exit(0);
    }
  }
  // Stops the attacker whatever happens below (before the shared memory goes away).
  struct Stop {
    Control* ctl;
    std::thread& thread;
    pid_t child;
    ~Stop() {
      ctl->running = 0;
      ctl->exit = 1;
      if (thread.joinable()) thread.join();
      if (child > 0) {
        for (int i = 0; i < 200 && ::waitpid(child, nullptr, WNOHANG) == 0; ++i) ::usleep(10000);
        if (::kill(child, 0) == 0) {
          ::kill(child, SIGKILL);
          ::waitpid(child, nullptr, 0);
        }
      }
      ::munmap(ctl, sizeof(Control));
    }
  } stop{ctl, thread, child};

  const uint64_t wanted = iterations();
  const double budget = budget_seconds();
  uint64_t n = 0, successes = 0, failures = 0;
  std::map<std::string, uint64_t> reasons;
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  const auto t0 = Clock::now();
  for (uint64_t i = 0; i < wanted; ++i, ++n) {
    if (i >= kMinIterations && std::chrono::duration<double>(Clock::now() - t0).count() > budget)
      break;
    std::memcpy(shared, pristine.data(), pristine.size());
    ctl->seed = xorshift(seed);
    ctl->running.store(1, std::memory_order_release);
    const uint32_t g = ctl->generation.fetch_add(1) + 1;
    ASSERT_TRUE(wait_for(ctl->ready, g)) << "the attacker does not answer";
    uint32_t origin = 0;
    const TEEC_Result r = load(origin);
    ctl->running.store(0, std::memory_order_release);
    ASSERT_TRUE(wait_for(ctl->done, g)) << "the attacker does not stop";
    // The attacker is quiet now: check the outcome.
    if (r == TEEC_SUCCESS) {
      ++successes;
      ASSERT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
      ASSERT_TRUE(memory_holds_exactly(m, pristine)) << "iteration " << i
                                                     << ": LOAD succeeded but "
                                                        "memory differs from the signed image";
      uint64_t address = 0, size = 0;
      ASSERT_EQ(c.rsc_table(address, size), TEEC_SUCCESS);
      ASSERT_EQ(address, 0x81200000u) << "iteration " << i;
      ASSERT_EQ(size, table_size) << "iteration " << i;
      ASSERT_EQ(c.release(), TEEC_SUCCESS);
      ASSERT_TRUE(m.memories_zero()) << "iteration " << i;
    } else {
      ++failures;
      const std::string reason = c.last_error();
      ASSERT_TRUE(allowed_failure(r) && origin == TEEC_ORIGIN_TRUSTED_APP)
          << fmt::format("iteration {}: LOAD answered {:#x} origin {}: {}", i, r, origin, reason);
      ASSERT_NE(reason.find("LOAD_FW rejected: "), std::string::npos) << reason;
      ASSERT_TRUE(m.memories_zero()) << "iteration " << i << ": " << reason;
      ASSERT_TRUE(StateIsOff(c)) << "iteration " << i << ": " << reason;
      ++reasons[std::string(tee_code_name(static_cast<TeeCode>(r)))];
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::string summary;
  for (const auto& [name, count] : reasons) summary += fmt::format(" {}={}", name, count);
  std::printf(
      "[ race     ] %llu LOADs (of %llu) in %.2f s (%llu loaded exactly, %llu refused:%s), %llu "
      "attacker writes, clean LOAD %.0f us\n",
      static_cast<unsigned long long>(n), static_cast<unsigned long long>(wanted), seconds,
      static_cast<unsigned long long>(successes), static_cast<unsigned long long>(failures),
      summary.c_str(), static_cast<unsigned long long>(ctl->flips.load()),
      static_cast<double>(clean_ns) / 1e3);
  RecordProperty("loads", std::to_string(n));
  RecordProperty("loaded_exactly", std::to_string(successes));
  RecordProperty("refused", std::to_string(failures));
  // The race must have been real both ways: attacks that landed and loads that got through.
  EXPECT_GT(failures, 0u);
  EXPECT_GT(successes, 0u);
  EXPECT_GT(ctl->flips.load(), n);

  // After the storm: the pristine image loads, and the attacker process ended cleanly.
  std::memcpy(shared, pristine.data(), pristine.size());
  uint32_t origin = 0;
  ASSERT_EQ(load(origin), TEEC_SUCCESS) << c.last_error();
  EXPECT_TRUE(memory_holds_exactly(m, pristine));
  ASSERT_EQ(c.start(), TEEC_SUCCESS);
  ASSERT_EQ(c.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m.memories_zero());
  if (child > 0) {
    ctl->exit = 1;
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "attacker status " << status;
    stop.child = -1;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Attackers, TaRace,
    ::testing::Combine(::testing::Values(AttackerKind::kThread, AttackerKind::kProcess),
                       ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket)),
    [](const auto& p) {
      return std::string(std::get<0>(p.param) == AttackerKind::kThread ? "Thread" : "Process") +
             "_" + transport_name(std::get<1>(p.param));
    });

}  // namespace
}  // namespace rproctee::test
