#include "remoteproc/debugfs.hpp"

#include <cctype>
#include <cerrno>
#include <type_traits>
#include <variant>

#include "image/resource_table.hpp"

namespace rproctee::remoteproc {

namespace {

// The format strings of rproc_rsc_table_show(), one function per entry type; "%d" fields are
// u32 printed as int.
std::string show_memory(const image::RscMemory& m) {
  return fmt::format(
      "  Device Address {:#x}\n  Physical Address {:#x}\n  Length {:#x} Bytes\n  Flags {:#x}\n"
      "  Reserved (should be zero) [0]\n  Name {}\n\n",
      m.da, m.pa, m.len, m.flags, m.name);
}

std::string show_trace(const image::RscTrace& t) {
  return fmt::format(
      "  Device Address {:#x}\n  Length {:#x} Bytes\n  Reserved (should be zero) [0]\n"
      "  Name {}\n\n",
      t.da, t.len, t.name);
}

std::string show_vdev(const image::RscVdev& v) {
  std::string out = fmt::format(
      "  ID {}\n  Notify ID {}\n  Device features {:#x}\n  Guest features {:#x}\n"
      "  Config length {:#x}\n  Status {:#x}\n  Number of vrings {}\n"
      "  Reserved (should be zero) [0][0]\n\n",
      static_cast<int32_t>(v.id), static_cast<int32_t>(v.notifyid), v.dfeatures, v.gfeatures,
      v.config_len, v.status, v.num_of_vrings);
  for (size_t k = 0; k < v.vrings.size(); ++k) {
    const image::RscVring& r = v.vrings[k];
    out += fmt::format(
        "  Vring {}\n    Device Address {:#x}\n    Alignment {}\n    Number of buffers {}\n"
        "    Notify ID {}\n    Physical Address {:#x}\n\n",
        k, r.da, static_cast<int32_t>(r.align), static_cast<int32_t>(r.num),
        static_cast<int32_t>(r.notifyid), r.pa);
  }
  return out;
}

}  // namespace

std::string debugfs_resource_table(const Rproc& rproc) {
  // The table as it is now, read from its current place (a copy taken under the core's lock).
  const std::vector<uint8_t> now = rproc.table_snapshot();
  if (now.empty()) return "No resource table found\n";
  auto current = image::parse_resource_table(now);
  if (!current) return fmt::format("resource table no longer valid: {}\n", current.error().message);
  std::string out;
  for (size_t i = 0; i < current->entries.size(); ++i) {
    const auto& e = current->entries[i];
    const std::string head =
        fmt::format("Entry {} is of type {}\n", i, image::rsc_type_name(e.type));
    std::visit(
        [&](const auto& b) {
          using T = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<T, image::RscCarveout> ||
                        std::is_same_v<T, image::RscDevmem>)
            out += head + show_memory(b);
          else if constexpr (std::is_same_v<T, image::RscTrace>)
            out += head + show_trace(b);
          else if constexpr (std::is_same_v<T, image::RscVdev>)
            out += head + show_vdev(b);
          else  // "[hdr: %pK]": the kernel pointer; here the entry's offset in the table
            out += fmt::format("Unknown resource type found: {} [hdr: {:016x}]\n",
                               static_cast<int32_t>(e.type), e.offset);
        },
        e.body);
  }
  return out;
}

std::string debugfs_carveout_memories(const Rproc& rproc) {
  // rproc_carveouts_show(). %pK (the kernel's mapping) is our process's mapping of the region;
  // %pad is a 64-bit dma_addr_t as on arm64: the physical address.
  std::string out;
  for (const MemoryMapping& m : rproc.carveouts())
    out += fmt::format(
        "Carveout memory entry:\n\tName: {}\n\tVirtual address: {:016x}\n"
        "\tDMA address: {:#018x}\n\tDevice address: {:#x}\n\tLength: {:#x} Bytes\n\n",
        m.name, reinterpret_cast<uintptr_t>(m.va), m.pa, static_cast<uint32_t>(m.da), m.size);
  return out;
}

