// The normal world never holds a secret (design.md, issue 11): `rproctee up` passes --trust,
// --enc-key and --dtb on to its machine and learns the platform from the machine's normal-world
// device tree. Neither an AES key given with --enc-key nor one in a device tree's secure-world
// node appears anywhere in up's memory, while the machine child holds it (so the scan is real).
#include <gtest/gtest.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

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
  auto dtc = run_command({"/usr/bin/dtc", "-q", "-I", "dts", "-O", "dtb", "-i", source, "-o",
                          dir / "board.dtb", dir / "board.pre"});
  ASSERT_EQ(dtc.exit_code, 0) << dtc.err;
  expect_only_the_machine_holds(dir, {"--dtb", dir / "board.dtb"}, key);
}

TEST(NormalWorldSecrets, TheNormalWorldTreeHasNoSecureWorldNode) {
  // What the machine hands over (kGetDeviceTree): the same hardware, no secure node, no key.
  const std::string source = RPROCTEE_SOURCE_DIR;
  TempDir dir;
  auto pre = run_command({"/usr/bin/cpp", "-nostdinc", "-undef", "-x", "assembler-with-cpp", "-I",
                          source + "/platforms", source + "/platforms/stm32mp25-m33.dts", "-o",
                          dir / "p.pre"});
  ASSERT_EQ(pre.exit_code, 0) << pre.err;
  auto dtc = run_command({"/usr/bin/dtc", "-q", "-I", "dts", "-O", "dtb", "-i", source, "-o",
                          dir / "p.dtb", dir / "p.pre"});
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
