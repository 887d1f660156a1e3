// Key material in one locked buffer (issue 15, item 8): its own pages, locked in RAM when the
// limit allows, excluded from core dumps and from fork()ed children, shared by copies.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "crypto/secret_bytes.hpp"

namespace rproctee::test {
namespace {

/// The VmFlags of the mapping of this process that holds `address` (/proc/self/smaps).
std::string vm_flags_of(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> begin >> dash >> end && dash == '-' &&
        line.find(' ') == line.find_first_of(' ')) {
      inside = at >= begin && at < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

TEST(SecretBytes, HoldsACopyOnPagesThatAreNeverDumped) {
  const std::vector<uint8_t> key = {1, 2, 3, 4, 5, 6, 7, 8};
  auto secret = crypto::SecretBytes::copy_of(key);
  ASSERT_TRUE(secret) << secret.error().message;
  EXPECT_EQ(std::vector<uint8_t>(secret->bytes().begin(), secret->bytes().end()), key);
  const std::string flags = vm_flags_of(secret->bytes().data());
  EXPECT_NE(flags.find(" dd"), std::string::npos) << "not excluded from core dumps: " << flags;
  EXPECT_NE(flags.find(" wf"), std::string::npos) << "not wiped on fork: " << flags;
  if (secret->locked()) {
    EXPECT_NE(flags.find(" lo"), std::string::npos) << flags;
  }
}

TEST(SecretBytes, CopiesShareTheOneBuffer) {
  auto secret = crypto::SecretBytes::random(32);
  ASSERT_TRUE(secret);
  const crypto::SecretBytes copy = *secret;
  EXPECT_EQ(copy.bytes().data(), secret->bytes().data());
  EXPECT_EQ(copy.size(), 32u);
  EXPECT_NE(std::vector<uint8_t>(copy.bytes().begin(), copy.bytes().end()),
            std::vector<uint8_t>(32, 0));
}

TEST(SecretBytes, AForkedChildSeesZeros) {
  auto secret = crypto::SecretBytes::copy_of(std::vector<uint8_t>(16, 0xA5));
  ASSERT_TRUE(secret);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    bool zeros = true;
    for (uint8_t b : secret->bytes()) zeros &= b == 0;
    ::_exit(zeros ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child read the secret";
}

}  // namespace
}  // namespace rproctee::test