std::string debugfs_trace(const TraceBuffer& trace) {
  size_t len = 0;
  while (len < trace.len && trace.va[len] != 0) ++len;
  return std::string(reinterpret_cast<const char*>(trace.va), len);
}

namespace {

/// `!strncmp(buf, word, count)` on the kernel's copy of a debugfs write: the bytes written,
/// their trailing newline turned into a NUL.
bool strncmp_matches(std::string_view buf, std::string_view word) {
  for (size_t i = 0; i < buf.size(); ++i) {
    const char w = i < word.size() ? word[i] : '\0';
    if (buf[i] != w) return false;
    if (w == '\0') return true;
  }
  return true;
}

/// The kernel's copy of a debugfs write of at most `max` bytes: -EINVAL for 0 or more.
int copy_word(std::string_view value, size_t max, std::string& buf) {
  if (value.empty() || value.size() > max) return -EINVAL;
  buf.assign(value);
  if (buf.back() == '\n') buf.back() = '\0';  // "remove end of line"
  return 0;
}

}  // namespace

int debugfs_recovery_write(Rproc& rproc, std::string_view value) {
  std::string buf;
  if (const int err = copy_word(value, 10, buf)) return err;
  if (strncmp_matches(buf, "enabled")) {
    rproc.set_recovery_disabled(false);
    rproc.trigger_recovery();  // its result is ignored, as in the kernel
  } else if (strncmp_matches(buf, "disabled")) {
    rproc.set_recovery_disabled(true);
  } else if (strncmp_matches(buf, "recover")) {
    rproc.trigger_recovery();
  } else {
    return -EINVAL;
  }
  return 0;
}

int debugfs_coredump_write(Rproc& rproc, std::string_view value) {
  std::string buf;
  if (const int err = copy_word(value, 20, buf)) return err;
  if (rproc.state() == RprocState::kCrashed) {
    rproc.info("can't change coredump configuration");
    return -EBUSY;
  }
  if (strncmp_matches(buf, "disabled")) return rproc.set_coredump(CoredumpMode::kDisabled);
  if (strncmp_matches(buf, "enabled")) return rproc.set_coredump(CoredumpMode::kEnabled);
  if (strncmp_matches(buf, "inline")) return rproc.set_coredump(CoredumpMode::kInline);
  rproc.info("Invalid coredump configuration");
  return -EINVAL;
}

int kstrtouint_base0(std::string_view text, uint32_t& out) {
  // kstrto*_from_user: buf[1 + 32 + 1 + 1], so at most 34 bytes are looked at.
  std::string_view s = text.substr(0, 34);
  s = s.substr(0, s.find('\0'));  // the kernel's copy is a C string
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  unsigned base = 10;
  const auto is_xdigit = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (!s.empty() && s[0] == '0') {
    base = 8;
    if (s.size() > 2 && (s[1] == 'x' || s[1] == 'X') && is_xdigit(s[2])) {
      base = 16;
      s.remove_prefix(2);
    }
  }
  uint64_t value = 0;
  size_t digits = 0;
  bool overflow = false;
  for (; digits < s.size(); ++digits) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[digits])));
    const unsigned d = c >= '0' && c <= '9'   ? static_cast<unsigned>(c - '0')
                       : c >= 'a' && c <= 'f' ? static_cast<unsigned>(c - 'a' + 10)
                                              : 16;
    if (d >= base) break;
    overflow |=
        __builtin_mul_overflow(value, base, &value) || __builtin_add_overflow(value, d, &value);
  }
  if (overflow) return -ERANGE;
  if (digits == 0) return -EINVAL;
  s.remove_prefix(digits);
  if (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  if (!s.empty()) return -EINVAL;
  if (value > UINT32_MAX) return -ERANGE;
  out = static_cast<uint32_t>(value);
  return 0;
}

int debugfs_crash_write(Rproc& rproc, std::string_view value) {
  uint32_t type = 0;
  if (const int err = kstrtouint_base0(value, type)) return err;
  rproc.report_crash(static_cast<CrashType>(type));
  return 0;
}

}  // namespace rproctee::remoteproc
