#include "remoteproc/sysfs.hpp"

#include <algorithm>
#include <cctype>
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
  for (size_t i = 0; i < n && i < parts.size(); ++i) {
    if (i) s += '/';
    s += parts[i];
  }
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

// rproc_attrs[] order, then the driver core's own files and links of every device.
constexpr std::string_view kClassFiles[] = {"coredump", "recovery", "firmware", "state",
                                            "name",     "uevent",   "device",   "subsystem"};
constexpr std::string_view kDebugFiles[] = {"name",           "recovery",          "crash",
                                            "resource_table", "carveout_memories", "coredump"};

bool writable_attr(bool debug, std::string_view f) {
  if (debug) return f == "recovery" || f == "crash" || f == "coredump";
  return f == "state" || f == "firmware" || f == "recovery" || f == "coredump" || f == "uevent";
}

/// The mode the kernel gives a file: DEVICE_ATTR_RW/RO in remoteproc_sysfs.c (0644/0444), the
/// debugfs_create_file() modes of remoteproc_debugfs.c (0400/0600/0200).
uint32_t attr_mode(bool debug, std::string_view f) {
  if (!debug) return writable_attr(false, f) ? 0644 : 0444;
  if (f == "crash") return 0200;
  return writable_attr(true, f) ? 0600 : 0400;
}

// kobject_action_type(): the words a device's `uevent` takes.
constexpr std::string_view kUeventActions[] = {"add",    "remove",  "change", "move",
                                               "online", "offline", "bind",   "unbind"};

}  // namespace

bool sysfs_streq(std::string_view a, std::string_view b) {
  // Both are C strings in the kernel: a NUL ends them.
  a = a.substr(0, a.find('\0'));
  b = b.substr(0, b.find('\0'));
  if (!a.empty() && a.back() == '\n') a.remove_suffix(1);
  if (!b.empty() && b.back() == '\n') b.remove_suffix(1);
  return a == b;
}

/// What a path names.
struct SysfsTree::Parsed {
  enum Kind { kNone, kDir, kRprocAttr, kDevcdData, kDmesg, kLink } kind = kNone;
  Rproc* rproc = nullptr;
  bool debug = false;       // a debugfs file
  bool debug_root = false;  // sys/kernel/debug (0700, as debugfs mounts)
  std::string file;
  int devcd = 0;
  std::vector<std::string> children;
};

SysfsTree::SysfsTree(std::vector<Rproc*> rprocs, DevcoredumpStore& dumps, KernelLog& log,
                     std::vector<std::string> device_dirs)
    : rprocs_(std::move(rprocs)), dumps_(dumps), log_(log) {
  dirs_ = {
      {"", {"sys", "dmesg"}},
      {"sys", {"class", "devices", "kernel"}},
      {"sys/class", {"remoteproc", "devcoredump"}},
      {"sys/kernel", {"debug"}},
      {"sys/kernel/debug", {"remoteproc"}},
  };
  for (size_t i = 0; i < rprocs_.size(); ++i) {
    const std::string dir =
        i < device_dirs.size() ? device_dirs[i] : "platform/" + rprocs_[i]->name();
    const auto parts = split(dir);  // views into `dir`
    const std::string dev = fmt::format("sys/devices/{}/remoteproc/{}", join(parts, parts.size()),
                                        rprocs_[i]->dev_name());
    device_dirs_.push_back(dev);
    const auto dparts = split(dev);
    // sys/class/remoteproc/remoteprocN -> the device; DEV/device -> its parent (the platform
    // device); DEV/subsystem -> the class.
    links_[fmt::format("{}/{}", kClass, rprocs_[i]->dev_name())] = "../../" + dev.substr(4);
    links_[dev + "/device"] = "../../../" + std::string(dparts[dparts.size() - 3]);
    std::string back;
    for (size_t k = 1; k < dparts.size(); ++k) back += "../";
    links_[dev + "/subsystem"] = back + "class/remoteproc";
    for (size_t depth = 1; depth < dparts.size(); ++depth) {
      const std::string above = join(dparts, depth);
      const std::string child(dparts[depth]);
      auto it =
          std::find_if(dirs_.begin(), dirs_.end(), [&](const auto& d) { return d.first == above; });
      if (it == dirs_.end()) {
        dirs_.push_back({above, {child}});
      } else if (std::find(it->second.begin(), it->second.end(), child) == it->second.end()) {
        it->second.push_back(child);
      }
    }
  }
  link_names_.emplace_back("failing_device");
  for (const auto& [link, target] : links_) {
    std::string name = link.substr(link.rfind('/') + 1);
    if (std::find(link_names_.begin(), link_names_.end(), name) == link_names_.end())
      link_names_.push_back(std::move(name));
  }
}

