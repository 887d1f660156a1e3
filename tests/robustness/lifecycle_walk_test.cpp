// Lifecycle random walk: the whole system (machine with the remoteproc TA, emulated Cortex-M33
// running the real signed demo firmware, normal world with its sysfs table and rpmsg) driven
// by a seeded random sequence of steps, checked after every step against a small reference
// model of what Linux remoteproc semantics say the state must be.
//
// Steps: sysfs `state` start / stop / stop until offline / garbage; `firmware` <- a valid image
// (the demo image, a variant re-signed with a trusted test key whose banner differs, a file whose
// content is swapped between the two at any time), a tampered image, an image signed with an
// untrusted key, a missing file, an empty name; `recovery` enabled / disabled / recover; `coredump`
// enabled / disabled; crashes through the firmware ("fault": bad access, "hang": watchdog)
// and through debugfs `crash`; an echo; and hostile TEE clients (a second session for the
// normal world's processor, sessions for other processors and the PTA, invocations on
// forged session ids with START/STOP/RELEASE/garbage LOAD_FW).
//
// Invariants after every step: sysfs state, refcount, firmware name, recovery, coredump mode,
// crash count and published dumps as the model says; offline: every memory of the processor
// zero, the core stopped, no rpmsg device; running (and crashed before the STOP): the signed
// read-only segments in memory byte for byte and zeros outside the image; running: the core
// runs, an echo comes back, and "version" answers the banner of the image that was booted
// (recovery restarts the image that ran, not the file's new content). At the end: no
// descriptor leaked once the normal world and the machine are gone.
//
// RPROCTEE_WALK_SEED=N and RPROCTEE_WALK_STEPS=N select the walk; the seed is in every
// failure message, with the last steps taken.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/fault_injection.hpp"
#include "image/elf32.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "remoteproc/platform_driver.hpp"
#include "robustness/walk_support.hpp"
#include "rpmsg/bus.hpp"
#include "rpmsg/channel.hpp"
#include "rpmsg/rpmsg_device.hpp"
#include "support/demo_system.hpp"  // kDemoDir
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"
#include "teec/tee_client_kernel.h"

