// What a client may hand the machine as shared memory (REGISTER_SHM's descriptor), checked at
// the machine's connection, below the client library: only an ordinary memfd sealed against
// shrinking. Anything else could make the machine's accesses fault (a truncated file, a
// hugetlb memfd whose huge page the client punched out and took) or leak its mappings.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "machine/connection.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using protocol::MessageKind;

constexpr uint64_t kHugePage = 2 << 20;

class SharedMemoryRegistration : public ::testing::Test {
 protected:
  /// REGISTER_SHM of `size` bytes with `fd` (given away); the reply's TEE code.
  uint32_t register_shm(int fd, uint64_t size) {
    protocol::Request r;
    r.kind = MessageKind::kRegisterShm;
    r.shm_size = size;
    r.shm_flags = 1;  // TEEC_MEM_INPUT
    std::vector<int> reply_fds;
    const protocol::Reply reply = connection_.handle(r, {fd}, reply_fds);
    EXPECT_TRUE(reply_fds.empty());
    return reply.code;
  }

  MachineUnderTest machine_{TransportKind::kInProcess};
  machine::Connection connection_{machine_.machine(), machine::ClientIdentity::of_this_process()};
};

/// A memfd of `size` bytes, sealed with `seals` (0: none); -1 when `flags` are not supported.
int memfd(unsigned flags, uint64_t size, int seals) {
  const int fd = ::memfd_create("shm-test", MFD_CLOEXEC | MFD_ALLOW_SEALING | flags);
  if (fd < 0) return -1;
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0 ||
      (seals != 0 && ::fcntl(fd, F_ADD_SEALS, seals) != 0)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_F(SharedMemoryRegistration, ASealedMemfdIsAccepted) {
  const int fd = memfd(0, 4096, F_SEAL_SHRINK | F_SEAL_GROW);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(register_shm(fd, 4096), static_cast<uint32_t>(TeeCode::kSuccess));
}

TEST_F(SharedMemoryRegistration, AMemfdThatCanShrinkIsRefused) {
  const int fd = memfd(0, 4096, F_SEAL_GROW);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(register_shm(fd, 4096), static_cast<uint32_t>(TeeCode::kBadParameters));
}

TEST_F(SharedMemoryRegistration, AFileOtherThanAMemfdIsRefused) {
  TempDir dir;
  const int fd = ::open((dir / "plain").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 4096), 0);
  EXPECT_EQ(register_shm(fd, 4096), static_cast<uint32_t>(TeeCode::kBadParameters));
}

TEST_F(SharedMemoryRegistration, ASmallerMemfdThanTheSizeClaimedIsRefused) {
  const int fd = memfd(0, 4096, F_SEAL_SHRINK | F_SEAL_GROW);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(register_shm(fd, 8192), static_cast<uint32_t>(TeeCode::kBadParameters));
}

// Refused before it is mapped: with no huge pages in the pool the mapping would fail
// (OUT_OF_MEMORY), with some it would succeed; either way the code tells the check apart.
TEST_F(SharedMemoryRegistration, AHugetlbMemfdIsRefusedEvenWhenSealed) {
  const int fd = memfd(MFD_HUGETLB, kHugePage, F_SEAL_SHRINK | F_SEAL_GROW);
  if (fd < 0) GTEST_SKIP() << "no hugetlb memfd on this kernel: " << std::strerror(errno);
  EXPECT_EQ(register_shm(fd, 4096), static_cast<uint32_t>(TeeCode::kBadParameters));
}

}  // namespace
}  // namespace rproctee::test
