// What one TEE client may hold in the machine, and all of them together (issue 15, item 4):
// sessions, shared memories and connections are bounded, answered with BUSY / OUT_OF_MEMORY
// beyond the limits, a machine out of descriptors does not spin, and the identity of a USER or
// GROUP login comes from SO_PEERCRED, never from what the client claims.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/descriptor_budget.hpp"
#include "common/seqpacket.hpp"
#include "machine/client_limits.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"
#include "ta_attack_support.hpp"

namespace rproctee::test {
namespace {

constexpr TEEC_UUID kRemoteprocUuid = {
    0x80a4c275, 0x0a47, 0x4905, {0x82, 0x85, 0x14, 0x86, 0xa9, 0x77, 0x1a, 0x08}};

TEST(ClientLimits, ParsedOverTheDefaults) {
  auto limits = machine::parse_client_limits("connections=8,sessions-per-client=2");
  ASSERT_TRUE(limits) << limits.error().message;
  EXPECT_EQ(limits->connections, 8u);
  EXPECT_EQ(limits->sessions_per_client, 2u);
  EXPECT_EQ(limits->shms_per_client, machine::ClientLimits{}.shms_per_client);
  auto unknown = machine::parse_client_limits("threads=4");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown client limit \"threads\""), std::string::npos);
  for (const char* bad : {"connections=", "connections=0", "connections=-1", "connections=4x"})
    EXPECT_FALSE(machine::parse_client_limits(bad)) << bad;
}

class ClientLimitsOver : public ::testing::TestWithParam<TransportKind> {};

TEST_P(ClientLimitsOver, SessionsPerClientAreBoundedWithBusy) {
  MachineConfig config;
  config.preset = "stm32mp25-dual";  // two processors: two sessions a client could hold
  config.limits.sessions_per_client = 1;
  MachineUnderTest m(GetParam(), config);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  TEEC_Session second{};
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = 1;
  uint32_t origin = 0;
  EXPECT_EQ(TEEC_OpenSession(&c.context(), &second, &kRemoteprocUuid, TEEC_LOGIN_REE_KERNEL,
                             nullptr, &op, &origin),
            TEEC_ERROR_BUSY);
  EXPECT_EQ(origin, TEEC_ORIGIN_TEE);
  // Another client is not held back by this one's count.
  RprocClient other(m.tee_name());
  EXPECT_EQ(other.open(1), TEEC_SUCCESS);
}

TEST_P(ClientLimitsOver, SharedMemoriesAreBoundedInNumberAndBytes) {
  MachineConfig config;
  config.limits.shms_per_client = 2;
  config.limits.shm_bytes_per_client = 1 << 20;
  MachineUnderTest m(GetParam(), config);
  RprocClient c(m.tee_name());
  TEEC_SharedMemory shm[3]{};
  for (auto& s : shm) {
    s.size = 4096;
    s.flags = TEEC_MEM_INPUT;
  }
  ASSERT_EQ(TEEC_AllocateSharedMemory(&c.context(), &shm[0]), TEEC_SUCCESS);
  ASSERT_EQ(TEEC_AllocateSharedMemory(&c.context(), &shm[1]), TEEC_SUCCESS);
  EXPECT_EQ(TEEC_AllocateSharedMemory(&c.context(), &shm[2]), TEEC_ERROR_OUT_OF_MEMORY);
  TEEC_ReleaseSharedMemory(&shm[1]);
  shm[2].size = 2 << 20;  // over the byte limit
  EXPECT_EQ(TEEC_AllocateSharedMemory(&c.context(), &shm[2]), TEEC_ERROR_OUT_OF_MEMORY);
  shm[2].size = 4096;
  EXPECT_EQ(TEEC_AllocateSharedMemory(&c.context(), &shm[2]), TEEC_SUCCESS);
  TEEC_ReleaseSharedMemory(&shm[0]);
  TEEC_ReleaseSharedMemory(&shm[2]);
}

TEST_P(ClientLimitsOver, AGroupLoginNamesAGroupOfTheCallerItself) {
  MachineUnderTest m(GetParam());
  RprocClient c(m.tee_name());
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  uint32_t origin = 0;
  TEEC_Session s{};
  // A group this process is not in: the claim is checked, as the kernel's TEE driver does.
  gid_t foreign = 54321;
  EXPECT_EQ(TEEC_OpenSession(&c.context(), &s, &kRemoteprocUuid, TEEC_LOGIN_GROUP, &foreign, &op,
                             &origin),
            TEEC_ERROR_ACCESS_DENIED);
  EXPECT_EQ(origin, TEEC_ORIGIN_TEE);
  gid_t mine = ::getegid();
  ASSERT_EQ(
      TEEC_OpenSession(&c.context(), &s, &kRemoteprocUuid, TEEC_LOGIN_GROUP, &mine, &op, &origin),
      TEEC_SUCCESS);
  TEEC_CloseSession(&s);
}

INSTANTIATE_TEST_SUITE_P(Transports, ClientLimitsOver,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         ta_attack::transport_param_name);