namespace rproctee::test {
namespace {

using namespace std::chrono_literals;
using remoteproc::CoredumpMode;
using remoteproc::RprocState;
using Bytes = std::vector<uint8_t>;

constexpr const char* kState = "sys/class/remoteproc/remoteproc0/state";
constexpr const char* kFirmware = "sys/class/remoteproc/remoteproc0/firmware";
constexpr const char* kRecovery = "sys/class/remoteproc/remoteproc0/recovery";
constexpr const char* kCoredump = "sys/class/remoteproc/remoteproc0/coredump";
constexpr const char* kCrash = "sys/kernel/debug/remoteproc/remoteproc0/crash";
constexpr const char* kDefaultFirmware = "rproc-m33-fw";
// kWait (support/demo_system.hpp) bounds every wait; never a speed check.
constexpr auto kCrashWait = 30s;  // "hang": the watchdog bites after 1 s of emulated time
constexpr const char* kBanner = "rproctee demo firmware 1.0.0 on cortex-m33 (demo-m33)";
constexpr const char* kOtherBanner = "rproctee demo firmware 9.9.9 on cortex-m33 (demo-m33)";

// --- the steps ---------------------------------------------------------------------------

enum Step : size_t {
  kStart,
  kStop,
  kStopAll,
  kBogusState,
  kFwDemo,
  kFwOther,
  kFwSwap,
  kFwTampered,
  kFwUntrusted,
  kFwMissing,
  kFwEmpty,
  kSwapFile,
  kRecoveryEnabled,
  kRecoveryDisabled,
  kRecover,
  kCoredumpEnabled,
  kCoredumpDisabled,
  kCrashDebugfs,
  kCrashFault,
  kCrashHang,
  kEcho,
  kHostileTee,
  kStepKinds
};

struct StepKind {
  const char* name;
  unsigned weight;
};
constexpr std::array<StepKind, kStepKinds> kKinds = {{
    {"start", 14},
    {"stop", 16},
    {"stop-until-offline", 4},
    {"state-garbage", 1},
    {"firmware-demo", 5},
    {"firmware-other", 4},
    {"firmware-swap", 3},
    {"firmware-tampered", 4},
    {"firmware-untrusted", 4},
    {"firmware-missing", 1},
    {"firmware-empty", 1},
    {"swap-file-content", 3},
    {"recovery-enabled", 5},
    {"recovery-disabled", 5},
    {"recover", 3},
    {"coredump-enabled", 2},
    {"coredump-disabled", 2},
    {"crash-debugfs", 5},
    {"crash-fault", 4},
    {"crash-hang", 1},
    {"echo", 3},
    {"hostile-tee", 8},
}};

// --- the files and the model ---------------------------------------------------------------

/// What booting a file does.
enum class Verdict { kBoots, kEio, kEnoent };

struct Content {
  std::string label;
  Bytes bytes;  // empty for a file that does not exist
  Verdict verdict = Verdict::kEnoent;
  std::string banner;  // what "version" answers when it runs
};

/// What the system must look like (Linux remoteproc semantics, spec/remoteproc.md).
struct Model {
  RprocState state = RprocState::kOffline;
  int power = 0;
  std::string firmware = kDefaultFirmware;
  bool recovery_disabled = false;
  CoredumpMode coredump = CoredumpMode::kDisabled;  // the kernel default
  uint32_t crashes = 0;
  size_t dumps = 0;                  // published and not yet dismissed
  const Content* running = nullptr;  // the image booted from offline (what recovery restarts)
  std::map<std::string, const Content*> files;  // firmware name -> what the file holds now
};

std::string state_string(RprocState s) {
  return std::string(remoteproc::state_name(s)) + "\n";
}
std::string coredump_string(CoredumpMode m) {
  return std::string(remoteproc::coredump_mode_name(m)) + "\n";
}

/// `image` with its code changed after signing (the digest of segment 0 no longer matches).
Bytes tampered(const Bytes& image) {
  RawImage raw = decompose(image);
  auto view = image::Elf32View::parse(raw.images[0], "fw");
  if (!view) return {};
  raw.images[0][view->phdrs()[0].offset + 0x100] ^= 0x01;
  return assemble_raw(raw);
}

/// The demo ELF with `from` replaced by `to` (same length) everywhere.
Bytes patched(Bytes elf, const std::string& from, const std::string& to, size_t& replaced) {
  replaced = 0;
  for (auto it = std::search(elf.begin(), elf.end(), from.begin(), from.end()); it != elf.end();
       it = std::search(it + 1, elf.end(), from.begin(), from.end())) {
    std::copy(to.begin(), to.end(), it);
    ++replaced;
  }
  return elf;
}

Bytes text_bytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

// --- the fixture -------------------------------------------------------------------------

struct WalkParam {
  const char* name;
  TransportKind transport;
  uint32_t default_seed;
};

class LifecycleWalk : public ::testing::TestWithParam<WalkParam> {
 protected:
  void SetUp() override {
    if (kDemoDir.empty() || !std::filesystem::exists(kDemoDir / "demo-m33.sign"))
      GTEST_SKIP() << "the demo firmware was not built (arm-none-eabi-gcc missing)";
    seed_ = walk_seed(GetParam().default_seed);
    steps_ = walk_steps(150, 50);
    rng_.seed(seed_);
  }
  void TearDown() override { Down(); }

  void Up() {
    bus_ = &rpmsg::install();
    MachineConfig config;
    config.emulate_cores = true;  // trusts test keys rsa2048 and p256 (and the preset's dev key)
    machine_ = std::make_unique<MachineUnderTest>(GetParam().transport, config);
    auto w = demo_normal_world(*machine_, dir_.path());
    ASSERT_TRUE(w) << w.error().message;
    nw_ = std::move(*w);
    processor_id_ = machine_->machine().description().layout.processor(0)->id;
  }
  void Down() {
    disarm_faults();
    nw_.reset();
    machine_.reset();
    if (bus_) rpmsg::uninstall();  // the bus is process-wide: later tests expect none
    bus_ = nullptr;
  }

  /// The firmware files: name -> content (the model's view of the firmware folders).
  void MakeFiles() {
    const Bytes demo = read_bytes(kDemoDir / "demo-m33.sign");
    size_t replaced = 0;
    const Bytes other_elf = patched(read_bytes(kDemoDir / "demo-m33.elf"), "demo firmware 1.0.0",
                                    "demo firmware 9.9.9", replaced);
    ASSERT_GT(replaced, 0u) << "the banner is not in demo-m33.elf";
    auto add = [&](std::string label, Bytes bytes, Verdict v, std::string banner) {
      contents_.push_back(
          std::make_unique<Content>(Content{std::move(label), std::move(bytes), v, banner}));
      return contents_.back().get();
    };
    demo_ = add("demo (dev key)", demo, Verdict::kBoots, kBanner);
    other_ = add("other banner (rsa2048)", sign_elfs({other_elf}, test_key("rsa2048")),
                 Verdict::kBoots, kOtherBanner);
    const Content* bad = add("tampered", tampered(demo), Verdict::kEio, "");
    ASSERT_FALSE(bad->bytes.empty());
    const Content* untrusted = add(
        "untrusted key (rsa4096)",
        sign_elfs({read_bytes(kDemoDir / "demo-m33.elf")}, test_key("rsa4096")), Verdict::kEio, "");
    const Content* missing = add("missing", {}, Verdict::kEnoent, "");
    model_.files = {{"demo-m33.sign", demo_},           {"walk-other.sign", other_},
                    {"walk-swap.sign", demo_},          {"walk-tampered.sign", bad},
                    {"walk-untrusted.sign", untrusted}, {"walk-missing.sign", missing},
                    {kDefaultFirmware, missing}};
    for (const auto& [name, content] : model_.files)
      if (name != "demo-m33.sign" && !content->bytes.empty())
        write_bytes(dir_ / name, content->bytes);
  }

