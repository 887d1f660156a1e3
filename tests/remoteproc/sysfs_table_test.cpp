// The sysfs / debugfs table of `rproctee up`, through its two front ends: the real FUSE mount
// (open/write/close as a shell does, so the errno is the one `echo VALUE > FILE` reports) and
// `rproctee ctl --socket PATH` (exit code and error text). One table, shared by both: every
// writable attribute x start state (offline / running / crashed with recovery disabled) x
// written value (valid strings with and without a trailing newline, two newlines, empty,
// garbage, wrong case) -> errno of the write, resulting state, attribute read back, and whether
// a core dump was published. Read-only files, a directory and missing files are in it too.
// One `up` per front end serves the whole table; between rows it is reset (through the mount,
// or for ctl through the control socket from this process). Each row's write goes through the
// front end under test (the mount: errno of write(2); ctl: exit code and error text); the state
// and the read-back through the mount, or for ctl through the socket.
//
// The kernel references are remoteproc_sysfs.c and remoteproc_debugfs.c (Linux >= 5.19):
//   - a second `start` of a running (or crashed) processor succeeds: one more user
//     (rproc_boot's refcount; no -EBUSY since 5.19), and a `stop` per `start`;
//   - `firmware` takes the text up to the first newline (rproc_set_firmware's strcspn);
//   - `recovery` "enabled" also starts a pending recovery (recovery_store);
//   - `coredump` answers -EBUSY while crashed before looking at the value;
//   - debugfs `crash` takes any number, base 0 (kstrtouint);
//   - a zero-length write(2) is a no-op (sysfs_kf_write; FUSE never forwards it);
//   - `echo x > missing` is EACCES on sysfs/debugfs (no ->create), ENOENT through ctl.
// rproctee's own choice, asserted here: read-only debugfs files are EACCES for root too
// (Linux: EINVAL from write(2) after root's open succeeds).
//
// Also here: reads of every attribute in every state, the verb forms of `ctl`, and ST's
// fw_cortex_m33.sh (tests/remoteproc/fw_cortex_m33.sh) run unmodified against the mount.
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "remoteproc/control_server.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"
#include "support/up_process.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kClass = "sys/class/remoteproc/remoteproc0/";
constexpr const char* kDebug = "sys/kernel/debug/remoteproc/remoteproc0/";
constexpr const char* kFw = "table.sign";  // the firmware every row starts from
constexpr const char* kOtherFw = "other.sign";

std::string cls(const std::string& f) {
  return kClass + f;
}
std::string dbg(const std::string& f) {
  return kDebug + f;
}

std::string errno_name(int e) {
  if (e == 0) return "0 (success)";
  const char* n = strerrorname_np(e);
  return fmt::format("{} ({})", n ? n : std::to_string(e), std::strerror(e));
}

/// "start\n" -> "start_LF": names and messages show what was written.
std::string escape(const std::string& v) {
  if (v.empty()) return "empty";
  std::string out;
  for (char c : v) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += c;
    else if (c == '\n')
      out += "_LF";
    else if (c == ' ')
      out += "_SP";
    else if (c == '.')
      out += "_dot_";
    else if (c == '-')
      out += "_dash_";
    else
      out += fmt::format("_x{:02x}", static_cast<unsigned char>(c));
  }
  return out;
}

// --- the two front ends ---------------------------------------------------------------------

class FrontEnd {
 public:
  virtual ~FrontEnd() = default;
  virtual bool fuse() const = 0;
  /// One store, as `echo -n VALUE > FILE` does it: 0 or the errno.
  virtual int write(const std::string& path, const std::string& value) = 0;
  /// The file's content; `err` is 0 or the errno.
  virtual std::string read(const std::string& path, int& err) = 0;
  virtual std::vector<std::string> list(const std::string& path) = 0;
  std::string read(const std::string& path) {
    int err = 0;
    std::string text = read(path, err);
    return err ? "<" + errno_name(err) + ">" : text;
  }
};

