// Inputs mapped instead of read (issue 12): the same checks and messages as read_regular_file
// before anything is mapped, the file's bytes without a copy, and a file truncated under the
// mapping ends the process with a message, not a crash.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "common/file_input.hpp"
#include "common/mapped_file.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

TEST(MappedFile, ARegularFileIsMappedWhole) {
  TempDir dir;
  write_bytes(dir.path() / "f", {1, 2, 3});
  auto mapped = map_regular_file(dir / "f", 3);
  ASSERT_TRUE(mapped) << mapped.error().message;
  const std::span<const uint8_t> bytes = *mapped;
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.end()), (std::vector<uint8_t>{1, 2, 3}));
  write_bytes(dir.path() / "empty", {});
  auto empty = map_regular_file(dir / "empty", 3);
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(empty->size(), 0u);
}

TEST(MappedFile, RefusesWhatReadingRefusesWithTheSameMessages) {
  TempDir dir;
  const std::string huge = dir / "huge";
  ASSERT_EQ(::truncate((write_bytes(huge, {}), huge).c_str(), 4ll << 30), 0);
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {huge, fifo, std::string("/dev/zero"), std::string("/nope/x")}) {
    auto read = read_regular_file(path, kMaxKeyFile, "firmware");
    auto mapped = map_regular_file(path, kMaxKeyFile, "firmware");
    ASSERT_FALSE(read) << path;
    ASSERT_FALSE(mapped) << path;
    EXPECT_EQ(mapped.error().message, read.error().message);
    EXPECT_EQ(mapped.error().code, read.error().code);
  }
}

TEST(MappedFileDeathTest, AFileTruncatedUnderTheMappingEndsWithAMessage) {
  // Our handler never replaces another one: under ASan, the sanitizer's reports the bus error.
  struct sigaction installed {};
  ASSERT_EQ(::sigaction(SIGBUS, nullptr, &installed), 0);
  if (installed.sa_handler != SIG_DFL) GTEST_SKIP() << "SIGBUS is already handled (a sanitizer)";
  TempDir dir;
  const std::string path = dir / "fw.elf";
  write_bytes(path, std::vector<uint8_t>(1 << 20, 0x5a));
  EXPECT_EXIT(
      {
        auto mapped = map_regular_file(path, kMaxImageFile);
        if (!mapped || ::truncate(path.c_str(), 0) != 0) ::_exit(3);
        volatile uint8_t last = mapped->data()[mapped->size() - 1];
        (void)last;
        ::_exit(0);
      },
      ::testing::ExitedWithCode(1), "an input file shrank while being read");
}

}  // namespace
}  // namespace rproctee::test
