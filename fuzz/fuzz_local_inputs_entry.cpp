#include "fuzz_local_inputs_entry.hpp"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "common/file_input.hpp"
#include "common/seqpacket.hpp"
#include "dt/presets.hpp"
#include "fuzz_invariant.hpp"
#include "fuzz_sysfs_entry.hpp"
#include "machine/client_limits.hpp"
#include "platform/rollback_store.hpp"
#include "platform/secure_config.hpp"
#include "remoteproc/control_server.hpp"

namespace rproctee::fuzz {

namespace {

namespace fs = std::filesystem;

/// A 0700 directory of this process's own under /tmp, made once (removed at exit).
const fs::path& private_directory() {
  static const fs::path dir = [] {
    std::string name = (fs::temp_directory_path() / "rproctee-fuzz-XXXXXX").string();
    if (!::mkdtemp(name.data())) std::abort();
    std::atexit([] { fs::remove_all(private_directory()); });
    return fs::path(name);
  }();
  return dir;
}

void write_file(const fs::path& path, std::span<const uint8_t> bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  for (size_t at = 0; at < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n <= 0) std::abort();
    at += static_cast<size_t>(n);
  }
  ::close(fd);
}

// fuzz_state_dir's first byte.
constexpr uint8_t kKeyPresent = 1, kCountersPresent = 2, kKeySymlink = 4, kCountersSymlink = 8,
                  kCountersDirectory = 16;

/// One state file as the input wants it: absent, a regular file with `bytes`, a symlink to a
/// regular file holding them, or a directory.
void place(const fs::path& dir, const char* name, bool present, bool symlink, bool directory,
           std::span<const uint8_t> bytes) {
  const fs::path path = dir / name;
  if (!present) return;
  if (directory) {
    fs::create_directory(path);
  } else if (symlink) {
    const fs::path target = dir / (std::string(name) + ".target");
    write_file(target, bytes);
    fs::create_symlink(target, path);
  } else {
    write_file(path, bytes);
  }
}

}  // namespace

void fuzz_state_dir_one(std::span<const uint8_t> data) {
  const fs::path state = private_directory() / "state";
  fs::remove_all(state);
  fs::create_directory(state);
  fs::permissions(state, fs::perms::owner_all, fs::perm_options::replace);
  const uint8_t flags = data.empty() ? 0 : data[0];
  const size_t key_size = data.size() < 3 ? 0 : size_t{data[1]} | size_t{data[2]} << 8;
  const auto rest = data.size() < 3 ? std::span<const uint8_t>() : data.subspan(3);
  const auto key = rest.first(std::min(key_size, rest.size()));
  const auto counters = rest.subspan(key.size());
  place(state, "device.key", flags & kKeyPresent, flags & kKeySymlink, false, key);
  place(state, "rollback.bin", flags & kCountersPresent, flags & kCountersSymlink,
        flags & kCountersDirectory, counters);
  const bool a_symlink =
      ((flags & kKeyPresent) && (flags & kKeySymlink)) ||
      ((flags & kCountersPresent) && (flags & kCountersSymlink) && !(flags & kCountersDirectory));

  uint32_t version = 0;
  {
    auto store = platform::RollbackStore::open(state.string());
    if (!store) return;
    for (uint32_t p = 1; p < 4; ++p) (void)store->read(p);
    auto read = store->read(0);
    if (!read) return;
    FUZZ_INVARIANT(!a_symlink, "a state file that is a symlink was trusted (version %u)", *read);
    version = *read == UINT32_MAX ? *read : *read + 1;
    auto committed = store->commit(0, version);
    FUZZ_INVARIANT(committed, "a trusted store could not commit %u: %s", version,
                   committed.error().message.c_str());
  }
  auto again = platform::RollbackStore::open(state.string());
  FUZZ_INVARIANT(again, "reopening after a commit failed: %s", again.error().message.c_str());
  auto read = again->read(0);
  FUZZ_INVARIANT(read && *read == version, "committed %u, read back %s", version,
                 read ? std::to_string(*read).c_str() : read.error().message.c_str());
}

