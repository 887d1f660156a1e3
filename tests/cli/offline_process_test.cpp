// Issue 12, "offline commands at the limit": the processes of the offline commands never load
// Unicorn, FUSE or libfdt (loading them dominated a small `rproctee sign`), while the machine
// commands still run, through rproctee-full. The dynamic loader itself reports what it maps
// (LD_DEBUG=libs on stderr), so a library loaded late (dlopen) would be caught too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kSource = RPROCTEE_SOURCE_DIR;

/// `rproctee ARGS` with the loader's library trace on stderr.
CommandResult traced(std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/env", "LD_DEBUG=libs", rproctee_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

void expect_no_machine_libraries(const CommandResult& r, const std::string& what) {
  ASSERT_THAT(r.err, HasSubstr("libcrypto")) << what << ": no loader trace";
  for (const char* library : {"libunicorn", "libfuse", "libfdt"})
    EXPECT_THAT(r.err, Not(HasSubstr(library))) << what << " loads " << library;
}

TEST(OfflineProcess, SignVerifyAndInspectMapNoMachineLibrary) {
  TempDir dir;
  const std::string elf = kSource + "/tests/data/vectors/elf/rsc.elf";
  const std::string out = dir / "rsc.sign";
  auto sign =
      traced({"sign", "--in", elf, "--key", kSource + "/keys/rproctee-dev.pem", "--out", out});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  expect_no_machine_libraries(sign, "sign");
  auto verify = traced({"verify", out, "--key", kSource + "/keys/rproctee-dev.pub.pem"});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  expect_no_machine_libraries(verify, "verify");
  auto inspect = traced({"inspect", out});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  expect_no_machine_libraries(inspect, "inspect");
}

TEST(OfflineProcess, AFileKeySignLoadsNeitherP11KitNorLibfmtNorLibstdcxx) {
  // p11-kit (and its libffi) is dlopen'ed for pkcs11: keys only, libfmt's compiled part is
  // built in, libstdc++ is linked statically (not in sanitized builds, whose runtime loads it).
  TempDir dir;
  auto sign = traced({"sign", "--in", kSource + "/tests/data/vectors/elf/rsc.elf", "--key",
                      kSource + "/keys/rproctee-dev.pem", "--out", dir / "rsc.sign"});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  ASSERT_THAT(sign.err, HasSubstr("libcrypto")) << "no loader trace";
  for (const char* library : {"libp11-kit", "libffi", "libfmt"})
    EXPECT_THAT(sign.err, Not(HasSubstr(library))) << "sign loads " << library;
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_THAT(sign.err, Not(HasSubstr("libstdc++"))) << "sign loads libstdc++.so";
#endif
}

TEST(OfflineProcess, EveryOfflineCommandMapsNoMachineLibrary) {
  for (const char* command : {"digest", "stitch", "keygen", "pubkey"}) {
    auto r = traced({command, "--help"});
    ASSERT_EQ(r.exit_code, 0) << command << ": " << r.err;
    expect_no_machine_libraries(r, command);
  }
  auto version = traced({"--version"});
  ASSERT_EQ(version.exit_code, 0);
  expect_no_machine_libraries(version, "--version");
}

TEST(OfflineProcess, MachineCommandsRunInTheFullExecutable) {
  // The same trace sees the machine's libraries once `rproctee machine` has exec'ed
  // rproctee-full: the check above would notice them.
  auto r = traced({"machine", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Usage: rproctee machine"));
  EXPECT_THAT(r.err, HasSubstr("libunicorn"));
  EXPECT_THAT(r.err, HasSubstr("libfdt"));
}

}  // namespace
}  // namespace rproctee::test
