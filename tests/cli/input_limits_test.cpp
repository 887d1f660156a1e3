// Inputs the commands read (issue 15, item 5): keys, AES keys and device trees given on the
// command line are stat'ed first, refused when they are not regular files or over their limit —
// `--trust /dev/zero` used to end in std::bad_alloc and a FIFO used to hang — and a firmware
// file `up` is asked to boot is refused from its size, before a byte of it is read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/run_command.hpp"
#include "support/test_data.hpp"
#include "support/up_process.hpp"

namespace rproctee::test {
namespace {

using ::testing::HasSubstr;

/// `rproctee machine ARGS`, killed after 30 s (exit 124) if it hangs.
CommandResult machine_with(const TempDir& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/timeout", "30",       rproctee_binary(),
                                   "machine",          "--socket", dir / "m.sock"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

TEST(InputLimits, SpecialFilesOnTheCommandLineAreRefusedAtOnce) {
  TempDir dir;
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  struct Case {
    std::string option, path, what, kind;
  };
  const Case cases[] = {
      {"--trust", "/dev/zero", "key file", "a character device"},
      {"--trust", fifo, "key file", "a FIFO"},
      {"--enc-key", "/dev/zero", "AES key", "a character device"},
      {"--enc-key", fifo, "AES key", "a FIFO"},
      {"--dtb", fifo, "device tree", "a FIFO"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.option + " " + c.path);
    const auto r = machine_with(dir, {c.option, c.path});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err,
                HasSubstr(fmt::format("{} {} is not a regular file ({})", c.what, c.path, c.kind)));
  }
}

TEST(InputLimits, OversizedKeysAndTreesAreRefusedFromTheirSize) {
  TempDir dir;
  const std::string big = dir / "big";
  write_bytes(big, {});
  ASSERT_EQ(::truncate(big.c_str(), 4ll << 30), 0);  // sparse: nothing to read, 4 GiB announced
  for (const auto& [option, what, limit] :
       {std::tuple{"--trust", "key file", 65536}, std::tuple{"--enc-key", "AES key", 64},
        std::tuple{"--dtb", "device tree", 1 << 20}}) {
    SCOPED_TRACE(option);
    const auto r = machine_with(dir, {option, big});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(fmt::format("{} {} is 4294967296 bytes, over the {}-byte limit",
                                             what, big, limit)));
  }
}

TEST(InputLimits, AFirmwareFileOverItsProcessorsLimitIsRefusedBeforeReading) {
  TempDir dir;
  const std::string firmware = dir / "huge.sign";
  write_bytes(firmware, {});
  ASSERT_EQ(::truncate(firmware.c_str(), 4ll << 30), 0);
  UpProcess up(UpOptions{dir.path(), /*mount=*/false, {dir.path().string()}});
  std::string why;
  ASSERT_TRUE(up.start(why)) << why;
  const std::string socket = dir / "ctl.sock";
  auto set = run_rproctee({"ctl", "--socket", socket, "remoteproc0", "firmware", "huge.sign"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto start = run_rproctee({"ctl", "--socket", socket, "remoteproc0", "start"});
  EXPECT_EQ(start.exit_code, 1);
  EXPECT_THAT(start.err, HasSubstr("File too large"));  // EFBIG, as the kernel's loader
  auto dmesg = run_rproctee({"ctl", "--socket", socket, "dmesg"});
  EXPECT_THAT(dmesg.out,
              HasSubstr(fmt::format("firmware huge.sign in {} is 4294967296 bytes, over the",
                                    dir.path().string())));
}

}  // namespace
}  // namespace rproctee::test
