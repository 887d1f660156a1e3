// The normal world never holds a secret (design.md, issue 11): `rproctee up` passes --trust,
// --enc-key and --dtb on to its machine and learns the platform from the machine's normal-world
// device tree. Neither an AES key given with --enc-key nor one in a device tree's secure-world
// node appears anywhere in up's memory, while the machine child holds it (so the scan is real).
#include <gtest/gtest.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "dt/device_tree.hpp"
#include "dt/layout.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"
#include "support/up_process.hpp"

namespace rproctee::test {
namespace {

/// Whether `secret` is anywhere in the readable memory of `pid` (/proc/PID/maps + /proc/PID/mem,
/// what gcore would dump), read in chunks that overlap by the secret's length. `scanned` gets
/// the number of bytes read. The caller is the process's parent or root: ptrace access is
/// granted.
constexpr uint64_t kLargestMapping = uint64_t{1} << 31;

bool memory_holds(pid_t pid, const std::vector<uint8_t>& secret, uint64_t& scanned) {
  scanned = 0;
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  const int mem = ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY);
  if (mem < 0) return false;
  constexpr size_t kChunk = 1 << 20;
  std::vector<uint8_t> buf(kChunk + secret.size());
  bool found = false;
  for (std::string line; !found && std::getline(maps, line);) {
    std::istringstream f(line);
    std::string range, perms;
    f >> range >> perms;
    if (perms.empty() || perms[0] != 'r' || line.find("[vvar]") != std::string::npos ||
        line.find("[vsyscall]") != std::string::npos)
      continue;
    const uint64_t begin = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    const uint64_t end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    // ASan's shadow is terabytes of never-touched zero pages: reading it takes hours. Nothing
    // of ours is mapped in one piece that large.
    if (end - begin > kLargestMapping) continue;
    for (uint64_t at = begin; !found && at < end; at += kChunk) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(end - at, buf.size()));
      const ssize_t n = ::pread(mem, buf.data(), want, static_cast<off_t>(at));
      if (n <= 0) break;
      scanned += static_cast<uint64_t>(std::min<ssize_t>(n, kChunk));
      found = std::search(buf.begin(), buf.begin() + n, secret.begin(), secret.end()) !=
              buf.begin() + n;
    }
  }
  ::close(mem);
  return found;
}

bool holds(const std::vector<uint8_t>& memory, const std::vector<uint8_t>& secret) {
  return std::search(memory.begin(), memory.end(), secret.begin(), secret.end()) != memory.end();
}

std::vector<uint8_t> random_key() {
  std::vector<uint8_t> key(32);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) throw std::runtime_error("rand");
  return key;
}

/// Starts `up` with `extra` arguments, then checks where `secret` is: nowhere in up, and in
/// the machine child.
void expect_only_the_machine_holds(const TempDir& dir, const std::vector<std::string>& extra,
                                   const std::vector<uint8_t>& secret) {
  UpProcess up(UpOptions{dir.path(), /*mount=*/false, {}, "", extra});
  std::string why;
  ASSERT_TRUE(up.start(why)) << why;
  const auto children = child_processes(up.pid());
  ASSERT_EQ(children.size(), 1u) << "up has one child, its machine";
  uint64_t scanned = 0;
  EXPECT_FALSE(memory_holds(up.pid(), secret, scanned)) << "the normal world holds the AES key";
  EXPECT_GT(scanned, uint64_t{1} << 20) << "the scan read up's memory";
  EXPECT_TRUE(memory_holds(children[0], secret, scanned))
      << "the machine should hold it (is the scan broken?)";
}

TEST(NormalWorldSecrets, AnAesKeyGivenWithEncKeyNeverReachesUp) {
  TempDir dir;
  const auto key = random_key();
  write_bytes(dir.path() / "aes.bin", key);
  expect_only_the_machine_holds(dir, {"--enc-key", dir / "aes.bin"}, key);
}