/// The mounted tree, with the system calls a shell makes.
class FuseFrontEnd final : public FrontEnd {
 public:
  explicit FuseFrontEnd(std::string mount) : mount_(std::move(mount)) {}
  bool fuse() const override { return true; }
  int write(const std::string& path, const std::string& value) override {
    // bash's `>`: O_WRONLY | O_CREAT | O_TRUNC, one write(2) of the whole text, close.
    const int fd = ::open(full(path).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return errno;
    const ssize_t n = ::write(fd, value.data(), value.size());
    const int err = n < 0 ? errno : 0;
    const int closed = ::close(fd);
    if (err) return err;
    if (closed != 0) return errno;
    return static_cast<size_t>(n) == value.size() ? 0 : EMSGSIZE;
  }
  std::string read(const std::string& path, int& err) override {
    err = 0;
    const int fd = ::open(full(path).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err = errno, "";
    std::string out;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        err = errno;
        break;
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }
  std::vector<std::string> list(const std::string& path) override {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(full(path).c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.push_back(e->d_name);
      ::closedir(d);
    }
    return names;
  }

 private:
  std::string full(const std::string& path) const { return mount_ + "/" + path; }
  std::string mount_;
};

/// `rproctee ctl --socket PATH write|read|ls ...`: the errno comes back as the error text.
class CtlFrontEnd final : public FrontEnd {
 public:
  explicit CtlFrontEnd(std::string socket) : socket_(std::move(socket)) {}
  bool fuse() const override { return false; }
  int write(const std::string& path, const std::string& value) override {
    return errno_of(ctl({"write", path, value}), "write " + path + " " + value);
  }
  std::string read(const std::string& path, int& err) override {
    auto r = ctl({"read", path});
    err = errno_of(r, "read " + path);
    return err ? "" : r.out;
  }
  std::vector<std::string> list(const std::string& path) override {
    auto r = ctl({"ls", path});
    std::vector<std::string> names;
    std::istringstream lines(r.out);
    for (std::string l; std::getline(lines, l);)
      if (!l.empty()) names.push_back(l);
    return names;
  }
  CommandResult ctl(std::vector<std::string> words) const {
    words.insert(words.begin(), {"ctl", "--socket", socket_});
    return run_rproctee(words);
  }

  /// 0 for exit 0; else the errno whose strerror ends the message
  /// "rproctee ctl: REQUEST: MESSAGE" (exit code 1). -1 when the answer is malformed.
  static int errno_of(const CommandResult& r, const std::string& request) {
    if (r.exit_code == 0) return r.err.empty() ? 0 : -1;
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const std::string prefix = "rproctee ctl: " + request + ": ";
    EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << "ctl's error text: " << r.err;
    std::string message = r.err.substr(std::min(r.err.size(), r.err.rfind(": ") + 2));
    while (!message.empty() && message.back() == '\n') message.pop_back();
    for (int e = 1; e < 134; ++e)
      if (message == std::strerror(e)) return e;
    ADD_FAILURE() << "no errno has the message '" << message << "': " << r.err;
    return -1;
  }

 private:
  std::string socket_;
};

/// The control socket's protocol from this process (remoteproc::control_request, what `ctl`
/// runs): how the ctl board is brought to a row's start state quickly, since a process per
/// step is slow under the sanitizers. The rows themselves go through the `ctl` binary.
class SocketFrontEnd final : public FrontEnd {
 public:
  explicit SocketFrontEnd(std::string socket) : socket_(std::move(socket)) {}
  bool fuse() const override { return false; }
  int write(const std::string& path, const std::string& value) override {
    auto r = remoteproc::control_request(socket_, "write " + path + "\n" + value);
    EXPECT_TRUE(static_cast<bool>(r)) << (r ? "" : r.error().message);
    return r ? r->first : -1;
  }
  std::string read(const std::string& path, int& err) override {
    auto r = remoteproc::control_request(socket_, "read " + path);
    EXPECT_TRUE(static_cast<bool>(r)) << (r ? "" : r.error().message);
    err = r ? r->first : -1;
    return err ? "" : r->second;
  }
  std::vector<std::string> list(const std::string& path) override {
    auto r = remoteproc::control_request(socket_, "list " + path);
    std::vector<std::string> names;
    std::istringstream lines(r && r->first == 0 ? r->second : "");
    for (std::string l; std::getline(lines, l);)
      if (!l.empty()) names.push_back(l);
    return names;
  }

 private:
  std::string socket_;
};

// --- the shared `up` of each front end ------------------------------------------------------

enum class St { kOffline, kRunning, kCrashed };
const char* state_text(St s) {
  switch (s) {
    case St::kOffline:
      return "offline";
    case St::kRunning:
      return "running";
    case St::kCrashed:
      return "crashed";
  }
  return "?";
}

/// One `rproctee up` (mounted, or only its control socket) and a front end onto it, with the
/// moves that bring processor 0 to a row's start state.
class Board {
 public:
  explicit Board(bool fuse) {
    fw_dir_ = dir_ / "firmware";
    fs::create_directories(fw_dir_);
    write_bytes(fs::path(fw_dir_) / kFw, up_test_firmware(8192));
    write_bytes(fs::path(fw_dir_) / kOtherFw, up_test_firmware(12288));
    up_ = std::make_unique<UpProcess>(
        UpOptions{.dir = dir_.path(), .mount = fuse, .firmware_path = {fw_dir_}});
    std::string why;
    if (!up_->start(why)) {
      // A kernel that refuses the mount (no CAP_SYS_ADMIN in a container) is the environment,
      // like a missing /dev/fuse; anything else is a failure.
      (fuse && why.find("cannot mount") != std::string::npos ? skip_ : error_) = why;
      return;
    }
    if (fuse) {
      fe_ = std::make_unique<FuseFrontEnd>(up_->mount());
    } else {
      fe_ = std::make_unique<CtlFrontEnd>(up_->socket());
      setup_ = std::make_unique<SocketFrontEnd>(up_->socket());
    }
  }

  const std::string& error() const { return error_; }
  const std::string& skip() const { return skip_; }
  /// The front end under test.
  FrontEnd& fe() { return *fe_; }
  /// What moves the board between rows: the mount itself, or the socket from this process.
  FrontEnd& setup() { return setup_ ? *setup_ : *fe_; }
  UpProcess& up() { return *up_; }
  const std::string& firmware_dir() const { return fw_dir_; }

  std::string state() {
    std::string s = setup().read(cls("state"));
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  std::string dmesg() { return setup().read("dmesg"); }
  int crashes_handled() { return ::rproctee::test::crashes_handled(dmesg()); }
  int newest_dump() {
    int best = 0;
    for (const auto& n : setup().list("sys/class/devcoredump"))
      if (n.rfind("devcd", 0) == 0) best = std::max(best, std::atoi(n.c_str() + 5));
    return best;
  }

  /// Offline, firmware kFw, recovery and coredump enabled, no core dump left.
  void reset() {
    for (int i = 0; i < 8; ++i) {
      const std::string s = state();
      if (s == "crashed")
        setup().write(cls("recovery"), "recover");
      else if (s == "running")
        setup().write(cls("state"), "stop");  // refcounted: as many stops as starts
      else
        break;
    }
    ASSERT_EQ(state(), "offline") << dmesg();
    if (setup().read(cls("firmware")) != std::string(kFw) + "\n") {
      ASSERT_EQ(setup().write(cls("firmware"), kFw), 0);
    }
    if (setup().read(cls("recovery")) != "enabled\n") {
      ASSERT_EQ(setup().write(cls("recovery"), "enabled"), 0);
    }
    if (setup().read(cls("coredump")) != "enabled\n") {
      ASSERT_EQ(setup().write(cls("coredump"), "enabled"), 0);
    }
    for (const auto& n : setup().list("sys/class/devcoredump"))
      setup().write("sys/class/devcoredump/" + n + "/data", "1");  // dismiss
  }

  /// Waits until the crash worker handled a crash numbered above `before` and, when recovery
  /// is enabled, until that recovery finished.
  void wait_crash_handled(int before, bool recovery) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      const std::string log = dmesg();
      if (::rproctee::test::crashes_handled(log) > before &&
          (!recovery || last_recovery_finished(log)))
        return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "crash not handled\n" << log;
      std::this_thread::sleep_for(5ms);
    }
  }

  void enter(St s) {
    if (s == St::kOffline) return;
    if (s == St::kCrashed) {
      ASSERT_EQ(setup().write(cls("recovery"), "disabled"), 0);
    }
    ASSERT_EQ(setup().write(cls("state"), "start"), 0) << dmesg();
    ASSERT_EQ(state(), "running");
    if (s == St::kRunning) return;
    const int before = crashes_handled();
    ASSERT_EQ(setup().write(dbg("crash"), "2"), 0);
    ASSERT_NO_FATAL_FAILURE(wait_crash_handled(before, false));
    ASSERT_EQ(state(), "crashed") << dmesg();
  }

 private:
  TempDir dir_;
  std::string fw_dir_;
  std::unique_ptr<UpProcess> up_;  // after dir_: unmounted before the folder goes
  std::unique_ptr<FrontEnd> fe_, setup_;
  std::string error_, skip_;
};

/// One Board per front end for the whole binary, stopped by a global environment.
std::unique_ptr<Board>& board_slot(bool fuse) {
  static std::unique_ptr<Board> boards[2];
  return boards[fuse ? 1 : 0];
}

class BoardsEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    board_slot(true).reset();
    board_slot(false).reset();
  }
};
[[maybe_unused]] ::testing::Environment* const kBoards =
    ::testing::AddGlobalTestEnvironment(new BoardsEnvironment);

/// The shared board of a front end, started on first use; `board` stays nullptr after a skip
/// (visible, with the reason) or a failure.
void acquire_board(bool fuse, Board*& board) {
  board = nullptr;
  if (fuse) {
    if (auto why = fuse_unavailable()) GTEST_SKIP() << "FUSE front end not tested: " << *why;
  }
  auto& slot = board_slot(fuse);
  if (!slot) slot = std::make_unique<Board>(fuse);
  if (!slot->skip().empty()) GTEST_SKIP() << "FUSE front end not tested: " << slot->skip();
  ASSERT_EQ(slot->error(), "");
  board = slot.get();
}

