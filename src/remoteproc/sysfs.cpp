#include "remoteproc/sysfs.hpp"

#include <cerrno>
#include <charconv>
#include <optional>

#include "remoteproc/debugfs.hpp"

namespace rproctee::remoteproc {

namespace {

constexpr std::string_view kClass = "sys/class/remoteproc";
constexpr std::string_view kDebug = "sys/kernel/debug/remoteproc";
constexpr std::string_view kDevcd = "sys/class/devcoredump";

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

std::string join(const std::vector<std::string_view>& parts, size_t n) {
  std::string s;
  for (size_t i = 0; i < n && i < parts.size(); ++i) s += (i ? "/" : "") + std::string(parts[i]);
  return s;
}

std::optional<int> number_after(std::string_view name, std::string_view prefix) {
  if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) return std::nullopt;
  int n = 0;
  const auto digits = name.substr(prefix.size());
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return n;
}

constexpr std::string_view kClassFiles[] = {"name", "state", "firmware", "recovery", "coredump"};
constexpr std::string_view kDebugFiles[] = {"name",           "recovery",          "crash",
                                            "resource_table", "carveout_memories", "coredump"};

bool writable_attr(bool debug, std::string_view f) {
  if (debug) return f == "recovery" || f == "crash" || f == "coredump";
  return f == "state" || f == "firmware" || f == "recovery" || f == "coredump";
}

}  // namespace

bool sysfs_streq(std::string_view a, std::string_view b) {
  if (!a.empty() && a.back() == '\n') a.remove_suffix(1);
  if (!b.empty() && b.back() == '\n') b.remove_suffix(1);
  return a == b;
}

/// What a path names.
struct SysfsTree::Parsed {
  enum Kind { kNone, kDir, kRprocAttr, kDevcdData, kDmesg } kind = kNone;
  Rproc* rproc = nullptr;
  bool debug = false;
  std::string file;
  int devcd = 0;
  std::vector<std::string> children;
};

SysfsTree::Parsed SysfsTree::parse(std::string_view path) const {
  const auto parts = split(path);
  Parsed p;
  const std::string joined = join(parts, parts.size());
  // Directories above the per-device ones.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kDirs = {
      {"", {"sys", "dmesg"}},
      {"sys", {"class", "kernel"}},
      {"sys/class", {"remoteproc", "devcoredump"}},
      {"sys/kernel", {"debug"}},
      {"sys/kernel/debug", {"remoteproc"}},
  };
  for (const auto& [dir, children] : kDirs)
    if (joined == dir) {
      p.kind = Parsed::kDir;
      p.children = children;
      return p;
    }
  if (joined == "dmesg") {
    p.kind = Parsed::kDmesg;
    return p;
  }
  const bool cls = joined.rfind(kClass, 0) == 0, dbg = joined.rfind(kDebug, 0) == 0;
  if ((cls || dbg) && (joined == kClass || joined == kDebug)) {
    p.kind = Parsed::kDir;
    for (Rproc* r : rprocs_) p.children.push_back(r->dev_name());
    return p;
  }
  if (cls || dbg) {
    const size_t depth = dbg ? 4 : 3;
    if (parts.size() < depth + 1 || parts.size() > depth + 2) return p;
    const auto n = number_after(parts[depth], "remoteproc");
    if (!n || *n < 0 || static_cast<size_t>(*n) >= rprocs_.size()) return p;
    p.rproc = rprocs_[static_cast<size_t>(*n)];
    p.debug = dbg;
    if (parts.size() == depth + 1) {
      p.kind = Parsed::kDir;
      for (auto f : dbg ? std::span<const std::string_view>(kDebugFiles)
                        : std::span<const std::string_view>(kClassFiles))
        p.children.emplace_back(f);
      if (dbg)
        for (size_t k = 0; k < p.rproc->traces().size(); ++k)
          p.children.push_back(fmt::format("trace{}", k));
      return p;
    }
    const std::string file(parts[depth + 1]);
    bool known = false;
    for (const auto& c : dbg ? std::span<const std::string_view>(kDebugFiles)
                             : std::span<const std::string_view>(kClassFiles))
      known |= c == file;
    if (dbg) {
      if (auto t = number_after(file, "trace");
          t && *t >= 0 && static_cast<size_t>(*t) < p.rproc->traces().size())
        known = true;
    }
    if (!known) return p;
    p.kind = Parsed::kRprocAttr;
    p.file = file;
    return p;
  }
  if (joined.rfind(kDevcd, 0) == 0) {
    if (parts.size() == 3) {
      p.kind = Parsed::kDir;
      for (int n : dumps_.list()) p.children.push_back(fmt::format("devcd{}", n));
      return p;
    }
    const auto n = parts.size() >= 4 ? number_after(parts[3], "devcd") : std::nullopt;
    if (!n || !dumps_.get(*n)) return p;
    p.devcd = *n;
    if (parts.size() == 4) {
      p.kind = Parsed::kDir;
      p.children = {"data", "failing_device"};
    } else if (parts.size() == 5 && parts[4] == "data") {
      p.kind = Parsed::kDevcdData;
    } else if (parts.size() == 5 && parts[4] == "failing_device") {
      p.kind = Parsed::kRprocAttr;  // read-only text
      p.file = "failing_device";
    }
  }
  return p;
}

