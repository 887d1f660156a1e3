// `rproctee coredump-open`: --help, usage errors (exit 2), a sealed dump from a machine opened
// with the debug key into a plain core that gdb-multiarch reads (exit 0), and the refusals
// (exit 1) with the reason: another key ("the dump was sealed for key SHA256:... not for
// KEY"), a changed dump (AES-GCM tag), a plain core, a public key given as --key. End to end
// through `rproctee up`: a crash written to debugfs `crash` publishes a devcdN/data file
// without the firewalled bytes, and coredump-open on that file gives them back.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "support/run_command.hpp"
#include "support/up_process.hpp"
#include "tee/coredump_support.hpp"

namespace rproctee::test {
namespace {

using namespace coredump;  // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A sealed dump (GET_COREDUMP of a machine whose processor is sealed to `debug`) in `path`.
void write_sealed_dump(const std::string& path, const std::string& debug) {
  MachineUnderTest m(TransportKind::kInProcess, policy_config("sealed", debug));
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  ASSERT_EQ(c.load(marker_image()), TEEC_SUCCESS) << c.last_error();
  ASSERT_EQ(c.start(), TEEC_SUCCESS);
  write_bytes(path, get_coredump(c));
}

std::string fingerprint(const std::string& key) {
  auto k = crypto::PublicKey::load_file(key_path(key, true));
  return k ? k->fingerprint() : "";
}

TEST(CliCoredumpOpen, HelpAndUsageErrors) {
  const auto help = run_rproctee({"coredump-open", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* word : {"Usage: rproctee coredump-open", "--key", "--out", "--key-pwd"})
    EXPECT_NE(help.out.find(word), std::string::npos) << word << "\n" << help.out;
  EXPECT_NE(run_rproctee({"--help"}).out.find("coredump-open"), std::string::npos);
  TempDir tmp;
  write_bytes(tmp / "x.core", Bytes(64, 0));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"coredump-open"},
           {"coredump-open", tmp / "x.core"},                                // no --key
           {"coredump-open", "--key", key_path("rsa2048", false)},           // no dump
           {"coredump-open", "--key", tmp / "missing.pem", tmp / "x.core"},  // no such key
           {"coredump-open", "--key", key_path("rsa2048", false), tmp / "missing.core"},
           {"coredump-open", "--bogus", "--key", key_path("rsa2048", false), tmp / "x.core"}}) {
    const auto r = run_rproctee(args);
    EXPECT_EQ(r.exit_code, 2) << fmt::format("{}", fmt::join(args, " ")) << "\n" << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

TEST(CliCoredumpOpen, OpensASealedDumpIntoACoreGdbReads) {
  TempDir tmp;
  ASSERT_NO_FATAL_FAILURE(write_sealed_dump(tmp / "sealed.core", "p256"));
  ASSERT_FALSE(contains(read_bytes(tmp / "sealed.core"), code_marker()));
  const auto r = run_rproctee({"coredump-open", "--key", key_path("p256", false), "--out",
                               tmp / "core.elf", tmp / "sealed.core"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("sealed region(s)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ECDH-P256-HKDF-SHA256, SHA256:" + fingerprint("p256")), std::string::npos)
      << r.err;
  const Core plain = Core::parse(read_bytes(tmp / "core.elf"));
  EXPECT_EQ(plain.at(kCodeDa + kMarkerOffset, 64), code_marker());
  EXPECT_EQ(fs::status(tmp / "core.elf").permissions() & fs::perms::others_read, fs::perms::none);

  // Without --out the core goes to stdout (not a terminal here), the same bytes.
  const auto to_stdout =
      run_rproctee({"coredump-open", "--key", key_path("p256", false), tmp / "sealed.core"});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(Bytes(to_stdout.out.begin(), to_stdout.out.end()), read_bytes(tmp / "core.elf"));

  // gdb-multiarch reads the secret from the opened core, and not from the sealed one.
  const auto gdb = [&](const std::string& core) {
    return run_command({"/usr/bin/gdb-multiarch", "-nx", "-batch", "-ex", "core-file " + core,
                        "-ex", fmt::format("x/s {:#x}", kCodeDa + kMarkerOffset)});
  };
  if (!fs::exists("/usr/bin/gdb-multiarch")) GTEST_SKIP() << "gdb-multiarch not installed";
  const auto opened = gdb(tmp / "core.elf");
  EXPECT_NE(opened.out.find("RPROCTEE-SECRET-CODE-"), std::string::npos)
      << opened.out << opened.err;
  const auto sealed = gdb(tmp / "sealed.core");
  EXPECT_EQ(sealed.out.find("RPROCTEE-SECRET-CODE-"), std::string::npos) << sealed.out;
  EXPECT_NE((sealed.out + sealed.err).find("Cannot access memory at address 0x80100100"),
            std::string::npos)
      << sealed.out << sealed.err;
}

TEST(CliCoredumpOpen, RefusalsExitOneWithTheReason) {
  TempDir tmp;
  ASSERT_NO_FATAL_FAILURE(write_sealed_dump(tmp / "sealed.core", "rsa2048"));
  const std::string wrong_key = key_path("rsa3072", false);
  auto r = run_rproctee(
      {"coredump-open", "--key", wrong_key, "--out", tmp / "out.elf", tmp / "sealed.core"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fmt::format("the dump was sealed for key SHA256:{} not for {}",
                                   fingerprint("rsa2048"), wrong_key)),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out.elf"));

  // One byte of the sealed regions changed: the tag fails, nothing is written.
  Bytes dump = read_bytes(tmp / "sealed.core");
  // The file ends with the ciphertext, the tag (16), the name table (36) and the section
  // headers (120): 200 bytes from the end is ciphertext.
  dump[dump.size() - 200] ^= 0x01;
  write_bytes(tmp / "changed.core", dump);
  r = run_rproctee({"coredump-open", "--key", key_path("rsa2048", false), "--out", tmp / "out.elf",
                    tmp / "changed.core"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the sealed regions fail authentication (AES-GCM tag)"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out.elf"));

  // A plain core: nothing to open.
  ASSERT_NO_FATAL_FAILURE([&] {
    MachineUnderTest m(TransportKind::kInProcess);
    RprocClient c(m.tee_name());
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
    ASSERT_EQ(c.load(marker_image()), TEEC_SUCCESS);
    write_bytes(tmp / "plain.core", get_coredump(c));
  }());
  r = run_rproctee({"coredump-open", "--key", key_path("rsa2048", false), tmp / "plain.core"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no sealed regions"), std::string::npos) << r.err;

  // A public key cannot open anything.
  r = run_rproctee({"coredump-open", "--key", key_path("rsa2048", true), tmp / "sealed.core"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("rsa2048.pub.pem"), std::string::npos) << r.err;
}

TEST(CliCoredumpOpen, UpDevcoredumpHoldsNoSecureByteUntilOpened) {
  if (auto why = fuse_unavailable()) GTEST_SKIP() << "FUSE mount not tested: " << *why;
  TempDir tmp;
  const std::string text = policy_dts("sealed", key_path("rsa2048", true));
  write_bytes(tmp / "board.dts", Bytes(text.begin(), text.end()));
  fs::create_directories(tmp / "fw");
  write_bytes(tmp / "fw/fw.sign", marker_image());
  fs::create_directories(tmp / "up");
  UpProcess up(UpOptions{
      .dir = tmp / "up", .firmware_path = {tmp / "fw"}, .extra = {"--dtb", tmp / "board.dts"}});
  std::string why;
  if (!up.start(why)) {
    if (why.find("cannot mount") != std::string::npos) GTEST_SKIP() << why;
    FAIL() << why;
  }
  const std::string mnt = up.mount();
  const auto echo = [&](const std::string& value, const std::string& file) {
    return run_command({"/bin/bash", "-c", "echo " + value + " > \"$1\"", "bash", mnt + file});
  };
  const std::string cls = "/sys/class/remoteproc/remoteproc0/";
  ASSERT_EQ(slurp(mnt + cls + "coredump"), "disabled\n");  // the kernel default
  ASSERT_EQ(echo("enabled", cls + "coredump").exit_code, 0);
  ASSERT_EQ(echo("fw.sign", cls + "firmware").exit_code, 0);
  ASSERT_EQ(echo("start", cls + "state").exit_code, 0) << up.stderr_text();
  ASSERT_EQ(echo("1", "/sys/kernel/debug/remoteproc/remoteproc0/crash").exit_code, 0);
  std::string data_path;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (data_path.empty()) {
    for (const auto& e : fs::directory_iterator(mnt + "/sys/class/devcoredump"))
      data_path = e.path().string() + "/data";
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << slurp(mnt + "/dmesg");
    std::this_thread::sleep_for(10ms);
  }
  const std::string data = slurp(data_path);
  const Bytes dump(data.begin(), data.end());
  ASSERT_GT(dump.size(), 52u);
  EXPECT_FALSE(contains(dump, code_marker()));
  EXPECT_FALSE(contains(dump, data_marker()));
  write_bytes(tmp / "devcd.core", dump);
  const auto r = run_rproctee({"coredump-open", "--key", key_path("rsa2048", false), "--out",
                               tmp / "core.elf", tmp / "devcd.core"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Core plain = Core::parse(read_bytes(tmp / "core.elf"));
  EXPECT_EQ(plain.at(kCodeDa + kMarkerOffset, 64), code_marker());
  EXPECT_EQ(plain.at(kDataDa + kMarkerOffset, 64), data_marker());
}

}  // namespace
}  // namespace rproctee::test