  // --- reporting ---

  std::string Context() {
    std::ostringstream os;
    os << "\n  seed " << seed_ << " (RPROCTEE_WALK_SEED=" << seed_
       << " RPROCTEE_WALK_STEPS=" << steps_ << "), step " << step_ << ", transport "
       << GetParam().name << "\n  model: state " << remoteproc::state_name(model_.state)
       << ", power " << model_.power << ", firmware " << model_.firmware << ", recovery "
       << (model_.recovery_disabled ? "disabled" : "enabled") << ", coredump "
       << remoteproc::coredump_mode_name(model_.coredump) << ", crashes " << model_.crashes
       << ", running " << (model_.running ? model_.running->label : "-") << "\n  last steps:";
    for (const std::string& t : trail_) os << "\n    " << t;
    if (nw_) {
      const std::string log = nw_->log().contents();
      os << "\n  kernel log (tail):\n" << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
    }
    return os.str();
  }
  /// Counts and reports a violated invariant; the walk stops at the first one.
  bool Check(bool ok, const std::string& what) {
    if (ok) return true;
    ++violations_;
    ADD_FAILURE() << "invariant violated: " << what << Context();
    return false;
  }
  bool CheckErr(int actual, int expected, const std::string& what) {
    return Check(actual == expected,
                 fmt::format("{}: returned {} ({}), expected {} ({})", what, actual,
                             std::strerror(-actual), expected, std::strerror(-expected)));
  }
  void Note(std::string text) {
    trail_.push_back(fmt::format("#{} {}", step_, std::move(text)));
    if (trail_.size() > 25) trail_.pop_front();
  }

  // --- system access ---

  remoteproc::Rproc& rproc() { return *nw_->rproc(0); }
  int Write(const std::string& path, const std::string& value) {
    return nw_->sysfs().write(path, value);
  }
  std::string Read(const std::string& path) {
    std::string out;
    const int err = nw_->sysfs().read(path, out);
    if (err) return fmt::format("<read error {}>", err);
    return out;
  }
  template <typename F>
  bool Eventually(F done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }
  uint32_t Random(uint32_t below) {
    return std::uniform_int_distribution<uint32_t>(0, below - 1)(rng_);
  }
  bool Coin() { return Random(2) == 1; }
  std::string MaybeNewline(const std::string& s) { return Coin() ? s + "\n" : s; }

  std::shared_ptr<rpmsg::Channel> Tty() {
    auto device = bus_->wait_device(rproc(), kWait);
    if (!device) return nullptr;
    return device->wait_channel("rpmsg-tty", kWait);
  }

  // --- the model's transitions ---

  /// A crash the crash worker handled (crash_count went up): what it did.
  void ModelCrash() {
    model_.state = RprocState::kCrashed;
    ++model_.crashes;
    if (!model_.recovery_disabled) ModelRecovery();
  }
  /// boot_recovery: dump (if enabled), STOP, LOAD_FW of the image that ran, START.
  void ModelRecovery() {
    ++events_["recoveries"];
    if (model_.coredump != CoredumpMode::kDisabled) ++model_.dumps;
    model_.state = RprocState::kRunning;  // power and running image unchanged
  }

  // --- the steps ---

  void DoStart() {
    const std::string value = MaybeNewline("start");
    const int err = Write(kState, value);
    int expected = 0;
    if (model_.state == RprocState::kCrashed || model_.state == RprocState::kRunning) {
      ++model_.power;
    } else {
      const Content* c = model_.files.at(model_.firmware);
      expected = c->verdict == Verdict::kBoots ? 0 : c->verdict == Verdict::kEio ? -EIO : -ENOENT;
      ++events_[expected == 0 ? "boots" : "boots refused"];
      if (expected == 0) {
        model_.state = RprocState::kRunning;
        model_.power = 1;
        model_.running = c;
      }
    }
    Note(fmt::format("state <- start ({}): {}", model_.firmware, err));
    CheckErr(err, expected, "write state start");
  }