// --- the table ------------------------------------------------------------------------------

// (Constructors, not aggregates: GCC 12 -O3 reports false -Wmaybe-uninitialized warnings on
// nested aggregate initialisation of these.)
struct Outcome {
  Outcome(int e = 0, St s = St::kOffline, std::string text = "", bool new_dump = false)
      : err(e), end(s), readback(std::move(text)), dump(new_dump) {}
  int err;               // errno of the write (0: success)
  St end;                // state afterwards
  std::string readback;  // the attribute afterwards ("" when not compared)
  bool dump;             // a new devcoredump was published
};

struct Row {
  std::string attr;  // path under the mount
  St start = St::kOffline;
  std::string value;
  Outcome want;
  std::optional<int> shell_err;  // what a shell's open(O_CREAT) answers when it differs
  bool crash = false;            // the write reports a crash (handled asynchronously)
};

/// One written value and its outcome from each start state.
struct Case {
  Case(std::string v, Outcome o, Outcome r, Outcome c)
      : value(std::move(v)), offline(std::move(o)), running(std::move(r)), crashed(std::move(c)) {}
  std::string value;
  Outcome offline, running, crashed;
};

constexpr St O = St::kOffline, R = St::kRunning, C = St::kCrashed;

std::vector<Row> table() {
  std::vector<Row> rows;
  const auto add = [&](const std::string& attr, const std::vector<Case>& cases,
                       bool crash = false) {
    for (const Case& c : cases) {
      rows.push_back({attr, O, c.value, c.offline, std::nullopt, crash});
      rows.push_back({attr, R, c.value, c.running, std::nullopt, crash});
      rows.push_back({attr, C, c.value, c.crashed, std::nullopt, crash});
    }
  };
  // What is read back is the state itself for `state`.
  const auto st = [](int err, St end) {
    return Outcome{err, end, std::string(state_text(end)) + "\n"};
  };

  // state: start | stop | detach, one trailing newline accepted, anything else -EINVAL.
  {
    std::vector<Case> cases;
    for (const std::string v : {"start", "start\n"})
      cases.push_back({v, st(0, R), st(0, R), st(0, C)});  // running, crashed: refcount 2
    for (const std::string v : {"stop", "stop\n"})
      cases.push_back({v, st(EINVAL, O), st(0, O), st(EINVAL, C)});
    for (const std::string v : {"detach", "detach\n"})  // only an attached processor detaches
      cases.push_back({v, st(EINVAL, O), st(EINVAL, R), st(EINVAL, C)});
    for (const std::string v :
         {"start\n\n", "stop\n\n", "\n", "garbage", "START", "Start\n", "start ", " stop", "st"})
      cases.push_back({v, st(EINVAL, O), st(EINVAL, R), st(EINVAL, C)});
    cases.push_back({"", st(0, O), st(0, R), st(0, C)});  // zero-length write: no-op
    add(cls("state"), cases);
  }
  // firmware: only while offline (-EBUSY first), the name up to the first newline, "" -EINVAL.
  {
    const std::string fw = std::string(kFw) + "\n", other = std::string(kOtherFw) + "\n";
    const Outcome busy_r{EBUSY, R, fw}, busy_c{EBUSY, C, fw};
    std::vector<Case> cases;
    const auto offline_sets = [&](const std::string& v, const std::string& name) {
      cases.push_back({v, {0, O, name}, busy_r, busy_c});
    };
    offline_sets(kOtherFw, other);
    offline_sets(other, other);
    offline_sets(other + "\n", other);               // up to the first newline
    offline_sets("a\nb", "a\n");                     // (rproc_set_firmware's strcspn)
    offline_sets("missing.sign", "missing.sign\n");  // looked up at start, not here
    for (const std::string v : {"\n", "\n\n"})
      cases.push_back({v, {EINVAL, O, fw}, busy_r, busy_c});
    cases.push_back({"", {0, O, fw}, {0, R, fw}, {0, C, fw}});
    add(cls("firmware"), cases);
  }
  // recovery: enabled | disabled | recover. "enabled" and "recover" run a pending recovery
  // (core dump, then the very image restarted); crashed rows start with recovery disabled.
  // sysfs matches whole words (sysfs_streq); debugfs any prefix of them (strncmp(buf, word,
  // count) after dropping one newline), 1..10 bytes.
  const auto recovery_cases = [](bool debugfs) {
    std::vector<Case> cases;
    std::vector<std::string> enabled = {"enabled", "enabled\n"},
                             disabled = {"disabled", "disabled\n"},
                             recover = {"recover", "recover\n"};
    // A prefix with its newline is no match anywhere: strncmp compares the NUL that replaced
    // it with the word's next letter.
    std::vector<std::string> bad = {"\n",       "garbage",  "Enabled", "enabled\n\n", "DISABLED\n",
                                    "recover ", "enabledX", "en\n",    "rec\n"};
    if (debugfs) {
      enabled.insert(enabled.end(), {"e", "en", "enable"});
      disabled.insert(disabled.end(), {"d", "dis", "disable"});
      recover.insert(recover.end(), {"r", "rec", "recove"});
      bad.insert(bad.end(), {"recover\n\n\n\n", "disabled\n\n\n"});  // more than 10 bytes
    } else {
      bad.insert(bad.end(), {"e", "disable", "rec"});
    }
    for (const std::string& v : enabled)
      cases.push_back({v, {0, O, "enabled\n"}, {0, R, "enabled\n"}, {0, R, "enabled\n", true}});
    for (const std::string& v : disabled)
      cases.push_back({v, {0, O, "disabled\n"}, {0, R, "disabled\n"}, {0, C, "disabled\n"}});
    for (const std::string& v : recover)
      cases.push_back({v, {0, O, "enabled\n"}, {0, R, "enabled\n"}, {0, R, "disabled\n", true}});
    for (const std::string& v : bad)
      cases.push_back(
          {v, {EINVAL, O, "enabled\n"}, {EINVAL, R, "enabled\n"}, {EINVAL, C, "disabled\n"}});
    cases.push_back({"", {0, O, "enabled\n"}, {0, R, "enabled\n"}, {0, C, "disabled\n"}});
    return cases;
  };
  add(cls("recovery"), recovery_cases(false));
  add(dbg("recovery"), recovery_cases(true));
  // coredump: disabled | enabled | inline; -EBUSY while crashed, whatever the value (debugfs:
  // after its 1..20 byte check). Prefixes on debugfs only, as for recovery.
  const auto coredump_cases = [](bool debugfs) {
    std::vector<Case> cases;
    const Outcome busy{EBUSY, C, "enabled\n"};
    std::vector<std::string> disabled = {"disabled", "disabled\n"},
                             enabled = {"enabled", "enabled\n"}, inl = {"inline", "inline\n"};
    std::vector<std::string> bad = {"\n",       "garbage", "Inline", "inline\n\n",
                                    "DISABLED", "default", "dis\n"};
    if (debugfs) {
      disabled.insert(disabled.end(), {"d", "dis"});
      enabled.insert(enabled.end(), {"e", "enab"});
      inl.insert(inl.end(), {"i", "inl"});
    } else {
      bad.insert(bad.end(), {"i", "dis"});
    }
    for (const std::string& v : disabled)
      cases.push_back({v, {0, O, "disabled\n"}, {0, R, "disabled\n"}, busy});
    for (const std::string& v : enabled)
      cases.push_back({v, {0, O, "enabled\n"}, {0, R, "enabled\n"}, busy});
    for (const std::string& v : inl)
      cases.push_back({v, {0, O, "inline\n"}, {0, R, "inline\n"}, busy});
    for (const std::string& v : bad)
      cases.push_back({v, {EINVAL, O, "enabled\n"}, {EINVAL, R, "enabled\n"}, busy});
    // 21 bytes: debugfs refuses the size before looking at the state.
    const std::string long_value = "inline\n" + std::string(14, ' ');
    cases.push_back({long_value,
                     {EINVAL, O, "enabled\n"},
                     {EINVAL, R, "enabled\n"},
                     debugfs ? Outcome{EINVAL, C, "enabled\n"} : busy});
    cases.push_back({"", {0, O, "enabled\n"}, {0, R, "enabled\n"}, {0, C, "enabled\n"}});
    return cases;
  };
  add(cls("coredump"), coredump_cases(false));
  add(dbg("coredump"), coredump_cases(true));
  // debugfs crash: kstrtouint_from_user(base 0), any number is a crash of that type (0
  // mmufault, 1 watchdog, 2 fatal error, others "unknown"). A running processor crashes and
  // recovers (one core dump); offline or already crashed: the report is ignored.
  {
    std::vector<Case> cases;
    for (const std::string v :
         {"0", "1", "2", "1\n", "0x1", "5", "7\n", "010", "+2", "0X2", "0xffffffff", "4294967295"})
      cases.push_back({v, {0, O}, {0, R, "", true}, {0, C}});
    for (const std::string v : {"\n", "garbage", "1\n\n", "-1", "mmufault", "watchdog\n",
                                "fatal-error", "0x", "08", "1 ", " 1", "0xg"})
      cases.push_back({v, {EINVAL, O}, {EINVAL, R}, {EINVAL, C}});
    for (const std::string v : {"4294967296", "0x100000000", "99999999999999999999999"})
      cases.push_back({v, {ERANGE, O}, {ERANGE, R}, {ERANGE, C}});
    cases.push_back({"", {0, O}, {0, R}, {0, C}});
    add(dbg("crash"), cases, true);
  }
  // uevent (the driver core's kobject_synth_uevent): an action word, optionally a UUID and
  // KEY=VALUE pairs, synthesises an event; anything else EINVAL.
  {
    const std::string ev = "DEVTYPE=remoteproc\n";
    const std::string uuid = "0b6c8b4e-3b2a-4e5f-9a1d-7c2e5f6a8b9c";
    std::vector<Case> cases;
    for (const std::string& v : {std::string("change"), std::string("add\n"), std::string("online"),
                                 "add " + uuid, "change " + uuid + " A=1 Key2=v2\n"})
      cases.push_back({v, {0, O, ev}, {0, R, ev}, {0, C, ev}});
    for (const std::string& v : {std::string("bogus"), std::string("\n"), std::string("Change"),
                                 std::string("add "), std::string("add not-a-uuid"),
                                 "add " + uuid + " A", "add " + uuid + " A=", "add " + uuid + " =1",
                                 "add " + uuid + "  A=1", "add " + uuid + " A-b=1"})
      cases.push_back({v, {EINVAL, O, ev}, {EINVAL, R, ev}, {EINVAL, C, ev}});
    add(cls("uevent"), cases);
  }
  // Read-only files. sysfs (kernfs) refuses the open for writing by mode, root included
  // (EACCES); debugfs lets root open them and write(2) fails (EINVAL; an empty write never
  // reaches FUSE). `ctl` checks the mode as for another user: EACCES. Nothing changes.
  const bool root = ::geteuid() == 0;
  for (const auto& [path, text] :
       std::vector<std::pair<std::string, std::string>>{{cls("name"), "m33\n"},
                                                        {dbg("name"), "m33\n"},
                                                        {dbg("resource_table"), ""},
                                                        {dbg("carveout_memories"), ""},
                                                        {"dmesg", ""}}) {
    for (const std::string v : {"x\n", "m33\n", ""}) {
      add(path, {{v, {EACCES, O, text}, {EACCES, R, text}, {EACCES, C, text}}});
      if (root && path.rfind(kDebug, 0) == 0)
        for (size_t i = rows.size() - 3; i < rows.size(); ++i)
          rows[i].shell_err = v.empty() ? 0 : EINVAL;
    }
  }
  // trace0 exists while the firmware's table is in use: ENOENT offline (a shell's O_CREAT
  // gets EACCES: sysfs and debugfs directories create nothing).
  for (const std::string v : {"x\n", ""}) {
    add(dbg("trace0"), {{v, {ENOENT, O}, {EACCES, R}, {EACCES, C}}});
    rows[rows.size() - 3].shell_err = EACCES;
    if (root)  // 0400 on debugfs: root's open succeeds, write(2) is EINVAL
      for (size_t i = rows.size() - 2; i < rows.size(); ++i)
        rows[i].shell_err = v.empty() ? 0 : EINVAL;
  }
  // Files that do not exist and a directory.
  for (const std::string v : {"start\n"}) {
    add(cls("bogus"), {{v, {ENOENT, O}, {ENOENT, R}, {ENOENT, C}}});
    for (size_t i = rows.size() - 3; i < rows.size(); ++i) rows[i].shell_err = EACCES;
    add("sys/class/remoteproc/remoteproc1/state", {{v, {ENOENT, O}, {ENOENT, R}, {ENOENT, C}}});
    add("sys/class/remoteproc/remoteproc0", {{v, {EISDIR, O}, {EISDIR, R}, {EISDIR, C}}});
    add(cls("device"), {{v, {EISDIR, O}, {EISDIR, R}, {EISDIR, C}}});  // -> the platform device
  }
  return rows;
}

