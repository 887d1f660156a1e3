// `rproctee up` against hostile names and a killed predecessor (issue 15, items 6 and 9):
// names echo into the log escaped (no terminal escape sequence reaches stderr or dmesg), a name
// stops at a NUL as the kernel's kstrndup does, a write over a page is E2BIG, and a mount left
// by an `up` killed with SIGKILL is recognised and cleaned by the next `up`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "remoteproc/control_server.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"
#include "support/up_process.hpp"

namespace rproctee::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(UpHardening, NamesAreEscapedInTheLogAndStopAtNul) {
  TempDir dir;
  UpProcess up(UpOptions{dir.path(), /*mount=*/false});
  std::string why;
  ASSERT_TRUE(up.start(why)) << why;
  const std::string socket = dir / "ctl.sock";
  const std::string firmware = "sys/class/remoteproc/remoteproc0/firmware";
  // An escape sequence that would turn a terminal red, then a boot that logs the name.
  auto set = remoteproc::control_request(socket, "write " + firmware + "\n\x1b[31mred\x07.sign");
  ASSERT_TRUE(set && set->first == 0);
  auto boot =
      remoteproc::control_request(socket, "write sys/class/remoteproc/remoteproc0/state\nstart");
  ASSERT_TRUE(boot);
  EXPECT_EQ(boot->first, ENOENT);
  auto dmesg = remoteproc::control_request(socket, "read dmesg");
  ASSERT_TRUE(dmesg);
  EXPECT_THAT(dmesg->second, HasSubstr("\\x1b[31mred\\x07.sign"));
  EXPECT_THAT(dmesg->second, Not(HasSubstr("\x1b")));
  EXPECT_THAT(slurp(dir / "up.err"), Not(HasSubstr("\x1b[31m"))) << "raw escape on stderr";
  // A NUL ends the name (kstrndup), and what is stored is what is logged.
  const std::string with_nul = "write " + firmware + "\nabc" + std::string(1, '\0') + "def";
  auto nul = remoteproc::control_request(socket, with_nul);
  ASSERT_TRUE(nul && nul->first == 0);
  auto name = remoteproc::control_request(socket, "read " + firmware);
  ASSERT_TRUE(name);
  EXPECT_EQ(name->second, "abc\n");
  // More than a page in one write: E2BIG, as sysfs answers.
  auto big =
      remoteproc::control_request(socket, "write " + firmware + "\n" + std::string(4097, 'n'));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->first, E2BIG);
}

TEST(UpHardening, AMountLeftByAKilledUpIsCleanedByTheNext) {
  if (auto why = fuse_unavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  const std::string mount = dir / "mnt";
  UpProcess killed(UpOptions{dir.path(), /*mount=*/true});
  std::string why;
  ASSERT_TRUE(killed.start(why)) << why;
  killed.signal(SIGKILL);
  ASSERT_TRUE(killed.wait(std::chrono::seconds(20)));
  struct stat st {};
  ASSERT_NE(::stat(mount.c_str(), &st), 0);
  ASSERT_EQ(errno, ENOTCONN) << "a killed up leaves a stale mount";
  // The next `up` on the same mount point says what it found and mounts again.
  UpProcess next(UpOptions{dir.path(), /*mount=*/true});
  ASSERT_TRUE(next.start(why)) << why << "\n" << slurp(dir / "up.err");
  EXPECT_THAT(slurp(dir / "up.err"),
              HasSubstr(mount + " is a stale FUSE mount (its rproctee up was killed): "
                                "unmounting it"));
  EXPECT_TRUE(std::filesystem::exists(mount + "/sys/class/remoteproc/remoteproc0/state"));
}

}  // namespace
}  // namespace rproctee::test
