#include "fuzz_sysfs_entry.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "fuzz_invariant.hpp"
#include "machine/inprocess.hpp"
#include "machine/machine.hpp"
#include "platform/secure_config.hpp"
#include "remoteproc/platform_driver.hpp"

namespace rproctee::fuzz {

namespace {

#ifdef RPROCTEE_DEMO_FIRMWARE_DIR
constexpr const char* kFirmwareDir = RPROCTEE_DEMO_FIRMWARE_DIR;
#else
constexpr const char* kFirmwareDir = ".";
#endif

constexpr std::string_view kClass = "sys/class/remoteproc/remoteproc0/";
constexpr std::string_view kDebug = "sys/kernel/debug/remoteproc/remoteproc0/";

/// The files an input picks by number (the last number: a path of fuzzed bytes).
const std::vector<std::string>& paths() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> p;
    for (const char* f : {"state", "firmware", "recovery", "coredump", "name"})
      p.push_back(std::string(kClass) + f);
    for (const char* f :
         {"recovery", "crash", "coredump", "resource_table", "carveout_memories", "trace0", "name"})
      p.push_back(std::string(kDebug) + f);
    p.push_back("sys/class/devcoredump/devcd1/data");
    p.push_back("dmesg");
    return p;
  }();
  return all;
}

/// The machine (held cores) and the normal world on it, made once.
struct World {
  std::unique_ptr<machine::Machine> machine;
  std::unique_ptr<remoteproc::NormalWorld> nw;
  const dt::Processor* processor = nullptr;
};

World& world() {
  static World w = [] {
    World made;
    auto d = platform::load_preset("stm32mp25");
    if (!d) std::abort();
    machine::MachineOptions options{*d, "", false};
    options.emulate_cores = false;
    auto m = machine::Machine::create(std::move(options));
    if (!m) std::abort();
    made.machine = std::move(*m);
    machine::register_inprocess("fuzz-sysfs", *made.machine);
    remoteproc::NormalWorldOptions nw;
    nw.firmware_path = {kFirmwareDir};
    nw.echo_log = false;
    nw.log_capacity = 16 * 1024;  // wraps every few inputs (and `dmesg` reads stay cheap)
    nw.shutdown_timeout = std::chrono::milliseconds(1);
    nw.inline_dump_timeout = std::chrono::milliseconds(1);
    auto created = remoteproc::NormalWorld::create("inproc:fuzz-sysfs", std::move(nw));
    if (!created) {
      std::fprintf(stderr, "fuzz_sysfs: %s\n", created.error().message.c_str());
      std::abort();
    }
    made.nw = std::move(*created);
    made.nw->sysfs().write(std::string(kClass) + "firmware", "demo-m33.sign");
    made.processor = made.machine->description().layout.processor(0);
    return made;
  }();
  return w;
}

bool memories_zero(World& w) {
  for (size_t r : w.processor->regions)
    if (!w.machine->soc().region(r).is_zero()) return false;
  return true;
}

/// Reads `n` bytes at `at` (fewer at the end of the input).
std::string_view take(std::span<const uint8_t> data, size_t& at, size_t n) {
  n = std::min(n, data.size() - at);
  std::string_view s(reinterpret_cast<const char*>(data.data() + at), n);
  at += n;
  return s;
}

void check_state(remoteproc::SysfsTree& sysfs) {
  std::string state;
  FUZZ_INVARIANT(sysfs.read(std::string(kClass) + "state", state) == 0, "state unreadable");
  FUZZ_INVARIANT(state == "offline\n" || state == "running\n" || state == "crashed\n",
                 "state reads \"%s\"", state.c_str());
}

/// Back to the start: recovery on, default dumps, the demo firmware, offline (waiting for a
/// crash being handled), memories zero.
void reset(World& w) {
  auto& sysfs = w.nw->sysfs();
  sysfs.write(std::string(kClass) + "recovery", "enabled");
  sysfs.write(std::string(kClass) + "coredump", "default");
  std::string state;
  for (int i = 0; i < 2000; ++i) {
    state.clear();
    sysfs.read(std::string(kClass) + "state", state);
    if (state == "offline\n") break;
    sysfs.write(std::string(kClass) + "state", "stop");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  FUZZ_INVARIANT(state == "offline\n", "still \"%s\" after 2000 stops", state.c_str());
  FUZZ_INVARIANT(memories_zero(w), "offline with memories not zero");
  sysfs.write(std::string(kClass) + "firmware", "demo-m33.sign");
}

}  // namespace

remoteproc::SysfsTree& fuzz_sysfs_tree() {
  return world().nw->sysfs();
}

void fuzz_sysfs_reset() {
  reset(world());
}

void fuzz_sysfs_one(std::span<const uint8_t> data) {
  World& w = world();
  auto& sysfs = w.nw->sysfs();
  const auto& files = paths();
  size_t at = 0;
  for (int op = 0; op < 16 && at < data.size(); ++op) {
    const size_t pick = data[at++] % (files.size() + 1);
    std::string path;
    if (pick < files.size()) {
      path = files[pick];
    } else {
      const size_t n = at < data.size() ? size_t{data[at++]} % 80 : 0;
      path = std::string(take(data, at, n));
    }
    const size_t n = at < data.size() ? data[at++] : 0;
    const std::string value(take(data, at, n));
    const int written = sysfs.write(path, value);
    FUZZ_INVARIANT(written <= 0 && written > -4096, "write answered %d", written);
    std::string back;
    const int read = sysfs.read(path, back);
    FUZZ_INVARIANT(read <= 0 && read > -4096, "read answered %d", read);
    check_state(sysfs);
  }
  reset(w);
}

std::vector<std::vector<uint8_t>> fuzz_sysfs_seeds() {
  // (path number, value) sequences; path numbers index paths(): 0 state, 1 firmware,
  // 2 recovery, 3 coredump, 5 debug recovery, 6 debug crash, 12 a dump's data, 13 dmesg,
  // 14 a fuzzed path.
  const auto op = [](std::vector<uint8_t>& out, uint8_t path, std::string_view value) {
    out.push_back(path);
    out.push_back(static_cast<uint8_t>(value.size()));
    for (char c : value) out.push_back(static_cast<uint8_t>(c));  // (insert: GCC 12 -Warray-bounds)
  };
  std::vector<std::vector<uint8_t>> seeds(6);
  op(seeds[0], 0, "start\n");
  op(seeds[0], 0, "stop\n");
  op(seeds[1], 1, "demo-m33.sign\n");
  op(seeds[1], 0, "start");
  op(seeds[1], 6, "1");  // RPROC_WATCHDOG
  op(seeds[1], 13, "");
  op(seeds[2], 2, "disabled\n");
  op(seeds[2], 3, "inline\n");
  op(seeds[2], 0, "start");
  op(seeds[2], 5, "recover");
  op(seeds[3], 1, "../../etc/passwd");
  op(seeds[3], 0, "start\n\n");
  op(seeds[3], 1, "");
  const std::string_view odd = "sys/class/remoteproc/../remoteproc0/state";  // a fuzzed path
  seeds[4].push_back(14);
  seeds[4].push_back(static_cast<uint8_t>(odd.size()));
  for (char c : odd) seeds[4].push_back(static_cast<uint8_t>(c));
  for (char c : std::string_view("\x05start")) seeds[4].push_back(static_cast<uint8_t>(c));
  op(seeds[5], 0, "START");
  op(seeds[5], 3, "enabled");
  op(seeds[5], 3, "disabled");
  op(seeds[5], 12, "1");
  return seeds;
}

}  // namespace rproctee::fuzz