std::optional<std::string> SysfsTree::link_at(std::string_view path) const {
  // Most lookups ask about a folder on the way; its name tells it is no link.
  const std::string_view name = path.substr(path.rfind('/') + 1);  // (npos + 1 == 0)
  if (std::find(link_names_.begin(), link_names_.end(), name) == link_names_.end()) return {};
  if (const auto it = links_.find(path); it != links_.end()) return it->second;
  // sys/class/devcoredump/devcdN/failing_device -> the device that crashed (devcd_dev_groups'
  // link to the failing device), while the dump exists.
  constexpr std::string_view kLinkName = "/failing_device";
  if (path.size() <= kDevcd.size() + 1 + kLinkName.size() || !path.starts_with(kDevcd) ||
      path[kDevcd.size()] != '/' || !path.ends_with(kLinkName))
    return {};
  const std::string_view devcd =
      path.substr(kDevcd.size() + 1, path.size() - kDevcd.size() - 1 - kLinkName.size());
  const auto n = number_after(devcd, "devcd");
  if (!n || !dumps_.get(*n)) return {};
  const std::string device = dumps_.device(*n);
  for (size_t i = 0; i < rprocs_.size(); ++i)
    if (rprocs_[i]->dev_name() == device) return "../../../" + device_dirs_[i].substr(4);
  return {};
}

std::optional<std::string> SysfsTree::resolve(std::string_view path, bool follow_last) const {
  // One string, the path so far; a link found at one of its prefixes is spliced in and the
  // walk starts over. No allocation while no prefix is a link (most lookups).
  std::string current = join(split(path), SIZE_MAX);
  for (int hops = 0; hops < 40; ++hops) {
    std::optional<std::string> next;
    for (size_t end = current.find('/');; end = current.find('/', end + 1)) {
      const bool last = end == std::string::npos;
      if (last && !follow_last) break;
      const std::string_view prefix = std::string_view(current).substr(0, end);
      if (const auto target = link_at(prefix)) {
        // The target is relative to the link's folder.
        std::vector<std::string_view> parts = split(prefix);
        parts.pop_back();
        for (auto t : split(*target)) {
          if (t != "..")
            parts.push_back(t);
          else if (!parts.empty())
            parts.pop_back();
        }
        if (!last) parts.push_back(std::string_view(current).substr(end + 1));
        next = join(parts, parts.size());
        break;
      }
      if (last) break;
    }
    if (!next) return current;
    current = std::move(*next);
  }
  return std::nullopt;  // ELOOP; none of the tree's links loop
}

SysfsTree::Parsed SysfsTree::parse(std::string_view path, bool follow_last) const {
  Parsed p;
  const auto resolved = resolve(path, follow_last);
  if (!resolved) return p;
  const std::string& joined = *resolved;
  const std::vector<std::string_view> parts = split(joined);
  if (const auto target = link_at(joined)) {
    p.kind = Parsed::kLink;
    p.file = *target;
    return p;
  }
  for (const auto& [dir, children] : dirs_)
    if (joined == dir) {
      p.kind = Parsed::kDir;
      p.children = children;
      p.debug_root = dir == "sys/kernel/debug";
      return p;
    }
  if (joined == "dmesg") {
    p.kind = Parsed::kDmesg;
    return p;
  }
  if (joined == kClass || joined == kDebug) {
    p.kind = Parsed::kDir;
    for (Rproc* r : rprocs_) p.children.push_back(r->dev_name());
    return p;
  }
  for (size_t i = 0; i < rprocs_.size(); ++i) {
    const std::string& dev = device_dirs_[i];
    if (!joined.starts_with(dev) || (joined.size() > dev.size() && joined[dev.size()] != '/'))
      continue;
    p.rproc = rprocs_[i];
    if (joined == dev) {
      p.kind = Parsed::kDir;
      for (auto f : kClassFiles) p.children.emplace_back(f);
      return p;
    }
    const std::string file = joined.substr(dev.size() + 1);
    if (std::find(std::begin(kClassFiles), std::end(kClassFiles), file) == std::end(kClassFiles))
      return Parsed{};
    p.kind = Parsed::kRprocAttr;
    p.file = file;
    return p;
  }
  if (joined.rfind(kDebug, 0) == 0) {
    const size_t depth = 4;
    if (parts.size() < depth + 1 || parts.size() > depth + 2) return p;
    const auto n = number_after(parts[depth], "remoteproc");
    if (!n || *n < 0 || static_cast<size_t>(*n) >= rprocs_.size()) return p;
    p.rproc = rprocs_[static_cast<size_t>(*n)];
    p.debug = true;
    if (parts.size() == depth + 1) {
      p.kind = Parsed::kDir;
      for (auto f : kDebugFiles) p.children.emplace_back(f);
      for (size_t k = 0; k < p.rproc->traces().size(); ++k)
        p.children.push_back(fmt::format("trace{}", k));
      return p;
    }
    const std::string file(parts[depth + 1]);
    bool known =
        std::find(std::begin(kDebugFiles), std::end(kDebugFiles), file) != std::end(kDebugFiles);
    if (auto t = number_after(file, "trace");
        t && *t >= 0 && static_cast<size_t>(*t) < p.rproc->traces().size())
      known = true;
    if (!known) return Parsed{};
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
    }
  }
  return p;
}