  void DoStop() {
    const int err = Write(kState, MaybeNewline("stop"));
    int expected = -EINVAL;
    if (model_.state == RprocState::kRunning) {
      expected = 0;
      if (--model_.power == 0) {
        model_.state = RprocState::kOffline;
        model_.running = nullptr;
      }
    }
    Note(fmt::format("state <- stop: {}", err));
    CheckErr(err, expected, "write state stop");
  }

  void DoBogusState() {
    static const std::array<const char*, 5> kValues = {"bogus", "detach", "START", "start now",
                                                       "stop\n\n"};
    const std::string value = kValues[Random(static_cast<uint32_t>(kValues.size()))];
    const int err = Write(kState, value);
    Note(fmt::format("state <- {:?}: {}", value, err));
    CheckErr(err, -EINVAL, fmt::format("write state {:?}", value));
  }

  void DoFirmware(const std::string& name) {
    const int err = Write(kFirmware, MaybeNewline(name));
    int expected = -EBUSY;
    if (model_.state == RprocState::kOffline) {
      expected = 0;
      model_.firmware = name;
    }
    Note(fmt::format("firmware <- {}: {}", name, err));
    CheckErr(err, expected, "write firmware " + name);
  }

  void DoFirmwareEmpty() {
    // "" is a zero-length write (stores nothing); "\n" is an empty name.
    const bool newline = Coin();
    const int err = Write(kFirmware, newline ? "\n" : "");
    int expected = 0;
    if (newline) expected = model_.state == RprocState::kOffline ? -EINVAL : -EBUSY;
    Note(fmt::format("firmware <- {:?}: {}", newline ? "\n" : "", err));
    CheckErr(err, expected, "write an empty firmware name");
  }

  void DoSwapFile() {
    const Content* next = model_.files.at("walk-swap.sign") == demo_ ? other_ : demo_;
    write_bytes(dir_ / "walk-swap.sign", next->bytes);
    model_.files["walk-swap.sign"] = next;
    Note("walk-swap.sign now holds " + next->label);
  }

  void DoRecovery(const std::string& value) {
    const int err = Write(kRecovery, MaybeNewline(value));
    if (value == "disabled") model_.recovery_disabled = true;
    if (value == "enabled") model_.recovery_disabled = false;
    // "enabled" and "recover" recover a crashed processor, synchronously.
    if (value != "disabled" && model_.state == RprocState::kCrashed) ModelRecovery();
    Note(fmt::format("recovery <- {}: {}", value, err));
    CheckErr(err, 0, "write recovery " + value);
  }

  void DoCoredump(CoredumpMode mode) {
    const std::string value(remoteproc::coredump_mode_name(mode));
    const int err = Write(kCoredump, MaybeNewline(value));
    int expected = -EBUSY;
    if (model_.state != RprocState::kCrashed) {
      expected = 0;
      model_.coredump = mode;
    }
    Note(fmt::format("coredump <- {}: {}", value, err));
    CheckErr(err, expected, "write coredump " + value);
  }

  void DoCrashDebugfs() {
    // Any number (kstrtouint base 0): 3 and up are crashes of type "unknown".
    static const std::array<const char*, 6> kTypes = {"0", "1", "2", "0x1", "5", "010"};
    const std::string value = kTypes[Random(static_cast<uint32_t>(kTypes.size()))];
    const int err = Write(kCrash, MaybeNewline(value));
    rproc().flush_crash_work();
    // Offline: handled as nothing to do; crashed: a report while one is pending is ignored.
    if (model_.state == RprocState::kRunning) ModelCrash();
    Note(fmt::format("debugfs crash <- {}: {}", value, err));
    CheckErr(err, 0, "write debugfs crash " + value);
  }

  /// "fault" or "hang" sent to the running firmware: it crashes by itself.
  void DoFirmwareCrash(const std::string& command) {
    if (model_.state != RprocState::kRunning) {
      Note(command + ": not running, skipped");
      return;
    }
    auto tty = Tty();
    if (!Check(tty != nullptr, "no rpmsg-tty channel to send " + command)) return;
    const auto sent = tty->send(text_bytes(command));
    if (!Check(sent.ok(), "send " + command)) return;
    const uint32_t before = model_.crashes;
    const bool crashed = Eventually([&] { return rproc().crash_count() > before; }, kCrashWait);
    rproc().flush_crash_work();
    Note(fmt::format("rpmsg {} -> crash_count {}", command, rproc().crash_count()));
    ++events_["firmware crashes (" + command + ")"];
    if (!Check(crashed, "the firmware did not crash after \"" + command + "\"")) return;
    ModelCrash();
  }