std::vector<std::vector<uint8_t>> fuzz_state_dir_seeds() {
  // A real state (a key and counters the machine wrote), then each file missing, swapped for a
  // symlink or a directory, and garbage counters.
  const fs::path state = private_directory() / "seed";
  fs::remove_all(state);
  {
    auto store = platform::RollbackStore::open(state.string());
    if (!store || !store->commit(0, 7) || !store->commit(2, 3)) std::abort();
  }
  const auto slurp = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  };
  const auto key = slurp(state / "device.key");
  const auto counters = slurp(state / "rollback.bin");
  const auto seed = [&](uint8_t flags, const std::vector<uint8_t>& c) {
    std::vector<uint8_t> s;
    s.reserve(3 + key.size() + c.size());
    s.push_back(flags);
    s.push_back(static_cast<uint8_t>(key.size()));
    s.push_back(static_cast<uint8_t>(key.size() >> 8));
    for (uint8_t b : key) s.push_back(b);  // (not insert: GCC 12's -Warray-bounds)
    for (uint8_t b : c) s.push_back(b);
    return s;
  };
  std::vector<uint8_t> garbage = counters;
  if (!garbage.empty()) garbage.back() ^= 1;
  return {seed(kKeyPresent | kCountersPresent, counters),
          seed(kKeyPresent, counters),
          seed(kCountersPresent, counters),
          seed(kKeyPresent | kCountersPresent | kKeySymlink, counters),
          seed(kKeyPresent | kCountersPresent | kCountersSymlink, counters),
          seed(kKeyPresent | kCountersPresent | kCountersDirectory, counters),
          seed(kKeyPresent | kCountersPresent, garbage),
          seed(0, {})};
}

namespace {

// fuzz_device_tree's first byte: what the named file is.
enum class FileKind : uint8_t { kRegular, kSymlink, kFifo, kDirectory, kSparse, kCount };

/// The file `--dtb` names, as the input wants it; its size as stat gives it (0: not a file).
uint64_t make_input_file(const fs::path& path, FileKind kind, std::span<const uint8_t> bytes) {
  switch (kind) {
    case FileKind::kRegular:
      write_file(path, bytes);
      return bytes.size();
    case FileKind::kSymlink: {
      const fs::path target = path.string() + ".target";
      write_file(target, bytes);
      fs::create_symlink(target, path);
      return bytes.size();
    }
    case FileKind::kFifo:
      if (::mkfifo(path.c_str(), 0600) != 0) std::abort();
      return 0;
    case FileKind::kDirectory:
      fs::create_directory(path);
      return 0;
    default: {  // the bytes, then a hole up to the size the first 4 bytes ask (up to 4 GiB)
      uint32_t size = 0;
      if (bytes.size() >= 4) std::memcpy(&size, bytes.data(), 4);
      bytes = bytes.subspan(std::min<size_t>(4, bytes.size()));
      write_file(path, bytes);
      fs::resize_file(path, std::max<uint64_t>(size, bytes.size()));
      return std::max<uint64_t>(size, bytes.size());
    }
  }
}

/// What the normal world gets of a description: the blob parses, holds no secure-world node
/// and none of the secure world's key bytes, and describes the same regions.
void check_normal_world_view(const platform::Description& d) {
  auto nw = dt::DeviceTree::from_blob(d.normal_world_dtb, "normal world");
  FUZZ_INVARIANT(nw, "the normal world's blob does not parse: %s", nw.error().message.c_str());
  FUZZ_INVARIANT(nw->find_compatible(dt::kSecureWorldCompatible).empty(),
                 "the normal world's blob holds the secure-world node");
  if (d.secure.aes_key) {
    const auto key = d.secure.aes_key->bytes();
    FUZZ_INVARIANT(::memmem(d.normal_world_dtb.data(), d.normal_world_dtb.size(), key.data(),
                            key.size()) == nullptr,
                   "the normal world's blob holds the AES key");
  }
  auto layout = dt::parse_layout(*nw);
  FUZZ_INVARIANT(layout, "the normal world cannot read its layout: %s",
                 layout.error().message.c_str());
  FUZZ_INVARIANT(layout->regions.size() == d.layout.regions.size(),
                 "the normal world sees %zu regions, the secure world %zu", layout->regions.size(),
                 d.layout.regions.size());
  for (size_t i = 0; i < layout->regions.size(); ++i)
    FUZZ_INVARIANT(layout->regions[i].pa == d.layout.regions[i].pa &&
                       layout->regions[i].size == d.layout.regions[i].size,
                   "region %zu differs between the worlds", i);
}

/// The layout's promises: regions neither wrap nor overlap, every index is in range, and no
/// firewalled region is exported.
void check_description(const platform::Description& d) {
  const auto& regions = d.layout.regions;
  for (size_t i = 0; i < regions.size(); ++i) {
    FUZZ_INVARIANT(regions[i].size == 0 || regions[i].pa <= UINT64_MAX - (regions[i].size - 1),
                   "region %s wraps (pa 0x%llx size 0x%llx)", regions[i].name.c_str(),
                   static_cast<unsigned long long>(regions[i].pa),
                   static_cast<unsigned long long>(regions[i].size));
    for (size_t j = 0; j < i; ++j) {
      const auto& a = regions[i];
      const auto& b = regions[j];
      // Last bytes, not ends: a region may end at 2^64 (checked not to wrap above).
      const bool overlap =
          a.size && b.size && a.pa <= b.pa + (b.size - 1) && b.pa <= a.pa + (a.size - 1);
      FUZZ_INVARIANT(!overlap, "regions %s and %s overlap", a.name.c_str(), b.name.c_str());
    }
  }
  for (const dt::Processor& p : d.layout.processors)
    for (size_t r : p.regions)
      FUZZ_INVARIANT(r < regions.size(), "processor %s names region %zu of %zu", p.name.c_str(), r,
                     regions.size());
  for (const platform::SecureProcessor& p : d.secure.processors)
    for (size_t r : p.secure_regions) {
      FUZZ_INVARIANT(r < regions.size(), "secure region %zu of %zu", r, regions.size());
      FUZZ_INVARIANT(!platform::exported_to_normal_world(d, r), "firewalled region %s is exported",
                     regions[r].name.c_str());
    }
}

}  // namespace

