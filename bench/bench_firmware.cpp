// The whole system running the real demo firmware (firmware/, demo-m33.sign signed with the
// development key): a STM32MP25 machine served on a Unix socket by a thread of this process,
// the normal world's remoteproc + rpmsg host, the emulated Cortex-M33. Wall time throughout.
//
//   BM_Boot        repeated boot/shutdown cycles (the shutdown is not timed). Per cycle:
//                  authenticate+load (boot_times parse_begin..parse_end, LOAD through the TA),
//                  START (start_begin..start_end), START -> the first complete trace line in
//                  trace0 (a watcher thread polls the trace buffer's bytes from before boot(),
//                  since trace0 itself is only readable once boot() returned), and boot() ->
//                  the "rpmsg-tty" channel announced. Counters: <what>_median_us, _p99_us.
//   BM_RoundTrip/<bytes>   send one message, receive its echo (checked byte-exact);
//                          counters median_us, p99_us, min_us over every round trip.
//   BM_Throughput/496      a sender thread keeps up to kWindow messages in flight, this thread
//                          receives the echoes (in order, checked); counters MB_per_s (payload
//                          bytes echoed back, 1e6 bytes) and msgs_per_s.
//   Stalls: an echo not back within kStall (1 s) is counted ("stalls"), the path is woken by
//   sending again, and the wait is left out of the figures. Under load the echo path has been
//   seen to hold a message until the next one arrives (no crash); the counter shows how often.
//   BM_Window/<bytes>/<window>   the same pipelined echo with `window` messages in flight
//                          (1, 16, 64; the vrings hold 16 buffers each way).
//   BM_ThreadPingPong      the floor of a round trip: a token handed to another thread and back
//                          (mutex + condition variable each way, as a message crosses from the
//                          host to the core's thread and back); median_us, p99_us.
//   BM_FutexPingPong       the cross-process floor: a word in a shared mapping handed to a
//                          forked child and back, FUTEX_WAIT/FUTEX_WAKE (shared futexes, no
//                          spinning) each way; median_us, p99_us.
//   BM_SocketPingPong      the same over a SOCK_SEQPACKET socket pair (one byte each way), as
//                          a doorbell message on the machine link would cross.
//
// Skipped with an error when the demo firmware was not built (no arm-none-eabi-gcc).
#include <benchmark/benchmark.h>

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "remoteproc/platform_driver.hpp"
#include "rpmsg/bus.hpp"
#include "rpmsg/channel.hpp"
#include "rpmsg/rpmsg_device.hpp"
#include "support/machine_fixture.hpp"