TEST(ClientLimits, ConnectionsOverTheLimitAreRefusedAndTheOthersWork) {
  MachineConfig config;
  config.limits.connections = 2;
  MachineUnderTest m(TransportKind::kSocket, config);
  RprocClient a(m.tee_name()), b(m.tee_name());
  ASSERT_EQ(a.open(0), TEEC_SUCCESS);
  ASSERT_TRUE(b.initialized());
  TEEC_SharedMemory probe{};
  probe.size = 16;
  probe.flags = TEEC_MEM_INPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&b.context(), &probe), TEEC_SUCCESS);
  TEEC_ReleaseSharedMemory(&probe);
  // The third connection waits for a slot (kAdmissionWait), then is closed by the machine.
  RprocClient third(m.tee_name());
  ASSERT_TRUE(third.initialized());
  EXPECT_EQ(third.open(0), TEEC_ERROR_COMMUNICATION);
  // The first client still completes a LOAD.
  const std::vector<uint8_t> image = std::vector<uint8_t>(64, 0);  // rejected by the TA, but served
  EXPECT_NE(a.load(image), TEEC_ERROR_COMMUNICATION);
}

/// CPU time (user + system, in clock ticks) the process has used so far.
long cpu_ticks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(all.substr(all.rfind(')') + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return utime + stime;
}

/// A non-blocking connection attempt: -1 when the listener's backlog is full or nothing listens.
int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

size_t descriptors_of(pid_t pid) {
  const auto fds = std::filesystem::path("/proc") / std::to_string(pid) / "fd";
  std::error_code ec;
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(fds, ec),
                                           std::filesystem::directory_iterator()));
}

// A machine whose descriptor limit is small serves fewer connections than the client limits
// allow, so a flood of connections never exhausts its descriptors (its own work — and, in the
// sanitized builds, the sanitizers' pipes — keeps a reserve), never makes it spin, and it stops
// cleanly afterwards.
TEST(ClientLimits, AMachineWithFewDescriptorsKeepsAReserveAndDoesNotSpin) {
  TempDir dir;
  const std::string socket = dir / "m.sock";
  const std::string log = dir / "machine.log";
  const pid_t machine = ::fork();
  ASSERT_GE(machine, 0);
  if (machine == 0) {
    const rlimit few{48, 48};
    ::setrlimit(RLIMIT_NOFILE, &few);
    const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(err, 2);
    const std::string bin = rproctee_binary();
    ::execl(bin.c_str(), bin.c_str(), "machine", "--socket", socket.c_str(), "--core", "held",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 300 && !std::filesystem::exists(socket); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(std::filesystem::exists(socket));
  std::vector<int> held;
  size_t most = 0;
  for (int i = 0; i < 60; ++i) {
    if (const int fd = connect_to(socket); fd >= 0) held.push_back(fd);
    most = std::max(most, descriptors_of(machine));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long before = cpu_ticks(machine);
  most = std::max(most, descriptors_of(machine));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long used = cpu_ticks(machine) - before;
  most = std::max(most, descriptors_of(machine));
  // A spinning accept loop burns a whole core (about 100 ticks in this second).
  EXPECT_LT(used, 30) << "the machine spins while its connections are full";
  EXPECT_LE(most, 48u - 20u) << "the machine let clients take its reserve of descriptors";
  for (int fd : held) ::close(fd);
  ::kill(machine, SIGTERM);
  int status = 0;
  ::waitpid(machine, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the machine did not stop cleanly (status " << status << ")";
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("the descriptor limit (ulimit -n) leaves room for"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("runtime error"), std::string::npos) << text;
}

// Out of descriptors (their limit taken by something else than clients), accept_connection
// takes the pending connection with its spare descriptor and closes it: the listener does not
// see it again, so a poll loop over it does not spin.
TEST(ClientLimits, AcceptOutOfDescriptorsClosesThePendingConnection) {
  TempDir dir;
  const std::string path = dir / "l.sock";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto listener = listen_seqpacket(path);
    if (!listener) ::_exit(10);
    int spare = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int client = connect_to(path);
    if (client < 0) ::_exit(11);
    // Fill the table: every descriptor up to the limit is taken.
    const rlimit now{static_cast<rlim_t>(open_descriptors() + 8),
                     static_cast<rlim_t>(open_descriptors() + 8)};
    ::setrlimit(RLIMIT_NOFILE, &now);
    while (::dup(0) >= 0) {
    }
    if (accept_connection(*listener, spare) != -1) ::_exit(12);
    if (spare < 0) ::_exit(13);  // the spare is back for the next time
    char byte = 0;
    // The connection was accepted and closed: the client sees its end.
    if (::recv(client, &byte, 1, MSG_DONTWAIT) != 0) ::_exit(14);
    pollfd p{*listener, POLLIN, 0};
    if (::poll(&p, 1, 0) != 0) ::_exit(15);  // nothing left pending
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "step that failed (see the test's exit codes)";
}

}  // namespace
}  // namespace rproctee::test