TEST(NormalWorldSecrets, TheSecureNodeOfADeviceTreeNeverReachesUp) {
  TempDir dir;
  const auto key = random_key();
  std::string hex;
  for (uint8_t b : key) hex += fmt::format("{:02x} ", b);
  // The preset's source with an AES key in its secure-world node.
  const std::string dts = fmt::format(
      "/dts-v1/;\n#include \"stm32mp25-m33.dtsi\"\n/ {{\n\tmodel = \"secret board\";\n"
      "\tsecure-world {{\n\t\tfirmware-encryption-key = [{}];\n\t}};\n}};\n",
      hex);
  write_bytes(dir.path() / "board.dts", std::vector<uint8_t>(dts.begin(), dts.end()));
  const std::string source = RPROCTEE_SOURCE_DIR;
  auto pre = run_command({"/usr/bin/cpp", "-nostdinc", "-undef", "-x", "assembler-with-cpp", "-I",
                          source + "/platforms", dir / "board.dts", "-o", dir / "board.pre"});
  ASSERT_EQ(pre.exit_code, 0) << pre.err;
  auto dtc = run_command({"/usr/bin/dtc", "-q", "-I", "dts", "-O", "dtb", "-i", source, "-i",
                          source + "/platforms", "-o", dir / "board.dtb", dir / "board.pre"});
  ASSERT_EQ(dtc.exit_code, 0) << dtc.err;
  expect_only_the_machine_holds(dir, {"--dtb", dir / "board.dtb"}, key);
}

/// How many times `secret` appears in the readable memory of `pid`, and whether every place is
/// in a mapping excluded from core dumps (VmFlags "dd").
struct Occurrences {
  int count = 0;
  bool all_undumped = true;
};
Occurrences count_in_memory(pid_t pid, const std::vector<uint8_t>& secret) {
  Occurrences o;
  std::ifstream smaps("/proc/" + std::to_string(pid) + "/smaps");
  const int mem = ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY);
  if (mem < 0) return o;
  std::string line;
  while (std::getline(smaps, line)) {
    std::istringstream f(line);
    std::string range, perms;
    f >> range >> perms;
    if (range.find('-') == std::string::npos || perms.size() != 4) continue;
    const uint64_t begin = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    const uint64_t end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    std::string flags;
    while (flags.empty() && std::getline(smaps, line))
      if (line.rfind("VmFlags:", 0) == 0) flags = line;
    if (perms[0] != 'r' || line.find("[vvar]") != std::string::npos ||
        end - begin > kLargestMapping)
      continue;
    std::vector<uint8_t> bytes(static_cast<size_t>(end - begin));
    const ssize_t n = ::pread(mem, bytes.data(), bytes.size(), static_cast<off_t>(begin));
    if (n <= 0) continue;
    for (auto it = bytes.begin(); (it = std::search(it, bytes.begin() + n, secret.begin(),
                                                    secret.end())) != bytes.begin() + n;
         ++it) {
      ++o.count;
      o.all_undumped &= flags.find(" dd") != std::string::npos;
    }
  }
  ::close(mem);
  return o;
}

TEST(MachineSecrets, TheAesKeyIsHeldOnceOnAPageLeftOutOfCoreDumps) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "the machine is not dumpable: only root may read its memory";
  TempDir dir;
  const auto key = random_key();
  write_bytes(dir.path() / "aes.bin", key);
  UpProcess up(UpOptions{dir.path(), /*mount=*/false, {}, "", {"--enc-key", dir / "aes.bin"}});
  std::string why;
  ASSERT_TRUE(up.start(why)) << why;
  const auto children = child_processes(up.pid());
  ASSERT_EQ(children.size(), 1u);
  const Occurrences o = count_in_memory(children[0], key);
  EXPECT_EQ(o.count, 1) << "copies of the AES key in the machine's memory";
  EXPECT_TRUE(o.all_undumped) << "the key sits in memory a core dump would hold";
}