  void DoEcho() {
    if (model_.state != RprocState::kRunning) {
      Note("echo: not running, skipped");
      return;
    }
    auto tty = Tty();
    if (!Check(tty != nullptr, "no rpmsg-tty channel for the echo")) return;
    Bytes payload(1 + Random(496));
    for (auto& b : payload) b = static_cast<uint8_t>(Random(256));
    payload[0] = 0xFF;  // never one of the firmware's commands
    const auto sent = tty->send(payload);
    if (!Check(sent.ok(), "send the echo payload")) return;
    const auto reply = tty->receive(kWait);
    Note(fmt::format("echo of {} bytes: {}", payload.size(), reply ? reply->size() : 0));
    Check(reply && *reply == payload, fmt::format("echo of {} bytes", payload.size()));
  }

  // --- hostile TEE clients ---

  void Outcome(const std::string& what, TEEC_Result r) {
    ++hostile_results_[fmt::format("{} -> {:#x}", what, r)];
  }

  /// An invocation on a session id this client never opened (the normal world's session is
  /// among the small ids): the TEE must refuse it before any TA sees it.
  void ForgedInvoke(TEEC_Context& ctx) {
    TEEC_Session forged{};
    forged.imp.ctx = &ctx;
    forged.imp.session_id = Coin() ? Random(16) : static_cast<uint32_t>(rng_());
    static const std::array<uint32_t, 8> kCommands = {
        protocol::rproc_ta::kLoadFw,       protocol::rproc_ta::kStartFw,
        protocol::rproc_ta::kStopFw,       protocol::rproc_ta::kGetRscTable,
        protocol::rproc_ta::kGetCoredump,  protocol::rproc_ta::kReleaseFw,
        protocol::rproc_ta::kGetLastError, 0xDEAD};
    const uint32_t command = kCommands[Random(static_cast<uint32_t>(kCommands.size()))];
    TEEC_Operation op{};
    Bytes garbage(Random(4096));
    for (auto& b : garbage) b = static_cast<uint8_t>(Random(256));
    Bytes out(64);
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
    op.params[0].value.a = Coin() ? processor_id_ : static_cast<uint32_t>(rng_());
    if (command == protocol::rproc_ta::kLoadFw) {
      op.paramTypes =
          TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE);
      op.params[1].tmpref.buffer = garbage.empty() ? nullptr : garbage.data();
      op.params[1].tmpref.size = garbage.size();
    } else if (command == protocol::rproc_ta::kGetCoredump ||
               command == protocol::rproc_ta::kGetLastError) {
      op.paramTypes =
          TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
      op.params[1].tmpref.buffer = out.data();
      op.params[1].tmpref.size = out.size();
    } else if (command == protocol::rproc_ta::kGetRscTable) {
      op.paramTypes =
          TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
    }
    uint32_t origin = 0;
    const TEEC_Result r = TEEC_InvokeCommand(&forged, command, &op, &origin);
    Outcome(fmt::format("forged session cmd {:#x}", command), r);
    Check(r != TEEC_SUCCESS,
          fmt::format("FINDING: command {:#x} on forged session id {} of another client "
                      "succeeded",
                      command, forged.imp.session_id));
  }

  /// A second session for the processor the normal world owns, and the commands it would send.
  void SecondSession(const std::string& tee_name) {
    RprocClient client(tee_name);
    if (!Check(client.initialized(), "hostile client: TEEC_InitializeContext failed")) return;
    uint32_t origin = 0;
    const TEEC_Result r = client.open(processor_id_, &origin);
    Outcome("open session for the normal world's processor", r);
    if (r != TEEC_SUCCESS) return;
    // The TA let a second client control the processor: that is the finding. Show what the
    // session could do (the model is checked after this step as usual).
    std::string done;
    const uint32_t pick = Random(3);
    const TEEC_Result c = pick == 0 ? client.stop() : pick == 1 ? client.release() : client.start();
    done = fmt::format("{} -> {:#x}",
                       pick == 0   ? "STOP_FW"
                       : pick == 1 ? "RELEASE_FW"
                                   : "START_FW",
                       c);
    Check(false, "FINDING: a second session for processor " + std::to_string(processor_id_) +
                     " (the normal world's) was opened; then " + done);
  }