std::string row_name(const ::testing::TestParamInfo<Row>& p) {
  std::string attr = p.param.attr;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {kClass, "class_"}, {kDebug, "debugfs_"}, {"sys/class/remoteproc/", "class_dir_"}})
    if (attr.rfind(from, 0) == 0) attr = to + attr.substr(from.size());
  return escape(attr) + "__" + state_text(p.param.start) + "__" + escape(p.param.value);
}

/// Runs one row on a board: reset, enter the start state, write, compare.
void run_row(Board& b, const Row& row) {
  FrontEnd& fe = b.fe();
  ASSERT_NO_FATAL_FAILURE(b.reset());
  ASSERT_NO_FATAL_FAILURE(b.enter(row.start));
  // (Only crash and recovery writes can crash or dump: the other rows skip those reads, which
  // cost a process each through ctl.)
  const bool may_dump = row.crash || row.attr.ends_with("recovery");
  const int crashes = row.crash ? b.crashes_handled() : 0;
  const int dumps = may_dump ? b.newest_dump() : 0;

  const int err = fe.write(row.attr, row.value);
  const int want = fe.fuse() && row.shell_err ? *row.shell_err : row.want.err;
  EXPECT_EQ(errno_name(err), errno_name(want)) << "writing \"" << escape(row.value) << "\"";

  if (row.crash && err == 0 && !row.value.empty()) {
    if (row.start == St::kRunning) {
      ASSERT_NO_FATAL_FAILURE(b.wait_crash_handled(crashes, true));
    } else {
      // Ignored by the crash worker (offline, or a later report): give it time to look.
      std::this_thread::sleep_for(150ms);
      EXPECT_EQ(b.crashes_handled(), crashes) << b.dmesg();
    }
  }
  // Read back through the mount, or for ctl through the socket: `ctl read` is covered by
  // SysfsReadsCtl and SysfsCtlVerbs, and a process per read made the ctl table take ~8 minutes
  // under the sanitizers.
  FrontEnd& check = b.setup();
  EXPECT_EQ(check.read(cls("state")), std::string(state_text(row.want.end)) + "\n") << b.dmesg();
  if (!row.want.readback.empty()) {
    EXPECT_EQ(check.read(row.attr), row.want.readback);
  }
  if (may_dump) {
    EXPECT_EQ(b.newest_dump() > dumps, row.want.dump) << b.dmesg();
  }
}