/// Whether a process running as `uid` may open /proc/`pid`/mem (a forked child drops to uid).
bool user_can_read_memory(uid_t uid, pid_t pid) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(uid) != 0 || ::setuid(uid) != 0) ::_exit(2);
    const int fd = ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY);
    ::_exit(fd >= 0 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(MachineSecrets, TheMachineIsNotDumpableUnlessDebugging) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the machine as another user";
  constexpr uid_t kNobody = 65534;
  for (const bool debug : {false, true}) {
    SCOPED_TRACE(debug ? "--debug" : "default");
    TempDir dir;
    ASSERT_EQ(::chown(dir.path().c_str(), kNobody, kNobody), 0);
    const std::string socket = dir / "m.sock";
    const pid_t machine = ::fork();
    if (machine == 0) {
      if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(2);
      const std::string bin = rproctee_binary();
      if (debug)
        ::execl(bin.c_str(), bin.c_str(), "machine", "--socket", socket.c_str(), "--debug",
                static_cast<char*>(nullptr));
      else
        ::execl(bin.c_str(), bin.c_str(), "machine", "--socket", socket.c_str(),
                static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 300 && !std::filesystem::exists(socket); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(std::filesystem::exists(socket)) << "the machine did not start";
    // Same user, not the parent: a dumpable process lets it in (unless Yama restricts ptrace to
    // ancestors), a non-dumpable one never does.
    std::ifstream yama("/proc/sys/kernel/yama/ptrace_scope");
    int scope = 0;
    yama >> scope;
    EXPECT_EQ(user_can_read_memory(kNobody, machine), debug && scope == 0);
    ::kill(machine, SIGTERM);
    ::waitpid(machine, nullptr, 0);
  }
}

TEST(NormalWorldSecrets, TheNormalWorldTreeHasNoSecureWorldNode) {
  // What the machine hands over (kGetDeviceTree): the same hardware, no secure node, no key.
  const std::string source = RPROCTEE_SOURCE_DIR;
  TempDir dir;
  auto pre = run_command({"/usr/bin/cpp", "-nostdinc", "-undef", "-x", "assembler-with-cpp", "-I",
                          source + "/platforms", source + "/platforms/stm32mp25-m33.dts", "-o",
                          dir / "p.pre"});
  ASSERT_EQ(pre.exit_code, 0) << pre.err;
  auto dtc = run_command({"/usr/bin/dtc", "-q", "-I", "dts", "-O", "dtb", "-i", source, "-i",
                          source + "/platforms", "-o", dir / "p.dtb", dir / "p.pre"});
  ASSERT_EQ(dtc.exit_code, 0) << dtc.err;
  auto tree = dt::DeviceTree::from_blob(read_bytes(dir / "p.dtb"), "p.dtb");
  ASSERT_TRUE(tree) << tree.error().message;
  ASSERT_FALSE(tree->find_compatible(dt::kSecureWorldCompatible).empty());
  auto blob = dt::normal_world_blob(*tree);
  ASSERT_TRUE(blob) << blob.error().message;
  auto normal = dt::DeviceTree::from_blob(*blob, "normal world");
  ASSERT_TRUE(normal) << normal.error().message;
  EXPECT_TRUE(normal->find_compatible(dt::kSecureWorldCompatible).empty());
  const std::string pem = "-----BEGIN PUBLIC KEY-----";
  EXPECT_FALSE(holds(*blob, std::vector<uint8_t>(pem.begin(), pem.end())))
      << "the trusted key went to the normal world";
  auto full = dt::parse_layout(*tree);
  auto stripped = dt::parse_layout(*normal);
  ASSERT_TRUE(full && stripped);
  EXPECT_EQ(stripped->regions.size(), full->regions.size());
  EXPECT_EQ(stripped->processors.size(), full->processors.size());
}

}  // namespace
}  // namespace rproctee::test