int SysfsTree::lookup(std::string_view path, SysfsEntry& e) const {
  const Parsed p = parse(path);
  switch (p.kind) {
    case Parsed::kNone:
      return -ENOENT;
    case Parsed::kDir:
      e = {true, true, false};
      return 0;
    case Parsed::kDmesg:
      e = {false, true, false};
      return 0;
    case Parsed::kDevcdData:
      e = {false, true, true};
      return 0;
    case Parsed::kRprocAttr:
      e = {false, p.file != "crash", p.rproc && writable_attr(p.debug, p.file)};
      return 0;
  }
  return -ENOENT;
}

int SysfsTree::list(std::string_view path, std::vector<std::string>& names) const {
  const Parsed p = parse(path);
  if (p.kind == Parsed::kNone) return -ENOENT;
  if (p.kind != Parsed::kDir) return -ENOTDIR;
  names = p.children;
  return 0;
}

int SysfsTree::read(std::string_view path, std::string& out) const {
  const Parsed p = parse(path);
  switch (p.kind) {
    case Parsed::kNone:
      return -ENOENT;
    case Parsed::kDir:
      return -EISDIR;
    case Parsed::kDmesg:
      out = log_.contents();
      return 0;
    case Parsed::kDevcdData: {
      auto d = dumps_.get(p.devcd);
      if (!d) return -ENOENT;
      out.assign(d->begin(), d->end());
      return 0;
    }
    case Parsed::kRprocAttr:
      break;
  }
  if (p.file == "failing_device") {
    out = dumps_.device(p.devcd) + "\n";
    return 0;
  }
  Rproc& r = *p.rproc;
  const std::string& f = p.file;
  if (f == "name")
    out = r.name() + "\n";
  else if (f == "state")
    out = std::string(state_name(r.state())) + "\n";
  else if (f == "firmware")
    out = r.firmware() + "\n";
  else if (f == "recovery")
    out = r.recovery_disabled() ? "disabled\n" : "enabled\n";
  else if (f == "coredump")
    out = std::string(coredump_mode_name(r.coredump_mode())) + "\n";
  else if (f == "resource_table")
    out = debugfs_resource_table(r);
  else if (f == "carveout_memories")
    out = debugfs_carveout_memories(r);
  else if (f == "crash")
    return -EACCES;
  else if (auto t = number_after(f, "trace")) {
    const auto traces = r.traces();
    if (static_cast<size_t>(*t) >= traces.size()) return -ENOENT;
    out = debugfs_trace(traces[static_cast<size_t>(*t)]);
  } else {
    return -ENOENT;
  }
  return 0;
}

int SysfsTree::write(std::string_view path, std::string_view value) {
  const Parsed p = parse(path);
  if (p.kind == Parsed::kNone) return -ENOENT;
  if (p.kind == Parsed::kDir) return -EISDIR;
  if (p.kind != Parsed::kDevcdData &&
      (p.kind != Parsed::kRprocAttr || !p.rproc || !writable_attr(p.debug, p.file)))
    return -EACCES;
  // A zero-length write(2) stores nothing (sysfs_kf_write returns 0; FUSE never forwards one),
  // so `ctl write PATH ""` answers as the mounted file does.
  if (value.empty()) return 0;
  // kernfs: a sysfs attribute takes at most a page in one write.
  if (value.size() > kSysfsWriteMax) return -E2BIG;
  if (p.kind == Parsed::kDevcdData) return dumps_.dismiss(p.devcd) ? 0 : -ENOENT;
  Rproc& r = *p.rproc;
  const std::string& f = p.file;
  const std::string dev = "remoteproc " + r.dev_name();
  if (f == "state") {
    if (sysfs_streq(value, "start")) {
      const int err = r.boot();
      if (err) log_.log(dev, "Boot failed: {}", err);
      return err;
    }
    if (sysfs_streq(value, "stop")) return r.shutdown();
    if (sysfs_streq(value, "detach")) return r.detach();
    log_.log(dev, "Unrecognised option: {}", value.substr(0, value.find('\n')));
    return -EINVAL;
  }
  // rproc_set_firmware: the name is the text up to the first newline (strcspn), "" -> -EINVAL;
  // kstrndup stops at a NUL too.
  if (f == "firmware")
    return r.set_firmware(
        std::string(value.substr(0, value.find_first_of(std::string_view("\n\0", 2)))));
  if (f == "recovery") {
    if (sysfs_streq(value, "enabled")) {
      // recovery_store: change the flag and begin the recovery process if needed.
      if (const int err = r.set_recovery_disabled(false); err) return err;
      return r.trigger_recovery();
    }
    if (sysfs_streq(value, "disabled")) return r.set_recovery_disabled(true);
    if (sysfs_streq(value, "recover")) return r.trigger_recovery();
    return -EINVAL;
  }
  if (f == "coredump") {
    if (r.state() == RprocState::kCrashed) return -EBUSY;
    if (sysfs_streq(value, "disabled")) return r.set_coredump(CoredumpMode::kDisabled);
    if (sysfs_streq(value, "enabled")) return r.set_coredump(CoredumpMode::kEnabled);
    if (sysfs_streq(value, "inline")) return r.set_coredump(CoredumpMode::kInline);
    return -EINVAL;
  }
  if (f == "crash") {
    std::optional<CrashType> type;
    if (sysfs_streq(value, "0") || sysfs_streq(value, "mmufault"))
      type = CrashType::kMmuFault;
    else if (sysfs_streq(value, "1") || sysfs_streq(value, "watchdog"))
      type = CrashType::kWatchdog;
    else if (sysfs_streq(value, "2") || sysfs_streq(value, "fatal-error"))
      type = CrashType::kFatalError;
    if (!type) return -EINVAL;
    r.report_crash(*type);
    return 0;
  }
  return -EACCES;
}

}  // namespace rproctee::remoteproc