  void DoHostileTee() {
    const uint32_t ops = 1 + Random(4);
    std::vector<std::string> what;
    for (uint32_t i = 0; i < ops && violations_ == 0; ++i) {
      const uint32_t kind = Random(6);
      what.push_back(std::to_string(kind));
      if (kind == 0) {
        SecondSession(machine_->tee_name());
        continue;
      }
      TEEC_Context ctx{};
      if (kind == 5) {
        // A garbage TEE name: refused, nothing to finalize.
        const std::string name = Coin() ? "unix:/nonexistent/tee.sock" : "garbage-tee-name";
        const TEEC_Result r = TEEC_InitializeContext(name.c_str(), &ctx);
        Outcome("initialize context " + name, r);
        if (r == TEEC_SUCCESS) TEEC_FinalizeContext(&ctx);
        continue;
      }
      if (!Check(TEEC_InitializeContext(machine_->tee_name().c_str(), &ctx) == TEEC_SUCCESS,
                 "hostile client: TEEC_InitializeContext failed"))
        return;
      TEEC_Session session{};
      TEEC_Operation op{};
      uint32_t origin = 0;
      if (kind == 1) {  // another processor id, or none at all
        op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
        op.params[0].value.a = processor_id_ + 1 + Random(1000);
        const bool no_params = Coin();
        const TEEC_Result r = TEEC_OpenSession(&ctx, &session, &kRemoteprocUuid, TEEC_LOGIN_PUBLIC,
                                               nullptr, no_params ? nullptr : &op, &origin);
        Outcome(no_params ? "open TA session without params" : "open TA session for id N+k", r);
        if (r == TEEC_SUCCESS) TEEC_CloseSession(&session);
        // No processor with that id: refused. Without params: refused.
        Check(r != TEEC_SUCCESS, "hostile client: a session without a valid processor opened");
      } else if (kind == 2) {  // the PTA directly: only the TA may talk to it
        op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
        op.params[0].value.a = processor_id_;
        const TEEC_Result r = TEEC_OpenSession(&ctx, &session, &kPtaUuid, TEEC_LOGIN_REE_KERNEL,
                                               nullptr, Coin() ? &op : nullptr, &origin);
        Outcome("open the remoteproc PTA", r);
        if (r == TEEC_SUCCESS) TEEC_CloseSession(&session);
        Check(r != TEEC_SUCCESS, "FINDING: the normal world opened a session on the PTA");
      } else if (kind == 3) {  // an unknown UUID
        TEEC_UUID uuid{};
        uuid.timeLow = static_cast<uint32_t>(rng_());
        const TEEC_Result r =
            TEEC_OpenSession(&ctx, &session, &uuid, TEEC_LOGIN_PUBLIC, nullptr, nullptr, &origin);
        Outcome("open an unknown UUID", r);
        if (r == TEEC_SUCCESS) TEEC_CloseSession(&session);
      } else {
        ForgedInvoke(ctx);
      }
      TEEC_FinalizeContext(&ctx);
    }
    Note("hostile TEE client ops " + fmt::format("{}", fmt::join(what, ",")));
  }

  void DoStep(Step s) {
    switch (s) {
      case kStart:
        return DoStart();
      case kStop:
        return DoStop();
      case kStopAll:  // as many stops as there are users (one more when offline: -EINVAL)
        do {
          DoStop();
        } while (model_.state == RprocState::kRunning && violations_ == 0);
        return;
      case kBogusState:
        return DoBogusState();
      case kFwDemo:
        return DoFirmware("demo-m33.sign");
      case kFwOther:
        return DoFirmware("walk-other.sign");
      case kFwSwap:
        return DoFirmware("walk-swap.sign");
      case kFwTampered:
        return DoFirmware("walk-tampered.sign");
      case kFwUntrusted:
        return DoFirmware("walk-untrusted.sign");
      case kFwMissing:
        return DoFirmware(Coin() ? "walk-missing.sign" : kDefaultFirmware);
      case kFwEmpty:
        return DoFirmwareEmpty();
      case kSwapFile:
        return DoSwapFile();
      case kRecoveryEnabled:
        return DoRecovery("enabled");
      case kRecoveryDisabled:
        return DoRecovery("disabled");
      case kRecover:
        return DoRecovery("recover");
      case kCoredumpEnabled:
        return DoCoredump(CoredumpMode::kEnabled);
      case kCoredumpDisabled:
        return DoCoredump(CoredumpMode::kDisabled);
      case kCrashDebugfs:
        return DoCrashDebugfs();
      case kCrashFault:
        return DoFirmwareCrash("fault");
      case kCrashHang:
        return DoFirmwareCrash("hang");
      case kEcho:
        return DoEcho();
      case kHostileTee:
        return DoHostileTee();
      case kStepKinds:
        break;
    }
  }