int SysfsTree::lookup(std::string_view path, SysfsEntry& e) const {
  const Parsed p = parse(path, false);
  e = SysfsEntry{};
  switch (p.kind) {
    case Parsed::kNone:
      return -ENOENT;
    case Parsed::kDir:
      e.directory = e.readable = true;
      e.mode = p.debug_root ? 0700 : 0755;
      return 0;
    case Parsed::kLink:
      e.readable = true;
      e.mode = 0777;
      e.link = p.file;
      return 0;
    case Parsed::kDmesg:  // rproctee's own file, refused for writing as sysfs does
      e.readable = true;
      e.mode = 0444;
      e.kernfs = true;
      return 0;
    case Parsed::kDevcdData:
      e.readable = e.writable = true;
      e.mode = 0600;  // devcoredump's bin_attr_data
      e.kernfs = true;
      return 0;
    case Parsed::kRprocAttr:
      e.mode = p.rproc ? attr_mode(p.debug, p.file) : 0444;
      e.readable = (e.mode & 0444) != 0;
      e.writable = (e.mode & 0222) != 0;
      e.kernfs = !p.debug;
      return 0;
  }
  return -ENOENT;
}

int SysfsTree::readlink(std::string_view path, std::string& target) const {
  const Parsed p = parse(path, false);
  if (p.kind == Parsed::kNone) return -ENOENT;
  if (p.kind != Parsed::kLink) return -EINVAL;
  target = p.file;
  return 0;
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
    case Parsed::kLink:
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
  Rproc& r = *p.rproc;
  const std::string& f = p.file;
  if ((attr_mode(p.debug, f) & 0444) == 0) return -EACCES;
  if (f == "uevent")
    out = "DEVTYPE=remoteproc\n";  // dev_uevent() with rproc_type; no devt, driver or of_node
  else if (f == "name")
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
  if (p.kind == Parsed::kNone || p.kind == Parsed::kLink) return -ENOENT;
  if (p.kind == Parsed::kDir) return -EISDIR;
  if (p.kind != Parsed::kDevcdData &&
      (p.kind != Parsed::kRprocAttr || !p.rproc || !writable_attr(p.debug, p.file)))
    return -EACCES;
  // A zero-length write(2) stores nothing (sysfs_kf_write returns 0; FUSE never forwards one),
  // so `ctl write PATH ""` answers as the mounted file does.
  if (value.empty()) return 0;
  // kernfs: a sysfs attribute takes at most a page in one write (debugfs files have their own
  // limits, below).
  if (!p.debug && value.size() > kSysfsWriteMax) return -E2BIG;
  if (p.kind == Parsed::kDevcdData) return dumps_.dismiss(p.devcd) ? 0 : -ENOENT;
  Rproc& r = *p.rproc;
  const std::string& f = p.file;
  const std::string dev = "remoteproc " + r.dev_name();
  if (f == "uevent") return write_uevent(r, value);
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
  if (f == "recovery" && p.debug) return debugfs_recovery_write(r, value);
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
  if (f == "coredump" && p.debug) return debugfs_coredump_write(r, value);
  if (f == "coredump") {
    if (r.state() == RprocState::kCrashed) {
      log_.log(dev, "can't change coredump configuration");
      return -EBUSY;
    }
    if (sysfs_streq(value, "disabled")) return r.set_coredump(CoredumpMode::kDisabled);
    if (sysfs_streq(value, "enabled")) return r.set_coredump(CoredumpMode::kEnabled);
    if (sysfs_streq(value, "inline")) return r.set_coredump(CoredumpMode::kInline);
    log_.log(dev, "Invalid coredump configuration");
    return -EINVAL;
  }
  if (f == "crash") return debugfs_crash_write(r, value);
  return -EACCES;
}