/// Every row through one front end, on one board. (One test rather than one per row: ctest runs
/// each test in its own process, and a board per row would start ~330 machines.)
void run_table(bool fuse) {
  Board* board = nullptr;
  ASSERT_NO_FATAL_FAILURE(acquire_board(fuse, board));
  if (!board) return;  // skipped, with the reason
  const auto rows = table();
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(row_name({rows[i], i}));
    run_row(*board, rows[i]);
  }
}

TEST(SysfsTableFuse, EveryRow) {
  run_table(true);
}
TEST(SysfsTableCtl, EveryRow) {
  run_table(false);
}

TEST(SysfsTableShape, CoversEveryWritableAttributeInEveryStateAndHasUniqueNames) {
  std::set<std::string> names;
  std::map<std::string, std::set<St>> states;
  const auto rows = table();
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_TRUE(names.insert(row_name({rows[i], i})).second) << row_name({rows[i], i});
    states[rows[i].attr].insert(rows[i].start);
  }
  for (const std::string a : {"state", "firmware", "recovery", "coredump", "name"})
    EXPECT_EQ(states[cls(a)].size(), 3u) << a;
  for (const std::string a :
       {"recovery", "coredump", "crash", "name", "resource_table", "carveout_memories", "trace0"})
    EXPECT_EQ(states[dbg(a)].size(), 3u) << a;
}

// --- reads in every state, through both front ends ------------------------------------------

template <bool kFuse>
class SysfsReads : public ::testing::Test {
 protected:
  void SetUp() override { acquire_board(kFuse, board_); }
  void ReadsInEveryState();
  Board* board_ = nullptr;
};
using SysfsReadsFuse = SysfsReads<true>;
using SysfsReadsCtl = SysfsReads<false>;

template <bool kFuse>
void SysfsReads<kFuse>::ReadsInEveryState() {
  ASSERT_NE(board_, nullptr);
  Board& b = *board_;
  FrontEnd& fe = b.fe();
  for (St s : {O, R, C}) {
    SCOPED_TRACE(state_text(s));
    ASSERT_NO_FATAL_FAILURE(b.reset());
    ASSERT_NO_FATAL_FAILURE(b.enter(s));
    const std::string recovery = s == C ? "disabled\n" : "enabled\n";
    EXPECT_EQ(fe.read(cls("name")), "m33\n");
    EXPECT_EQ(fe.read(cls("state")), std::string(state_text(s)) + "\n");
    EXPECT_EQ(fe.read(cls("firmware")), std::string(kFw) + "\n");
    EXPECT_EQ(fe.read(cls("recovery")), recovery);
    EXPECT_EQ(fe.read(cls("coredump")), "enabled\n");
    EXPECT_EQ(fe.read(dbg("name")), "m33\n");
    EXPECT_EQ(fe.read(dbg("recovery")), recovery);
    EXPECT_EQ(fe.read(dbg("coredump")), "enabled\n");
    EXPECT_EQ(fe.read(cls("uevent")), "DEVTYPE=remoteproc\n");
    int err = 0;
    fe.read(dbg("crash"), err);
    // Write-only (0200): root opens a debugfs file whatever its mode and read(2) fails.
    EXPECT_EQ(errno_name(err), errno_name(fe.fuse() && ::geteuid() == 0 ? EINVAL : EACCES));
    const std::string carveouts = fe.read(dbg("carveout_memories"));
    EXPECT_NE(carveouts.find("Carveout memory entry:\n\tName: "), std::string::npos) << carveouts;
    EXPECT_NE(carveouts.find("vdev0buffer"), std::string::npos) << carveouts;
    EXPECT_NE(carveouts.find("\tVirtual address: "), std::string::npos) << carveouts;
    EXPECT_NE(carveouts.find("\tDMA address: 0x0000000081"), std::string::npos) << carveouts;
    EXPECT_NE(carveouts.find("\tDevice address: 0x"), std::string::npos) << carveouts;
    EXPECT_NE(carveouts.find(" Bytes\n\n"), std::string::npos) << carveouts;
    const std::string table = fe.read(dbg("resource_table"));
    const auto entries = fe.list(kDebug);
    if (s == O) {
      EXPECT_EQ(table, "No resource table found\n");
      EXPECT_EQ(std::count(entries.begin(), entries.end(), "trace0"), 0);
      fe.read(dbg("trace0"), err);
      EXPECT_EQ(errno_name(err), errno_name(ENOENT));
    } else {
      EXPECT_NE(table.find("Entry 0 is of type vdev"), std::string::npos) << table;
      EXPECT_NE(table.find("Entry 1 is of type trace"), std::string::npos) << table;
      EXPECT_NE(table.find("Name cm33_trace"), std::string::npos) << table;
      EXPECT_EQ(std::count(entries.begin(), entries.end(), "trace0"), 1);
      fe.read(dbg("trace0"), err);  // the firmware wrote nothing: empty
      EXPECT_EQ(err, 0);
    }
    auto sorted = fe.list(kClass);
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, (std::vector<std::string>{"coredump", "device", "firmware", "name",
                                                "recovery", "state", "subsystem", "uevent"}));
    EXPECT_EQ(fe.list("sys/class/remoteproc"), std::vector<std::string>{"remoteproc0"});
    fe.read(kClass, err);
    EXPECT_EQ(errno_name(err), errno_name(EISDIR));
  }
}
TEST_F(SysfsReadsFuse, EveryAttributeInEveryState) {
  ReadsInEveryState();
}
TEST_F(SysfsReadsCtl, EveryAttributeInEveryState) {
  ReadsInEveryState();
}

