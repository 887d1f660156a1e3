// Inputs read whole (issue 15, item 5): stat first, regular files only, a size limit, exactly
// the announced size — a FIFO never hangs, /dev/zero never fills memory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>

#include "common/file_input.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

TEST(FileInput, ARegularFileIsReadWhole) {
  TempDir dir;
  write_bytes(dir.path() / "f", {1, 2, 3});
  auto data = read_regular_file(dir / "f", 3);
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_EQ(*data, (std::vector<uint8_t>{1, 2, 3}));
}

TEST(FileInput, AFileOverTheLimitIsRefusedBeforeReading) {
  TempDir dir;
  // A sparse file of 4 GiB: refused from its size alone (reading it would take seconds).
  const std::string path = dir / "huge";
  ASSERT_EQ(::truncate((write_bytes(path, {}), path).c_str(), 4ll << 30), 0);
  auto data = read_regular_file(path, kMaxKeyFile, "key file");
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().code, TeeCode::kBadParameters);
  EXPECT_EQ(data.error().message,
            fmt::format("key file {} is 4294967296 bytes, over the 65536-byte limit", path));
}

TEST(FileInput, SpecialFilesAreRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Without O_NONBLOCK, opening a FIFO for reading waits for a writer forever.
  auto pending = std::async(std::launch::async, [&] { return read_regular_file(fifo, 1024, "AES key"); });
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "reading a FIFO blocked";
  auto fifo_data = pending.get();
  ASSERT_FALSE(fifo_data);
  EXPECT_EQ(fifo_data.error().message,
            fmt::format("AES key {} is not a regular file (a FIFO)", fifo));
  for (const char* device : {"/dev/zero", "/dev/null"}) {
    auto data = read_regular_file(device, 1 << 20, "device tree");
    ASSERT_FALSE(data) << device;
    EXPECT_EQ(data.error().message,
              fmt::format("device tree {} is not a regular file (a character device)", device));
  }
  auto directory = read_regular_file(dir.path().string(), 1024);
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("(a directory)"), std::string::npos);
}

TEST(FileInput, AMissingFileIsItemNotFound) {
  auto data = read_regular_file("/nonexistent/x", 10);
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().code, TeeCode::kItemNotFound);
}

}  // namespace
}  // namespace rproctee::test