  // --- the invariants ---

  void CheckInvariants() {
    const std::string state = Read(kState);
    if (!Check(state == state_string(model_.state),
               fmt::format("sysfs state is {:?}, the model says {:?}", state,
                           state_string(model_.state))))
      return;
    if (!Check(rproc().power() == model_.power,
               fmt::format("refcount {} != model {}", rproc().power(), model_.power)))
      return;
    if (!Check(Read(kFirmware) == model_.firmware + "\n",
               fmt::format("sysfs firmware {:?}", Read(kFirmware))))
      return;
    if (!Check(Read(kRecovery) == (model_.recovery_disabled ? "disabled\n" : "enabled\n"),
               fmt::format("sysfs recovery {:?}", Read(kRecovery))))
      return;
    if (!Check(Read(kCoredump) == coredump_string(model_.coredump),
               fmt::format("sysfs coredump {:?}", Read(kCoredump))))
      return;
    if (!Check(rproc().crash_count() == model_.crashes,
               fmt::format("crash count {} != model {} (an unexpected crash?)",
                           rproc().crash_count(), model_.crashes)))
      return;
    const auto dumps = nw_->dumps().list();
    if (!Check(
            dumps.size() == model_.dumps,
            fmt::format("{} core dumps published, the model says {}", dumps.size(), model_.dumps)))
      return;
    for (int n : dumps)  // dismissed as a user would: a write to devcdN/data
      if (!CheckErr(Write(fmt::format("sys/class/devcoredump/devcd{}/data", n), "1"), 0,
                    "dismiss a core dump"))
        return;
    model_.dumps = 0;

    auto& core = machine_->machine().soc().core(0);
    if (model_.state == RprocState::kOffline) {
      if (!Check(machine_->memories_zero(), "offline, but the memories are not zero")) return;
      if (!Check(!core.running(), "offline, but the core runs")) return;
      Check(bus_->device(rproc()) == nullptr, "offline, but an rpmsg device is still there");
      return;
    }
    // Running, or crashed before the recovery's STOP: the signed bytes are in memory.
    const std::string differs = code_holds_exactly(*machine_, model_.running->bytes);
    if (!Check(differs.empty(), fmt::format("{} ({}): {}", remoteproc::state_name(model_.state),
                                            model_.running->label, differs)))
      return;
    if (model_.state != RprocState::kRunning) return;
    if (!Check(core.running(), "running, but the core does not run")) return;
    auto tty = Tty();
    if (!Check(tty != nullptr, "running, but no rpmsg-tty channel")) return;
    const Bytes ping = {0xFE, static_cast<uint8_t>(step_), static_cast<uint8_t>(step_ >> 8)};
    if (!Check(tty->send(ping).ok(), "send the ping")) return;
    const auto pong = tty->receive(kWait);
    ++events_["pings and versions checked"];
    if (!Check(pong && *pong == ping, "running, but the ping was not echoed")) return;
    if (!Check(tty->send(text_bytes("version")).ok(), "send version")) return;
    const auto version = tty->receive(kWait);
    Check(version && *version == text_bytes(model_.running->banner),
          fmt::format("\"version\" answered {:?}, the image booted says {:?}",
                      version ? std::string(version->begin(), version->end()) : "<nothing>",
                      model_.running->banner));
  }

  /// Ends the walk the way a user would: everything stopped, offline, memories wiped.
  void Wind() {
    if (model_.state == RprocState::kCrashed) {
      CheckErr(Write(kRecovery, "recover"), 0, "final recover");
      ModelRecovery();
    }
    while (model_.state == RprocState::kRunning && violations_ == 0) DoStop();
    if (violations_ == 0) CheckInvariants();
  }

  void Walk() {
    std::array<unsigned, kStepKinds> weights{};
    for (size_t i = 0; i < kStepKinds; ++i) weights[i] = kKinds[i].weight;
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    const auto budget =
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
        std::chrono::seconds(240);
#else
        std::chrono::seconds(100);
#endif
    const auto begin = std::chrono::steady_clock::now();
    CheckInvariants();
    for (step_ = 1; step_ <= steps_ && violations_ == 0; ++step_) {
      if (std::chrono::steady_clock::now() - begin > budget) {
        std::cout << "[ walk ] time budget spent after " << steps_run_ << " steps\n";
        break;
      }
      const Step s = static_cast<Step>(pick(rng_));
      ++per_kind_[s];
      ++steps_run_;
      const auto t0 = std::chrono::steady_clock::now();
      DoStep(s);
      if (violations_ == 0) CheckInvariants();
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      ms_per_kind_[s] += ms;
      ++steps_in_state_[std::string(remoteproc::state_name(model_.state))];
      slowest_.emplace_back(ms, trail_.empty() ? std::string(kKinds[s].name) : trail_.back());
      std::sort(slowest_.rbegin(), slowest_.rend());
      if (slowest_.size() > 3) slowest_.pop_back();
    }
    if (violations_ == 0) Wind();
    const std::string log = nw_->log().contents();
    for (size_t at = log.find("without ack"); at != std::string::npos;
         at = log.find("without ack", at + 1))
      ++events_["shutdowns without ack"];
    elapsed_ = std::chrono::steady_clock::now() - begin;
  }