// --- ctl's verbs: the same operations as the files ------------------------------------------

TEST(SysfsCtlVerbs, StartStopStateFirmwareRecoveryCoredumpCrash) {
  Board* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(acquire_board(false, b));
  ASSERT_NE(b, nullptr);
  ASSERT_NO_FATAL_FAILURE(b->reset());
  auto& fe = static_cast<CtlFrontEnd&>(b->fe());
  const auto ok = [&](std::vector<std::string> words, const std::string& out = "") {
    words.insert(words.begin(), "remoteproc0");
    auto r = fe.ctl(words);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, out) << fmt::format("{}", fmt::join(words, " "));
  };
  const auto fails = [&](std::vector<std::string> words, int err) {
    words.insert(words.begin(), "remoteproc0");
    auto r = fe.ctl(words);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err,
              fmt::format("rproctee ctl: {}: {}\n", fmt::join(words, " "), std::strerror(err)));
  };
  ok({"state"}, "offline\n");
  ok({"name"}, "m33\n");
  ok({"firmware"}, std::string(kFw) + "\n");
  fails({"stop"}, EINVAL);
  ok({"firmware", kOtherFw});
  ok({"firmware"}, std::string(kOtherFw) + "\n");
  ok({"start"});
  ok({"state"}, "running\n");
  fails({"firmware", kFw}, EBUSY);
  fails({"detach"}, EINVAL);
  ok({"coredump", "inline"});
  ok({"coredump"}, "inline\n");
  ok({"coredump", "enabled"});
  fails({"coredump", "sometimes"}, EINVAL);
  ok({"recovery", "disabled"});
  ok({"recovery"}, "disabled\n");
  const int before = b->crashes_handled();
  ok({"crash", "1"});
  ASSERT_NO_FATAL_FAILURE(b->wait_crash_handled(before, false));
  ok({"state"}, "crashed\n");
  ok({"start"});  // one more user, as Linux: a `stop` per `start` after the recovery
  fails({"coredump", "disabled"}, EBUSY);
  fails({"crash", "seven"}, EINVAL);
  ok({"crash", "7"});  // any number (type "unknown"); ignored while crashed
  const int dumps = b->newest_dump();
  ok({"recovery", "recover"});
  ok({"state"}, "running\n");
  EXPECT_GT(b->newest_dump(), dumps);
  auto trace = fe.ctl({"remoteproc0", "trace"});
  EXPECT_EQ(trace.exit_code, 0) << trace.err;
  auto table = fe.ctl({"remoteproc0", "resource_table"});
  EXPECT_NE(table.out.find("Entry 0 is of type vdev"), std::string::npos) << table.out;
  auto mem = fe.ctl({"remoteproc0", "carveout_memories"});
  EXPECT_NE(mem.out.find("Carveout memory entry:"), std::string::npos) << mem.out;
  auto dmesg = fe.ctl({"dmesg"});
  EXPECT_NE(dmesg.out.find("remoteproc remoteproc0: recovery of m33 done"), std::string::npos);
  ok({"stop"});
  ok({"state"}, "running\n");  // the `start` while crashed holds it
  ok({"stop"});
  ok({"state"}, "offline\n");
  // A missing firmware: the boot fails as request_firmware does (-ENOENT), nothing is held.
  ok({"firmware", "missing.sign"});
  fails({"start"}, ENOENT);
  ok({"state"}, "offline\n");
  ok({"firmware", kFw});
  ok({"start"});
  ok({"stop"});
  // Not a request: usage error.
  EXPECT_EQ(fe.ctl({"remoteproc0", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(fe.ctl({"remoteproc0"}).exit_code, 2);
}

// A reply longer than one socket message (SEQPACKET messages are bounded by the socket buffer,
// about 208 KiB): dmesg grows past it with 80 garbage writes of a page (the most a sysfs write
// takes: more is E2BIG), each logged whole.
TEST(SysfsCtlVerbs, DmesgLongerThanOneSocketMessage) {
  Board* b = nullptr;
  ASSERT_NO_FATAL_FAILURE(acquire_board(false, b));
  ASSERT_NE(b, nullptr);
  auto& fe = static_cast<CtlFrontEnd&>(b->fe());
  EXPECT_EQ(fe.write(cls("state"), std::string(4097, 'x')), E2BIG);
  const std::string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%&";
  for (size_t i = 0; i < 80; ++i)
    ASSERT_EQ(fe.write(cls("state"), std::string(4096, letters[i % letters.size()])), EINVAL);
  auto r = fe.ctl({"dmesg"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(r.out.size(), 300u * 1024);
  for (char c : letters)
    EXPECT_NE(r.out.find("Unrecognised option: " + std::string(4096, c) + "\n"), std::string::npos)
        << c;
  EXPECT_EQ(fe.ctl({"read", "dmesg"}).out, r.out.substr(0, fe.ctl({"read", "dmesg"}).out.size()));
}

// --- ST's fw_cortex_m33.sh against the mount ------------------------------------------------

std::string script_path() {
  return (fs::path(RPROCTEE_TEST_DATA_DIR).parent_path() / "remoteproc" / "fw_cortex_m33.sh")
      .string();
}

/// A project folder as ST ships one: PROJECT/lib/firmware/PROJECT_CM33_NonSecure_sign.bin.
class FwScript : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (auto why = fuse_unavailable()) GTEST_SKIP() << "FUSE front end not tested: " << *why;
    project_ = tmp_ / "OpenAMP_TTY_echo";
    fs::create_directories(project_ + "/lib/firmware");
    write_bytes(project_ + "/lib/firmware/OpenAMP_TTY_echo_CM33_NonSecure_sign.bin",
                up_test_firmware());
    fw_dir_ = tmp_ / "lib_firmware";  // the board's /lib/firmware: empty until the script runs
    fs::create_directories(fw_dir_);
    fs::create_directories(tmp_ / "up");
    up_ = std::make_unique<UpProcess>(
        UpOptions{.dir = tmp_ / "up", .mount = true, .firmware_path = {fw_dir_}});
    std::string why;
    if (!up_->start(why)) {
      if (why.find("cannot mount") != std::string::npos) GTEST_SKIP() << why;
      FAIL() << why;
    }
    state_ = up_->mount() + "/" + cls("state");
  }
  CommandResult script(const std::string& action) {
    return run_command({"/usr/bin/env", "SYSFS=" + up_->mount() + "/sys", "FW_DIR=" + fw_dir_,
                        GetParam(), script_path(), action},
                       project_);
  }
  /// `bash -c TEXT` in the project folder, with $S the state file and $R the class folder.
  CommandResult bash(const std::string& text) {
    return run_command({"/usr/bin/env", "S=" + state_, "R=" + up_->mount() + "/" + kClass,
                        "/bin/bash", "-c", text, "bash"},
                       project_);
  }
  std::string state() { return slurp(state_); }

  TempDir tmp_;
  std::string project_, fw_dir_, state_;
  std::unique_ptr<UpProcess> up_;  // after tmp_
};

TEST_P(FwScript, StartCatStateStopRunsUnmodifiedAgainstTheMount) {
  auto start = script("start");
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err << up_->stderr_text();
  EXPECT_EQ(start.err, "");
  EXPECT_NE(start.out.find("fmw_name=OpenAMP_TTY_echo_CM33_NonSecure_sign.bin"), std::string::npos)
      << start.out;
  EXPECT_NE(start.out.find("running"), std::string::npos) << start.out;  // its `cat state`
  EXPECT_TRUE(fs::exists(fw_dir_ + "/OpenAMP_TTY_echo_CM33_NonSecure_sign.bin"));
  EXPECT_EQ(run_command({"/bin/cat", state_}).out, "running\n");
  EXPECT_EQ(slurp(up_->mount() + "/" + cls("firmware")),
            "OpenAMP_TTY_echo_CM33_NonSecure_sign.bin\n");

  // start again: the script stops the running firmware first, then boots it again.
  auto again = script("start");
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("Stopping running fw ..."), std::string::npos) << again.out;
  EXPECT_EQ(state(), "running\n");

  auto stop = script("stop");
  ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  EXPECT_EQ(state(), "offline\n");
  auto idle = script("stop");
  EXPECT_EQ(idle.exit_code, 0);
  EXPECT_NE(idle.out.find("Nothing to do"), std::string::npos) << idle.out;
  auto usage = script("restart");
  EXPECT_EQ(usage.exit_code, 1);
  EXPECT_NE(usage.out.find("usage: start | stop"), std::string::npos) << usage.out;

  const std::string log = slurp(up_->mount() + "/dmesg");
  EXPECT_NE(log.find("Booting fw image OpenAMP_TTY_echo_CM33_NonSecure_sign.bin"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("remote processor m33 is now up"), std::string::npos) << log;
  EXPECT_NE(log.find("stopped remote processor m33"), std::string::npos) << log;
}

TEST_P(FwScript, WithoutItsMountTheScriptSaysSo) {
  auto r = run_command({"/usr/bin/env", "SYSFS=" + tmp_ / "nowhere", "FW_DIR=" + fw_dir_,
                        GetParam(), script_path(), "start"},
                       project_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("remoteproc0 not found"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Shells, FwScript, ::testing::Values("/bin/sh", "/bin/bash"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return fs::path(p.param).filename().string();
                         });

// The shell's view of the errnos: what bash prints for each.
class ShellErrors : public FwScript {};

TEST_P(ShellErrors, EchoStartTwiceThenTheBusyAndInvalidMessages) {
  ASSERT_EQ(bash("echo -n OpenAMP_TTY_echo_CM33_NonSecure_sign.bin > $R/firmware").exit_code, 0);
  fs::copy_file(project_ + "/lib/firmware/OpenAMP_TTY_echo_CM33_NonSecure_sign.bin",
                fw_dir_ + "/OpenAMP_TTY_echo_CM33_NonSecure_sign.bin");
  // Linux >= 5.19: a second start of a running processor succeeds and takes a reference (no
  // -EBUSY any more); it then takes two stops.
  auto twice = bash("echo start > $S && echo start > $S && cat $S");
  EXPECT_EQ(twice.exit_code, 0) << twice.err << up_->stderr_text();
  EXPECT_EQ(twice.err, "");
  EXPECT_EQ(twice.out, "running\n");
  EXPECT_NE(slurp(up_->mount() + "/dmesg").find("powered up already (2 users)"), std::string::npos);

  // Busy: the firmware of a running processor cannot change.
  auto busy = bash("echo other.sign > $R/firmware");
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_THAT(busy.err, BashWriteError("Device or resource busy"));
  EXPECT_EQ(slurp(up_->mount() + "/" + cls("firmware")),
            "OpenAMP_TTY_echo_CM33_NonSecure_sign.bin\n");

  auto first_stop = bash("echo stop > $S; cat $S");
  EXPECT_EQ(first_stop.err, "");
  EXPECT_EQ(first_stop.out, "running\n");  // one user left
  auto second_stop = bash("echo stop > $S; cat $S");
  EXPECT_EQ(second_stop.out, "offline\n");
  auto third_stop = bash("echo stop > $S");
  EXPECT_EQ(third_stop.exit_code, 1);
  EXPECT_THAT(third_stop.err, BashWriteError("Invalid argument"));

  auto bad = bash("echo Start > $S");
  EXPECT_THAT(bad.err, BashWriteError("Invalid argument"));
  EXPECT_NE(slurp(up_->mount() + "/dmesg")
                .find("remoteproc remoteproc0: Unrecognised option: "
                      "Start"),
            std::string::npos);
  auto name = bash("echo x > $R/name");
  EXPECT_EQ(name.exit_code, 1);
  EXPECT_NE(name.err.find("/name: Permission denied"), std::string::npos) << name.err;
  auto missing = bash("echo x > $R/nonexistent");
  EXPECT_NE(missing.err.find("/nonexistent: Permission denied"), std::string::npos) << missing.err;

  // A boot the TA refuses (key not trusted): Input/output error, and the TA's reason in dmesg.
  write_bytes(fw_dir_ + "/untrusted.sign", up_test_firmware(8192, "rsa4096"));
  ASSERT_EQ(bash("echo untrusted.sign > $R/firmware").exit_code, 0);
  auto refused = bash("echo start > $S");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, BashWriteError("Input/output error"));
  EXPECT_EQ(state(), "offline\n");
  const std::string log = slurp(up_->mount() + "/dmesg");
  EXPECT_NE(log.find("TEE LOAD_FW failed: "), std::string::npos) << log;
  EXPECT_NE(log.find("remoteproc remoteproc0: Boot failed: -5"), std::string::npos) << log;

  // A name that is not in the firmware path: No such file or directory, still offline.
  ASSERT_EQ(bash("echo missing.sign > $R/firmware").exit_code, 0);
  auto missing_fw = bash("echo start > $S");
  EXPECT_THAT(missing_fw.err, BashWriteError("No such file or directory"));
  EXPECT_EQ(state(), "offline\n");
}

// The tree's shape as sysfs/debugfs have it: the class entry is a link into devices/, the
// driver core's uevent/device/subsystem, the modes the kernel creates, EPERM for directory
// changes, and the defaults of a fresh processor.
class SysfsLayout : public FwScript {
 protected:
  std::string at(const std::string& p) { return up_->mount() + "/" + p; }
  std::string link(const std::string& p) {
    char buf[512];
    const ssize_t n = ::readlink(at(p).c_str(), buf, sizeof buf);
    return n < 0 ? "<" + errno_name(errno) + ">" : std::string(buf, static_cast<size_t>(n));
  }
  /// Permission bits and type letter ("d0755", "l", "f0644"), or the errno.
  std::string mode(const std::string& p) {
    struct stat st {};
    if (::lstat(at(p).c_str(), &st) != 0) return "<" + errno_name(errno) + ">";
    if (S_ISLNK(st.st_mode)) return "l";
    return fmt::format("{}{:04o}", S_ISDIR(st.st_mode) ? 'd' : 'f', st.st_mode & 07777);
  }
};

// kobject_synth_uevent's syntax: what it accepts, what becomes SYNTH_UUID and SYNTH_ARG_*, and
// the kernel's two reasons for EINVAL.
TEST(SyntheticUevent, ParsedAsTheKernelDoes) {
  std::string why;
  auto plain = remoteproc::parse_synthetic_uevent("change\n", why);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->action, "change");
  EXPECT_TRUE(plain->uuid.empty());
  auto full = remoteproc::parse_synthetic_uevent(
      "add 0b6c8b4e-3b2a-4e5f-9a1d-7c2e5f6a8b9c A=1 Key2=v2\n", why);
  ASSERT_TRUE(full) << why;
  EXPECT_EQ(full->uuid, "0b6c8b4e-3b2a-4e5f-9a1d-7c2e5f6a8b9c");
  ASSERT_EQ(full->args.size(), 2u);
  EXPECT_EQ(full->args[1], std::make_pair(std::string("Key2"), std::string("v2")));
  EXPECT_FALSE(remoteproc::parse_synthetic_uevent("adds", why));
  EXPECT_EQ(why, "unknown uevent action string");
  for (const char* bad :
       {"add ", "add 0b6c8b4e-3b2a-4e5f-9a1d-7c2e5f6a8b9",
        "add 0b6c8b4e-3b2a-4e5f-9a1d-7c2e5f6a8b9c ", "add 0b6c8b4e-3b2a-4e5f-9a1d-7c2e5f6a8b9cX",
        "add 0b6c8b4e-3b2a-4e5f-9a1d-7c2e5f6a8b9c A=1 "}) {
    EXPECT_FALSE(remoteproc::parse_synthetic_uevent(bad, why)) << bad;
    EXPECT_EQ(why, "incorrect uevent action arguments") << bad;
  }
}

TEST_P(SysfsLayout, ClassEntryIsALinkIntoDevicesWithUeventDeviceSubsystem) {
  const std::string dev = "sys/devices/platform/m33/remoteproc/remoteproc0";
  EXPECT_EQ(link("sys/class/remoteproc/remoteproc0"),
            "../../devices/platform/m33/remoteproc/remoteproc0");
  EXPECT_EQ(mode("sys/class/remoteproc/remoteproc0"), "l");
  EXPECT_EQ(mode(dev), "d0755");
  EXPECT_EQ(link(dev + "/device"), "../../../m33");
  EXPECT_EQ(link(dev + "/subsystem"), "../../../../../class/remoteproc");
  EXPECT_EQ(fs::canonical(at(dev + "/subsystem")), fs::canonical(at("sys/class/remoteproc")));
  EXPECT_EQ(fs::canonical(at(dev + "/device")), fs::canonical(at("sys/devices/platform/m33")));
  EXPECT_EQ(fs::canonical(at(kClass)), fs::canonical(at(dev)));
  std::vector<std::string> glue;
  for (const auto& e : fs::directory_iterator(at("sys/devices/platform/m33/remoteproc")))
    glue.push_back(e.path().filename().string());
  EXPECT_EQ(glue, std::vector<std::string>{"remoteproc0"});
  EXPECT_EQ(slurp(at(dev + "/uevent")), "DEVTYPE=remoteproc\n");
  EXPECT_EQ(slurp(at(dev + "/name")), "m33\n");
  // A fresh processor: coredump "disabled" (dump_conf 0 from kzalloc), recovery "enabled".
  EXPECT_EQ(slurp(at(cls("coredump"))), "disabled\n");
  EXPECT_EQ(slurp(at(dbg("coredump"))), "disabled\n");
  EXPECT_EQ(slurp(at(cls("recovery"))), "enabled\n");
  EXPECT_EQ(slurp(at(cls("firmware"))), "rproc-m33-fw\n");
}

TEST_P(SysfsLayout, ModesAsTheKernelCreatesThem) {
  for (const auto& [f, m] : std::vector<std::pair<std::string, std::string>>{{"coredump", "f0644"},
                                                                             {"recovery", "f0644"},
                                                                             {"firmware", "f0644"},
                                                                             {"state", "f0644"},
                                                                             {"name", "f0444"},
                                                                             {"uevent", "f0644"},
                                                                             {"device", "l"},
                                                                             {"subsystem", "l"}})
    EXPECT_EQ(mode(cls(f)), m) << f;
  for (const auto& [f, m] :
       std::vector<std::pair<std::string, std::string>>{{"name", "f0400"},
                                                        {"recovery", "f0600"},
                                                        {"crash", "f0200"},
                                                        {"resource_table", "f0400"},
                                                        {"carveout_memories", "f0400"},
                                                        {"coredump", "f0600"}})
    EXPECT_EQ(mode(dbg(f)), m) << f;
  EXPECT_EQ(mode("sys/kernel/debug"), "d0700");
  EXPECT_EQ(mode("sys/kernel/debug/remoteproc"), "d0755");
  EXPECT_EQ(mode(kDebug), "d0755");
}

TEST_P(SysfsLayout, DirectoryChangesArePermissionErrors) {
  const auto err = [](int rc) { return errno_name(rc == 0 ? 0 : errno); };
  EXPECT_EQ(err(::mkdir(at(cls("newdir")).c_str(), 0755)), errno_name(EPERM));
  EXPECT_EQ(err(::mkdir(at(dbg("newdir")).c_str(), 0755)), errno_name(EPERM));
  EXPECT_EQ(err(::unlink(at(cls("state")).c_str())), errno_name(EPERM));
  EXPECT_EQ(err(::unlink(at(dbg("crash")).c_str())), errno_name(EPERM));
  EXPECT_EQ(err(::unlink(at("sys/class/remoteproc/remoteproc0").c_str())), errno_name(EPERM));
  EXPECT_EQ(err(::rmdir(at("sys/kernel/debug/remoteproc/remoteproc0").c_str())), errno_name(EPERM));
  EXPECT_EQ(err(::rename(at(cls("state")).c_str(), at(cls("state2")).c_str())), errno_name(EPERM));
  EXPECT_EQ(err(::symlink("state", at(cls("s")).c_str())), errno_name(EPERM));
  EXPECT_EQ(err(::link(at(cls("state")).c_str(), at(cls("s")).c_str())), errno_name(EPERM));
  auto rm = bash("rm -f $R/state");
  EXPECT_EQ(rm.exit_code, 1);
  EXPECT_NE(rm.err.find("Operation not permitted"), std::string::npos) << rm.err;
  EXPECT_EQ(state(), "offline\n");  // still there
}

INSTANTIATE_TEST_SUITE_P(Bash, SysfsLayout, ::testing::Values("/bin/bash"),
                         [](const ::testing::TestParamInfo<std::string>&) {
                           return std::string("bash");
                         });

INSTANTIATE_TEST_SUITE_P(Bash, ShellErrors, ::testing::Values("/bin/bash"),
                         [](const ::testing::TestParamInfo<std::string>&) {
                           return std::string("bash");
                         });

}  // namespace
}  // namespace rproctee::test
