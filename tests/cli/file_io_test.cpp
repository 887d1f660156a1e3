// The atomic output file: ranges written in any order (one on a background thread, as `sign`
// writes the images while it hashes them), the old file intact until the rename, nothing left
// behind on failure.
#include "cli/file_io.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>

#include "support/test_data.hpp"

namespace rproctee::cli {
namespace {

using test::bytes_of;
using test::TempDir;

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

size_t entries(const TempDir& dir) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir.path()),
                                           std::filesystem::directory_iterator()));
}

TEST(AtomicFileWriter, ABackgroundRangeAndAForegroundRangeMakeOneFileOnCommit) {
  TempDir dir;
  const std::string path = dir / "out.bin";
  std::ofstream(path) << "old contents";
  std::vector<uint8_t> bulk(1 << 20);
  std::iota(bulk.begin(), bulk.end(), uint8_t{0});
  auto file = AtomicFileWriter::create(path, 0640);
  ASSERT_TRUE(file) << file.error().message;
  (*file)->write_in_background(6, {bytes_of("-body-"), bulk, bytes_of("tail")});
  const std::span<const uint8_t> head[] = {bytes_of("header")};
  ASSERT_TRUE((*file)->write(0, head));
  EXPECT_EQ(contents(path), "old contents") << "replaced before commit";
  ASSERT_TRUE((*file)->commit());
  const std::string got = contents(path);
  ASSERT_EQ(got.size(), 6 + 6 + bulk.size() + 4);
  EXPECT_EQ(got.substr(0, 12), "header-body-");
  EXPECT_EQ(std::memcmp(got.data() + 12, bulk.data(), bulk.size()), 0);
  EXPECT_EQ(got.substr(got.size() - 4), "tail");
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0640));
  EXPECT_EQ(entries(dir), 1U) << "a temporary file was left";
}

TEST(AtomicFileWriter, DestroyedUncommittedItRemovesItsTemporaryAndKeepsTheOldFile) {
  TempDir dir;
  const std::string path = dir / "out.bin";
  std::ofstream(path) << "old contents";
  {
    auto file = AtomicFileWriter::create(path, 0644);
    ASSERT_TRUE(file);
    std::vector<uint8_t> bulk(256 << 10, 0xA5);
    (*file)->write_in_background(0, {bulk});  // joined by the destructor, before `bulk` dies
    EXPECT_EQ(entries(dir), 2U);
    file->reset();
  }
  EXPECT_EQ(contents(path), "old contents");
  EXPECT_EQ(entries(dir), 1U);
}

TEST(AtomicFileWriter, AFailedBackgroundWriteFailsTheCommitAndLeavesNothing) {
  // RLIMIT_FSIZE makes the background pwritev fail (EFBIG) in a child process.
  TempDir dir;
  const std::string path = dir / "out.bin";
  std::ofstream(path) << "old contents";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{64 << 10, 64 << 10};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::vector<uint8_t> bulk(1 << 20, 1);
    auto file = AtomicFileWriter::create(path, 0644);
    if (!file) ::_exit(10);
    (*file)->write_in_background(0, {bulk});
    const Status committed = (*file)->commit();
    file->reset();  // removes the temporary file (_exit runs no destructor)
    if (committed) ::_exit(11);
    if (committed.error().message.find("cannot write " + path) == std::string::npos) ::_exit(12);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: no file, 11: committed, 12: wrong message";
  EXPECT_EQ(contents(path), "old contents");
  EXPECT_EQ(entries(dir), 1U) << "the temporary file was left";
}

TEST(AtomicFileWriter, AMappedInputTruncatedBeforeItIsCopiedIsNamedAsSuch) {
  // `sign` hands the kernel the mapped input ELF; another process truncating it leaves the
  // mapping without pages: the write fails with a message saying so, nothing is replaced.
  TempDir dir;
  const std::string input = dir / "in.elf";
  const std::string path = dir / "out.bin";
  std::ofstream(input) << std::string(3 * 4096, 'x');
  std::ofstream(path) << "old contents";
  const int fd = ::open(input.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  void* mapped = ::mmap(nullptr, 3 * 4096, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  ASSERT_NE(mapped, MAP_FAILED);
  std::filesystem::resize_file(input, 0);
  {
    auto file = AtomicFileWriter::create(path, 0644);
    ASSERT_TRUE(file);
    const std::span<const uint8_t> parts[] = {{static_cast<const uint8_t*>(mapped), 3 * 4096}};
    const Status written = (*file)->write(0, parts);
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().message,
              "cannot write " + path + ": an input file shrank while being read");
  }
  ::munmap(mapped, 3 * 4096);
  EXPECT_EQ(contents(path), "old contents");
  EXPECT_EQ(entries(dir), 2U) << "the temporary file was left";  // in.elf, out.bin
}

TEST(WriteFileAtomic, ReplacesTheFileWithTheConcatenatedParts) {
  TempDir dir;
  const std::string path = dir / "out.bin";
  std::ofstream(path) << "a much longer old file than the new one";
  const std::span<const uint8_t> parts[] = {bytes_of("ab"), {}, bytes_of("cd")};
  ASSERT_TRUE(write_file_atomic(path, parts));
  EXPECT_EQ(contents(path), "abcd");
  EXPECT_EQ(entries(dir), 1U);
}

TEST(WriteFileAtomic, ThePermissionsAreTheModeLessTheUmask) {
  TempDir dir;
  const std::string shared = dir / "image.sign", key = dir / "key.pem";
  const mode_t saved = ::umask(077);
  const Status written_shared = write_file_atomic(shared, bytes_of("signed"), 0644);
  const Status written_key = write_file_atomic(key, bytes_of("secret"), 0600);
  ::umask(saved);
  ASSERT_TRUE(written_shared && written_key);
  EXPECT_EQ(std::filesystem::status(shared).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0600));
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0600));
  ::umask(022);
  const Status rewritten = write_file_atomic(shared, bytes_of("signed"), 0644);
  ::umask(saved);
  ASSERT_TRUE(rewritten);
  EXPECT_EQ(std::filesystem::status(shared).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0644));
}

}  // namespace
}  // namespace rproctee::cli