  void Report(size_t fds_before, size_t fds_after) {
    std::ostringstream kinds;
    for (size_t i = 0; i < kStepKinds; ++i)
      kinds << (i ? " " : "") << kKinds[i].name << "=" << per_kind_[i] << "(" << ms_per_kind_[i]
            << "ms)";
    std::ostringstream events;
    for (const auto& [what, n] : events_) events << " " << what << "=" << n;
    for (const auto& [state, n] : steps_in_state_) events << " steps-ending-" << state << "=" << n;
    std::ostringstream hostile;
    std::ostringstream slow;
    for (const auto& [ms, what] : slowest_) slow << "\n    " << ms << " ms: " << what;
    for (const auto& [what, n] : hostile_results_) hostile << "\n    " << what << ": " << n;
    RecordProperty("seed", std::to_string(seed_));
    RecordProperty("steps", std::to_string(steps_run_));
    RecordProperty("steps_per_kind", kinds.str());
    RecordProperty("violations", std::to_string(violations_));
    RecordProperty("crashes", std::to_string(model_.crashes));
    RecordProperty("fds", fmt::format("{} -> {}", fds_before, fds_after));
    RecordProperty("events", events.str());
    std::cout << "[ walk ] " << GetParam().name << " seed " << seed_ << ", " << steps_run_
              << " steps, " << violations_ << " violations, " << model_.crashes
              << " crashes, descriptors " << fds_before << " -> " << fds_after << ", "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed_).count()
              << " ms\n  steps per kind: " << kinds.str() << "\n  events:" << events.str()
              << "\n  slowest steps (with their checks):" << slow.str()
              << "\n  hostile TEE calls:" << hostile.str() << "\n";
  }

  uint32_t seed_ = 0;
  uint32_t steps_ = 0;
  uint32_t step_ = 0;
  uint32_t steps_run_ = 0;
  uint32_t violations_ = 0;
  uint32_t processor_id_ = 0;
  std::mt19937 rng_;
  Model model_;
  std::vector<std::unique_ptr<Content>> contents_;
  const Content* demo_ = nullptr;
  const Content* other_ = nullptr;
  std::array<uint32_t, kStepKinds> per_kind_{};
  std::map<std::string, uint32_t> hostile_results_;
  std::map<std::string, uint32_t> events_;  // what the steps did (boots, recoveries...)
  std::chrono::steady_clock::duration elapsed_{};
  std::vector<std::pair<long long, std::string>> slowest_;
  std::array<long long, kStepKinds> ms_per_kind_{};
  std::map<std::string, uint32_t>
      steps_in_state_;  // the model's state after each step  // (ms, step + checks)
  std::deque<std::string> trail_;

  rpmsg::Bus* bus_ = nullptr;
  TempDir dir_;
  std::unique_ptr<MachineUnderTest> machine_;
  std::unique_ptr<remoteproc::NormalWorld> nw_;
};

TEST_P(LifecycleWalk, EveryStepKeepsTheModel) {
  ASSERT_NO_FATAL_FAILURE(MakeFiles());
  const size_t fds_before = open_descriptors();
  ASSERT_NO_FATAL_FAILURE(Up());
  Walk();
  Down();
  const size_t fds_after = open_descriptors();
  Report(fds_before, fds_after);
  EXPECT_EQ(violations_, 0u) << "seed " << seed_;
  // Every descriptor of the machine (memfds, sockets, the emulator's) and of the normal world
  // and the hostile clients is closed once both are gone.
  EXPECT_EQ(fds_after, fds_before) << "descriptors leaked; seed " << seed_;
}

INSTANTIATE_TEST_SUITE_P(Robustness, LifecycleWalk,
                         ::testing::Values(WalkParam{"Socket", TransportKind::kSocket, 1},
                                           WalkParam{"InProcess", TransportKind::kInProcess, 2}),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace rproctee::test