void fuzz_device_tree_one(std::span<const uint8_t> data) {
  const fs::path dir = private_directory() / "dt";
  fs::remove_all(dir);
  fs::create_directory(dir);
  const auto kind =
      static_cast<FileKind>((data.empty() ? 0 : data[0]) % static_cast<uint8_t>(FileKind::kCount));
  const auto bytes = data.empty() ? data : data.subspan(1);
  const fs::path path = dir / "board.dtb";
  const uint64_t size = make_input_file(path, kind, bytes);

  auto description = platform::load_device_tree_file(path.string());
  if (kind == FileKind::kFifo || kind == FileKind::kDirectory || size > kMaxDeviceTreeFile) {
    FUZZ_INVARIANT(!description && description.error().code == TeeCode::kBadParameters,
                   "a %s of %llu bytes was not refused as an input",
                   kind == FileKind::kFifo        ? "FIFO"
                   : kind == FileKind::kDirectory ? "directory"
                                                  : "file",
                   static_cast<unsigned long long>(size));
    return;
  }
  if (!description) return;
  check_description(*description);
  check_normal_world_view(*description);
}

std::vector<std::vector<uint8_t>> fuzz_device_tree_seeds() {
  // Every preset as a regular file, and the first one as each other kind of file.
  std::vector<std::vector<uint8_t>> seeds;
  const auto with_kind = [](FileKind kind, std::span<const uint8_t> prefix,
                            std::span<const uint8_t> blob) {
    std::vector<uint8_t> s{static_cast<uint8_t>(kind)};
    for (uint8_t b : prefix) s.push_back(b);
    for (uint8_t b : blob) s.push_back(b);  // (not insert: GCC 12's -Warray-bounds)
    return s;
  };
  for (const dt::Preset& p : dt::presets())
    seeds.push_back(with_kind(FileKind::kRegular, {}, p.dtb));
  const auto first = dt::presets().front().dtb;
  const uint8_t over_limit[4] = {0x01, 0x00, 0x10, 0x00};  // 1 MiB + 1: one byte over
  seeds.push_back(with_kind(FileKind::kSymlink, {}, first));
  seeds.push_back(with_kind(FileKind::kFifo, {}, {}));
  seeds.push_back(with_kind(FileKind::kDirectory, {}, {}));
  seeds.push_back(with_kind(FileKind::kSparse, over_limit, first));
  return seeds;
}

void fuzz_client_limits_one(std::span<const uint8_t> data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  auto limits = machine::parse_client_limits(text);
  if (!limits) return;
  const std::string formatted = machine::format_client_limits(*limits);
  auto again = machine::parse_client_limits(formatted);
  FUZZ_INVARIANT(again, "\"%s\" does not parse back: %s", formatted.c_str(),
                 again.error().message.c_str());
  FUZZ_INVARIANT(machine::format_client_limits(*again) == formatted,
                 "\"%s\" changed on the way back", formatted.c_str());
}