// uevent_store() -> kobject_synth_uevent(): an action word (one trailing newline or NUL
// dropped); the optional "UUID [KEY=VALUE ...]" arguments are not supported here (EINVAL).
// No udev listens on this board: the event is only logged.
int SysfsTree::write_uevent(Rproc& r, std::string_view value) {
  const std::string dev = "remoteproc " + r.dev_name();
  const auto refuse = [&](std::string_view why) {
    log_.log(dev, "synth uevent: {}: {}", device_dirs_[index_of(r)].substr(3), why);
    log_.log(dev, "uevent: failed to send synthetic uevent: {}", -EINVAL);
    return -EINVAL;
  };
  std::string why;
  const auto synth = parse_synthetic_uevent(value, why);
  if (!synth) return refuse(why);
  std::string env = "DEVTYPE=remoteproc SYNTH_UUID=" + (synth->uuid.empty() ? "0" : synth->uuid);
  for (const auto& [key, val] : synth->args) env += fmt::format(" SYNTH_ARG_{}={}", key, val);
  log_.log(dev, "synthetic uevent {} {}", synth->action, env);
  return 0;
}

size_t SysfsTree::index_of(const Rproc& r) const {
  return static_cast<size_t>(std::find(rprocs_.begin(), rprocs_.end(), &r) - rprocs_.begin());
}

// kobject_synth_uevent (lib/kobject_uevent.c): "ACTION [UUID [KEY=VALUE ...]]", one trailing
// newline or NUL dropped; KEY and VALUE alphanumeric, single spaces between.
std::optional<SyntheticUevent> parse_synthetic_uevent(std::string_view text, std::string& why) {
  const auto chop = [](std::string_view& s) {
    if (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.remove_suffix(1);
  };
  std::string_view all = text;
  chop(all);
  if (all.empty()) return why = "unknown uevent action string", std::nullopt;
  const size_t space = all.find(' ');
  const std::string_view word = all.substr(0, space);
  const bool known = std::find(std::begin(kUeventActions), std::end(kUeventActions), word) !=
                     std::end(kUeventActions);
  if (!known) return why = "unknown uevent action string", std::nullopt;
  SyntheticUevent out{std::string(word), {}, {}};
  if (space == std::string_view::npos) return out;
  // The arguments are what follows the space in the original text (their own newline dropped).
  std::string_view args = text.substr(space + 1);
  chop(args);
  const std::string bad = "incorrect uevent action arguments";
  constexpr size_t kUuidLength = 36;
  if (args.size() < kUuidLength) return why = bad, std::nullopt;
  for (size_t i = 0; i < kUuidLength; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? args[i] != '-' : !std::isxdigit(static_cast<unsigned char>(args[i])))
      return why = bad, std::nullopt;
  }
  out.uuid = std::string(args.substr(0, kUuidLength));
  const auto alnum_run = [&](size_t from, char delim) {  // end of a word, or npos if none
    size_t at = from;
    while (at < args.size() && args[at] != delim) {
      if (!std::isalnum(static_cast<unsigned char>(args[at]))) return std::string_view::npos;
      ++at;
    }
    return at == from ? std::string_view::npos : at;
  };
  size_t next = kUuidLength;
  while (next < args.size()) {
    if (args[next] != ' ' || ++next >= args.size()) return why = bad, std::nullopt;
    const size_t eq = alnum_run(next, '=');
    if (eq == std::string_view::npos || eq >= args.size()) return why = bad, std::nullopt;
    const size_t value_end = eq + 1 < args.size() ? alnum_run(eq + 1, ' ') : std::string_view::npos;
    if (value_end == std::string_view::npos) return why = bad, std::nullopt;
    out.args.emplace_back(std::string(args.substr(next, eq - next)),
                          std::string(args.substr(eq + 1, value_end - eq - 1)));
    next = value_end;
  }
  return out;
}

}  // namespace rproctee::remoteproc