namespace {

using namespace rproctee::test;  // NOLINT: benchmark glue
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<uint8_t>;

#ifdef RPROCTEE_DEMO_FIRMWARE_DIR
const std::filesystem::path kDemoDir = RPROCTEE_DEMO_FIRMWARE_DIR;
#else
const std::filesystem::path kDemoDir;
#endif
constexpr auto kWait = 20s;                       // a bound on every wait, never a speed check
constexpr std::chrono::milliseconds kStall = 1s;  // an echo later than this: a stall
constexpr int kBootCycles = 40;
constexpr int kRoundTrips = 3000;
constexpr int kThroughputMessages = 4000;  // per iteration
constexpr int kWindow = 32;                // messages in flight (the vrings hold 16 each way)
constexpr int kMaxWindow = 64;

double us(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

/// The sample at quantile `q` (nearest rank); 0 when empty.
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

void put_percentiles(benchmark::State& state, const std::string& what,
                     const std::vector<double>& samples) {
  const std::string prefix = what.empty() ? "" : what + "_";
  state.counters[prefix + "median_us"] = quantile(samples, 0.5);
  state.counters[prefix + "p99_us"] = quantile(samples, 0.99);
}

/// The machine, the normal world and processor 0 with demo-m33.sign selected.
class System {
 public:
  System() : machine_(TransportKind::kSocket, config()) {
    bus_ = &rproctee::rpmsg::install();
    rproctee::remoteproc::NormalWorldOptions options;
    options.firmware_path = {kDemoDir.string()};
    options.echo_log = false;
    auto w = rproctee::remoteproc::NormalWorld::create(machine_.tee_name(), std::move(options));
    if (!w) throw std::runtime_error(w.error().message);
    nw_ = std::move(*w);
    if (rproc().set_firmware("demo-m33.sign") != 0)
      throw std::runtime_error("cannot select demo-m33.sign");
  }
  ~System() { shutdown(); }

  rproctee::remoteproc::Rproc& rproc() { return *nw_->rproc(0); }
  std::string log() { return nw_->log().contents(); }

  /// boot() and wait for the tty channel; throws on failure.
  void boot() {
    if (int err = rproc().boot(); err != 0)
      throw std::runtime_error("boot failed (" + std::to_string(err) + "): " + log());
    booted_ = true;
    auto device = bus_->wait_device(rproc(), kWait);
    channel_ = device ? device->wait_channel("rpmsg-tty", kWait) : nullptr;
    if (!channel_) throw std::runtime_error("no rpmsg-tty channel: " + log());
    const auto traces = rproc().traces();
    if (traces.empty()) throw std::runtime_error("the firmware has no trace buffer");
    trace_va_ = traces[0].va;
    trace_len_ = traces[0].len;
  }
  void shutdown() {
    if (!booted_) return;
    channel_.reset();
    booted_ = false;
    rproc().shutdown();
  }
  /// The tty channel of a running firmware (booting it when needed).
  rproctee::rpmsg::Channel& channel() {
    if (!channel_) boot();
    return *channel_;
  }
  /// Where the normal world sees trace0 (known after the first boot; the carveouts stay).
  const volatile uint8_t* trace_va() const { return trace_va_; }
  size_t trace_len() const { return trace_len_; }

 private:
  static MachineConfig config() {
    MachineConfig c;
    c.preset = "stm32mp25";
    c.emulate_cores = true;
    c.populate = true;  // resident memories, as on a board
    return c;
  }

  MachineUnderTest machine_;
  rproctee::rpmsg::Bus* bus_ = nullptr;
  std::unique_ptr<rproctee::remoteproc::NormalWorld> nw_;
  std::shared_ptr<rproctee::rpmsg::Channel> channel_;
  bool booted_ = false;
  const uint8_t* trace_va_ = nullptr;
  size_t trace_len_ = 0;
};

std::unique_ptr<System>& system_slot() {
  static std::unique_ptr<System> s;
  return s;
}
/// The process's system, created on first use; null (with an error on `state`) without the
/// demo firmware or when it cannot come up.
System* system_for(benchmark::State& state) {
  auto& s = system_slot();
  if (s) return s.get();
  if (kDemoDir.empty() || !std::filesystem::exists(kDemoDir / "demo-m33.sign")) {
    state.SkipWithError("the demo firmware was not built (arm-none-eabi-gcc missing)");
    return nullptr;
  }
  try {
    s = std::make_unique<System>();
    s->boot();  // learns where the trace buffer is
  } catch (const std::exception& e) {
    s.reset();
    state.SkipWithError(e.what());
  }
  return s.get();
}

/// True once the trace buffer holds a complete line.
bool trace_has_line(const volatile uint8_t* va, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    const uint8_t c = va[i];
    if (c == '\n') return true;
    if (c == 0) return false;
  }
  return false;
}

void BM_Boot(benchmark::State& state) {
  System* sys = system_for(state);
  if (!sys) return;
  std::vector<double> load, start, trace, channel;
  for (auto _ : state) {
    sys->shutdown();  // wipes the memories: the trace buffer is empty again
    std::atomic<bool> give_up{false};
    std::atomic<Clock::rep> seen{0};  // Clock ticks; 0: not yet
    std::thread watcher([&] {
      while (!give_up.load(std::memory_order_relaxed)) {
        if (trace_has_line(sys->trace_va(), sys->trace_len())) {
          seen = Clock::now().time_since_epoch().count();
          return;
        }
        std::this_thread::yield();
      }
    });
    const auto t0 = Clock::now();
    try {
      sys->boot();
    } catch (const std::exception& e) {
      give_up = true;
      watcher.join();
      state.SkipWithError(e.what());
      break;
    }
    const auto t1 = Clock::now();
    const auto watch_deadline = t1 + kWait;
    while (seen.load() == 0 && Clock::now() < watch_deadline) std::this_thread::sleep_for(100us);
    give_up = true;
    watcher.join();
    if (seen.load() == 0) {
      state.SkipWithError("no trace line after the boot");
      break;
    }
    const auto times = sys->rproc().boot_times();
    load.push_back(us(times.parse_end - times.parse_begin));
    start.push_back(us(times.start_end - times.start_begin));
    trace.push_back(us(Clock::time_point(Clock::duration(seen.load())) - times.start_begin));
    channel.push_back(us(t1 - t0));
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  put_percentiles(state, "load", load);
  put_percentiles(state, "start", start);
  put_percentiles(state, "start_to_trace", trace);
  put_percentiles(state, "boot_to_channel", channel);
}

/// Why an exchange failed.
std::string no_echo(const rproctee::remoteproc::SysStatus& sent,
                    const std::optional<std::vector<uint8_t>>& echo) {
  if (!sent) return "send failed: " + sent.error().message;
  if (!echo) return "no echo within the bound";
  return "an echo that differs (" + std::to_string(echo->size()) + " bytes: " +
         std::string(echo->begin(),
                     echo->begin() + std::min<std::ptrdiff_t>(std::ssize(*echo), 60)) +
         ")";
}

/// Sends `payload` and waits for its echo, discarding echoes of earlier payloads (`stale`).
/// An echo not back within kStall is a stall (seen under load: the message waits until the next
/// one wakes the path): counted, and the payload is sent again. Fails on a closed channel or
/// after kWait.
enum class Outcome { kClean, kStalled, kFailed };
Outcome exchange(rproctee::rpmsg::Channel& channel, const Bytes& payload, Clock::duration& rtt,
                 uint64_t& stale, std::string& why) {
  const auto t0 = Clock::now();
  bool stalled = false;
  if (auto sent = channel.send(payload); !sent) {
    why = no_echo(sent, std::nullopt);
    return Outcome::kFailed;
  }
  while (Clock::now() - t0 < kWait) {
    auto echo = channel.receive(kStall);
    if (echo == payload) {
      rtt = Clock::now() - t0;
      return stalled ? Outcome::kStalled : Outcome::kClean;
    }
    if (echo) {
      ++stale;
      continue;
    }
    if (channel.closed()) break;
    stalled = true;
    if (auto sent = channel.send(payload); !sent) {
      why = no_echo(sent, std::nullopt);
      return Outcome::kFailed;
    }
  }
  why = channel.closed() ? "the channel closed" : "no echo within the bound";
  return Outcome::kFailed;
}

void BM_RoundTrip(benchmark::State& state) {
  System* sys = system_for(state);
  if (!sys) return;
  const auto size = static_cast<size_t>(state.range(0));
  Bytes payload(size);
  for (size_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(0x41 + i * 7 % 26);
  // Consecutive payloads differ (byte 0, and a counter in bytes 0..3 when there is room), so
  // that a late echo is never taken for the current one.
  uint32_t counter = 0;
  auto next = [&] {
    ++counter;
    if (size >= 4)
      std::memcpy(payload.data(), &counter, sizeof counter);
    else
      payload[0] = static_cast<uint8_t>(0x41 + counter % 26);
  };
  auto& channel = sys->channel();
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  uint64_t stalls = 0, stale = 0;
  Clock::duration rtt{};
  std::string why;
  for (int i = 0; i < 50; ++i, next()) {  // warm up
    if (exchange(channel, payload, rtt, stale, why) == Outcome::kFailed) {
      state.SkipWithError((why + " (warming up)").c_str());
      return;
    }
  }
  for (auto _ : state) {
    const Outcome outcome = exchange(channel, payload, rtt, stale, why);
    next();
    if (outcome == Outcome::kFailed) {
      why += " after " + std::to_string(samples.size()) + " round trips; crashes " +
             std::to_string(sys->rproc().crash_count());
      state.SkipWithError(why.c_str());
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(rtt).count());
    if (outcome == Outcome::kStalled)
      ++stalls;  // not a sample: its time is the stall bound
    else
      samples.push_back(us(rtt));
  }
  put_percentiles(state, "", samples);
  state.counters["min_us"] = quantile(samples, 0);
  state.counters["bytes"] = static_cast<double>(size);
  state.counters["stalls"] = static_cast<double>(stalls);
  state.counters["stale_echoes"] = static_cast<double>(stale);
}

/// A sender thread keeps up to `window` messages of `size` bytes in flight; this thread
/// receives the echoes in order.
void pipelined(benchmark::State& state, size_t size, int window) {
  System* sys = system_for(state);
  if (!sys) return;
  auto& channel = sys->channel();
  double seconds = 0;
  uint64_t messages = 0, stalls = 0;
  const Bytes kick(1, 0);  // sent on a stall; its echo is skipped (another size)
  for (auto _ : state) {
    Clock::duration stalled{};
    std::counting_semaphore<kMaxWindow> in_flight(window);
    std::atomic<bool> failed{false};
    std::string send_error, why;
    const auto t0 = Clock::now();
    std::thread sender([&] {
      Bytes payload(size, 0x5a);
      for (uint32_t seq = 0; seq < kThroughputMessages; ++seq) {
        while (!in_flight.try_acquire_for(10ms))
          if (failed.load()) return;
        std::memcpy(payload.data(), &seq, sizeof seq);
        if (auto sent = channel.send(payload); !sent) {
          send_error = sent.error().message;
          failed = true;
          return;
        }
      }
    });
    uint32_t received = 0;
    while (received < kThroughputMessages && !failed.load()) {
      const auto wait_begin = Clock::now();
      auto echo = channel.receive(kStall);
      if (!echo) {  // a stall (see exchange()): not counted as transfer time
        stalled += Clock::now() - wait_begin;
        if (channel.closed() || stalled > kWait || !channel.send(kick)) break;
        ++stalls;
        continue;
      }
      if (echo->size() != size) continue;
      uint32_t seq = 0;
      std::memcpy(&seq, echo->data(), sizeof seq);
      if (seq != received) {
        why = "echo " + std::to_string(seq) + " where " + std::to_string(received) + " was due";
        break;
      }
      ++received;
      in_flight.release();
    }
    const auto t1 = Clock::now() - stalled;
    if (received != kThroughputMessages) failed = true;  // stops the sender
    sender.join();
    if (failed.load() || received != kThroughputMessages) {
      why = "the pipelined echo failed after " + std::to_string(received) +
            " messages: " + (why.empty() ? "" : why + "; ") +
            (send_error.empty() ? "" : "send: " + send_error + "; ") +
            (channel.closed() ? "channel closed; " : "") + "rx dropped " +
            std::to_string(channel.stats().rx_dropped);
      state.SkipWithError(why.c_str());
      break;
    }
    const double s = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(s);
    seconds += s;
    messages += kThroughputMessages;
  }
  if (seconds > 0) {
    state.counters["MB_per_s"] = static_cast<double>(messages * size) / seconds / 1e6;
    state.counters["msgs_per_s"] = static_cast<double>(messages) / seconds;
  }
  state.counters["bytes"] = static_cast<double>(size);
  state.counters["window"] = window;
  state.counters["stalls"] = static_cast<double>(stalls);
}

void BM_Throughput(benchmark::State& state) {
  pipelined(state, static_cast<size_t>(state.range(0)), kWindow);
}

void BM_Window(benchmark::State& state) {
  pipelined(state, static_cast<size_t>(state.range(0)), static_cast<int>(state.range(1)));
}

void BM_ThreadPingPong(benchmark::State& state) {
  std::mutex mutex;
  std::condition_variable cv;
  int turn = 0;  // 0: the benchmark thread's, 1: the echo thread's, 2: stop
  std::thread echo([&] {
    std::unique_lock lock(mutex);
    while (true) {
      cv.wait(lock, [&] { return turn != 0; });
      if (turn == 2) return;
      turn = 0;
      cv.notify_all();
    }
  });
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  for (auto _ : state) {
    const auto t0 = Clock::now();
    {
      std::unique_lock lock(mutex);
      turn = 1;
      cv.notify_all();
      cv.wait(lock, [&] { return turn == 0; });
    }
    const auto t1 = Clock::now();
    samples.push_back(us(t1 - t0));
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  {
    std::lock_guard lock(mutex);
    turn = 2;
  }
  cv.notify_all();
  echo.join();
  put_percentiles(state, "", samples);
}

/// A forked child that runs `child` and exits; waited for by the destructor.
class Child {
 public:
  template <typename F>
  explicit Child(F child) : pid_(::fork()) {
    if (pid_ == 0) {
      child();  // only system calls: safe in the child of a threaded process
      ::_exit(0);
    }
  }
  ~Child() {
    int status = 0;
    if (pid_ > 0) ::waitpid(pid_, &status, 0);
  }
  bool ok() const { return pid_ > 0; }

 private:
  pid_t pid_;
};

long futex(uint32_t* word, int op, uint32_t value) {
  return ::syscall(SYS_futex, word, op, value, nullptr, nullptr, 0);
}

/// Waits (FUTEX_WAIT, shared) until *word == value.
void futex_wait_for(uint32_t* word, uint32_t value) {
  for (;;) {
    const uint32_t now = __atomic_load_n(word, __ATOMIC_SEQ_CST);
    if (now == value) return;
    futex(word, FUTEX_WAIT, now);
  }
}

void futex_set(uint32_t* word, uint32_t value) {
  __atomic_store_n(word, value, __ATOMIC_SEQ_CST);
  futex(word, FUTEX_WAKE, 1);
}

void BM_FutexPingPong(benchmark::State& state) {
  // word: 1 = the child's turn, 0 = the parent's, 2 = stop.
  void* shared = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    state.SkipWithError("mmap");
    return;
  }
  auto* word = static_cast<uint32_t*>(shared);
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  {
    Child child([word] {
      for (;;) {
        uint32_t now = __atomic_load_n(word, __ATOMIC_SEQ_CST);
        while (now == 0) {
          futex(word, FUTEX_WAIT, 0);
          now = __atomic_load_n(word, __ATOMIC_SEQ_CST);
        }
        if (now == 2) return;
        futex_set(word, 0);
      }
    });
    if (!child.ok()) state.SkipWithError("fork");
    for (auto _ : state) {
      if (!child.ok()) break;
      const auto t0 = Clock::now();
      futex_set(word, 1);
      futex_wait_for(word, 0);
      const auto t1 = Clock::now();
      samples.push_back(us(t1 - t0));
      state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    }
    futex_set(word, 2);
  }
  ::munmap(shared, 4096);
  put_percentiles(state, "", samples);
}

void BM_SocketPingPong(benchmark::State& state) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    state.SkipWithError("socketpair");
    return;
  }
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  {
    Child child([fd = fds[1]] {
      char byte = 0;
      while (::read(fd, &byte, 1) == 1 && byte != 0)
        if (::write(fd, &byte, 1) != 1) return;
    });
    ::close(fds[1]);
    if (!child.ok()) state.SkipWithError("fork");
    char byte = 1;
    for (auto _ : state) {
      if (!child.ok()) break;
      const auto t0 = Clock::now();
      if (::write(fds[0], &byte, 1) != 1 || ::read(fds[0], &byte, 1) != 1) {
        state.SkipWithError("the echo process is gone");
        break;
      }
      const auto t1 = Clock::now();
      samples.push_back(us(t1 - t0));
      state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    }
    byte = 0;
    (void)!::write(fds[0], &byte, 1);
    ::close(fds[0]);
  }
  put_percentiles(state, "", samples);
}

// The floors first: the process has no thread yet when they fork.
BENCHMARK(BM_FutexPingPong)
    ->Iterations(kRoundTrips)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SocketPingPong)
    ->Iterations(kRoundTrips)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Boot)->Iterations(kBootCycles)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RoundTrip)
    ->Arg(1)
    ->Arg(64)
    ->Arg(496)
    ->Iterations(kRoundTrips)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ThreadPingPong)
    ->Iterations(kRoundTrips)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Throughput)->Arg(496)->Iterations(5)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Window)
    ->Args({496, 1})
    ->Args({496, 16})
    ->Args({496, 64})
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  system_slot().reset();  // shut the firmware down before the machine goes
  return 0;
}