std::vector<std::vector<uint8_t>> fuzz_client_limits_seeds() {
  std::vector<std::vector<uint8_t>> seeds;
  for (const std::string& s :
       {std::string("connections=64"), std::string("sessions-per-client=1,shms-per-client=2"),
        machine::format_client_limits({}), std::string("shm-bytes-total=0"),
        std::string("connections=18446744073709551616"), std::string("nonsense=1,,"),
        std::string("="), std::string("shms-total=-1")})
    seeds.emplace_back(s.begin(), s.end());
  return seeds;
}

namespace {

/// A control server on the fuzz_sysfs normal world, made once.
struct Control {
  std::string socket;
  std::unique_ptr<remoteproc::ControlServer> server;
  int shutdowns = 0;
};

Control& control() {
  static Control c = [] {
    Control made;
    made.socket = (private_directory() / "ctl.sock").string();
    return made;
  }();
  if (!c.server) {
    auto server = remoteproc::ControlServer::listen(fuzz_sysfs_tree(), c.socket,
                                                    [] { ++control().shutdowns; });
    if (!server) {
      std::fprintf(stderr, "fuzz_control: %s\n", server.error().message.c_str());
      std::abort();
    }
    c.server = std::move(*server);
  }
  return c;
}

/// Sends one raw request and returns the whole reply (the server closes after it).
std::string send_request(const Control& c, std::span<const uint8_t> request) {
  auto fd = connect_seqpacket(c.socket);
  FUZZ_INVARIANT(fd, "cannot connect: %s", fd.error().message.c_str());
  set_io_timeout(*fd, std::chrono::seconds(30));
  std::string reply;
  if (send_message(*fd, request, {})) {
    for (;;) {
      auto part = receive_message(*fd, 64 * 1024);
      if (!part || part->bytes.empty()) break;
      reply.append(part->bytes.begin(), part->bytes.end());
    }
  }
  ::close(*fd);
  return reply;
}

}  // namespace

/// The errno line every reply starts with.
void check_reply(std::span<const uint8_t> request, const std::string& reply) {
  if (request.empty()) {
    FUZZ_INVARIANT(reply.empty(), "an empty request got a reply");
    return;
  }
  const size_t newline = reply.find('\n');
  FUZZ_INVARIANT(newline != std::string::npos && newline > 0 && newline <= 4,
                 "the reply does not start with an errno line: \"%.40s\"", reply.c_str());
  for (size_t i = 0; i < newline; ++i)
    FUZZ_INVARIANT(reply[i] >= '0' && reply[i] <= '9', "errno \"%.8s\"", reply.c_str());
}

void fuzz_control_one(std::span<const uint8_t> data) {
  Control& c = control();
  // Every input goes to the request handler; one in 64 also crosses the socket (a client
  // thread per connection costs a millisecond), so the framing stays in the campaign.
  static uint64_t inputs = 0;
  const bool over_socket = inputs++ % 64 == 0;
  // Requests: a length byte, then that many bytes (fewer at the end of the input).
  size_t at = 0;
  for (int n = 0; at < data.size() && n < 4; ++n) {
    const size_t length = std::min<size_t>(data[at], data.size() - at - 1);
    const auto request = data.subspan(at + 1, length);
    at += 1 + length;
    if (over_socket) {
      check_reply(request, send_request(c, request));
    } else if (!request.empty()) {  // (the server never hands the handler an empty request)
      check_reply(request, remoteproc::handle_control_request(
                               fuzz_sysfs_tree(),
                               std::string_view(reinterpret_cast<const char*>(request.data()),
                                                request.size()),
                               [] { ++control().shutdowns; }));
    }
  }
  fuzz_sysfs_reset();
}

std::vector<std::vector<uint8_t>> fuzz_control_seeds() {
  const auto seed = [](std::initializer_list<std::string_view> requests) {
    std::vector<uint8_t> s;
    for (std::string_view r : requests) {
      s.push_back(static_cast<uint8_t>(r.size()));
      s.insert(s.end(), r.begin(), r.end());
    }
    return s;
  };
  return {seed({"read sys/class/remoteproc/remoteproc0/state"}),
          seed({"write sys/class/remoteproc/remoteproc0/state\nstart",
                "write sys/class/remoteproc/remoteproc0/state\nstop"}),
          seed({"list sys/class/remoteproc", "list sys/kernel/debug/remoteproc/remoteproc0"}),
          seed({"write sys/class/remoteproc/remoteproc0/firmware", "read dmesg"}),
          seed({"shutdown", "bogus", ""}),
          seed({"write sys/kernel/debug/remoteproc/remoteproc0/crash\n1"})};
}

}  // namespace rproctee::fuzz
