// The control socket of `rproctee up` against a local attacker (issue 15, item 3): a client
// that connects and sends nothing holds up no one (not even SIGTERM), the socket lives in a
// directory only its owner can change, `up` and `ctl` agree on the default path, and each side
// checks the other's uid (SO_PEERCRED): no other user drives `up`, none answers for it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/seqpacket.hpp"
#include "remoteproc/control_server.hpp"
#include "remoteproc/devcoredump.hpp"
#include "remoteproc/kernel_log.hpp"
#include "remoteproc/sysfs.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"
#include "support/up_process.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr uid_t kNobody = 65534;

int connect_raw(const std::string& path) {
  auto fd = connect_seqpacket(path);
  return fd ? *fd : -1;
}

/// `rproctee ctl ARGS`, killed after 20 s (exit 124) if it hangs.
CommandResult ctl(const std::string& socket, std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/timeout", "20",  rproctee_binary(), "ctl",
                                   "--socket",         socket};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

TEST(ControlSocket, AnIdleClientHoldsUpNeitherOthersNorAStop) {
  TempDir dir;
  UpProcess up(UpOptions{dir.path(), /*mount=*/false});
  std::string why;
  ASSERT_TRUE(up.start(why)) << why;
  const std::string socket = dir / "ctl.sock";
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(connect_raw(socket));  // connect, send nothing
  for (int fd : idle) ASSERT_GE(fd, 0);
  auto state = ctl(socket, {"remoteproc0", "state"});
  EXPECT_EQ(state.exit_code, 0) << state.err;
  EXPECT_EQ(state.out, "offline\n");
  // SIGTERM stops `up` although the idle clients are still connected.
  up.signal(SIGTERM);
  EXPECT_TRUE(up.wait(std::chrono::seconds(30))) << "up ignored SIGTERM with idle clients";
  for (int fd : idle) ::close(fd);
}

// `ctl shutdown` gets its answer although the shutdown tears the server down at once: the
// reply goes out before the server is told (it had been cut off under load: "malformed reply").
TEST(ControlSocket, AShutdownIsAnsweredBeforeTheServerIsTornDown) {
  TempDir dir;
  remoteproc::DevcoredumpStore dumps;
  remoteproc::KernelLog log(false);
  remoteproc::SysfsTree tree({}, dumps, log);
  std::mutex mutex;
  std::condition_variable asked_cv;
  bool asked = false;
  auto server = remoteproc::ControlServer::listen(tree, dir / "ctl.sock", [&] {
    {
      std::lock_guard lock(mutex);
      asked = true;
    }
    asked_cv.notify_all();
    // The teardown below races this thread: give it the time to cut the clients off.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  ASSERT_TRUE(server) << server.error().message;
  std::thread client([&] {
    auto reply = remoteproc::control_request(dir / "ctl.sock", "shutdown");
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->first, 0);
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(asked_cv.wait_for(lock, std::chrono::seconds(20), [&] { return asked; }));
  }
  server->reset();  // as `up` does when asked
  client.join();
}

TEST(ControlSocket, ASocketInADirectoryOthersCanWriteToIsRefused) {
  TempDir dir;
  const fs::path shared = dir.path() / "shared";
  fs::create_directory(shared);
  ASSERT_EQ(::chmod(shared.c_str(), 0777), 0);
  auto r = run_rproctee({"up", "--core", "held", "--socket", (shared / "ctl.sock").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("mode 0777) is writable by group or others"));
  EXPECT_FALSE(fs::exists(shared / "ctl.sock"));
}

/// Runs `body` with XDG_RUNTIME_DIR set to `value` (unset when null), restored after.
template <typename F>
void with_runtime_dir(const char* value, F body) {
  const char* old = std::getenv("XDG_RUNTIME_DIR");
  const std::string saved = old ? old : "";
  if (value) {
    ::setenv("XDG_RUNTIME_DIR", value, 1);
  } else {
    ::unsetenv("XDG_RUNTIME_DIR");
  }
  body();
  if (old) {
    ::setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_RUNTIME_DIR");
  }
}

TEST(ControlSocket, TheDefaultPathIsPrivate) {
  TempDir runtime;
  with_runtime_dir(runtime.path().c_str(), [&] {
    auto path = remoteproc::default_control_socket();
    ASSERT_TRUE(path) << path.error().message;
    EXPECT_EQ(*path, runtime / "rproctee-ctl.sock");
  });
  ASSERT_EQ(::chmod(runtime.path().c_str(), 0777), 0);
  with_runtime_dir(runtime.path().c_str(), [&] {
    auto path = remoteproc::default_control_socket();
    ASSERT_FALSE(path);
    EXPECT_EQ(path.error().code, TeeCode::kAccessDenied);
  });
  with_runtime_dir(nullptr, [&] {
    auto path = remoteproc::default_control_socket();
    ASSERT_TRUE(path) << path.error().message;
    const std::string dir = fmt::format("/tmp/rproctee-{}", ::geteuid());
    EXPECT_EQ(*path, dir + "/ctl.sock");
    struct stat st {};
    ASSERT_EQ(::lstat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(st.st_uid, ::geteuid());
  });
}

/// In a child running as `uid`: listens on `path` and answers every connection "0\nspoofed".
pid_t spoofing_server(uid_t uid, const std::string& path) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (::setgid(uid) != 0 || ::setuid(uid) != 0) ::_exit(2);
  auto fd = listen_seqpacket(path);
  if (!fd) ::_exit(3);
  for (;;) {
    const int client = ::accept4(*fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    (void)receive_message(client, 1 << 16);
    const std::string reply = "0\nspoofed";
    (void)send_message(client, {reinterpret_cast<const uint8_t*>(reply.data()), reply.size()}, {});
    ::close(client);
  }
}

TEST(ControlSocket, CtlRefusesAServerRunByAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a server as another user";
  TempDir dir;
  ASSERT_EQ(::chown(dir.path().c_str(), kNobody, kNobody), 0);
  const std::string socket = dir / "ctl.sock";
  const pid_t server = spoofing_server(kNobody, socket);
  for (int i = 0; i < 250 && !fs::exists(socket); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(socket));
  auto reply = remoteproc::control_request(socket, "read sys/class/remoteproc/remoteproc0/state");
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  ASSERT_FALSE(reply) << "accepted a reply from uid 65534: " << reply->second;
  EXPECT_EQ(reply.error().code, TeeCode::kAccessDenied);
  EXPECT_THAT(reply.error().message, HasSubstr("runs as uid 65534, neither uid 0 nor root"));
}

TEST(ControlSocket, UpRefusesAClientOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to connect as another user";
  TempDir dir;
  UpProcess up(UpOptions{dir.path(), /*mount=*/false});
  std::string why;
  ASSERT_TRUE(up.start(why)) << why;
  const std::string socket = dir / "ctl.sock";
  // Open the way for the other user (directory searchable, socket writable): only the peer
  // check stands between it and the processors.
  ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);
  ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(2);
    auto fd = connect_seqpacket(socket);
    if (!fd) ::_exit(3);
    const std::string request = "write sys/class/remoteproc/remoteproc0/state\nstart";
    (void)send_message(*fd, {reinterpret_cast<const uint8_t*>(request.data()), request.size()}, {});
    auto reply = receive_message(*fd, 1 << 16);
    ::_exit(reply && !reply->bytes.empty() ? 1 : 0);  // 0: no answer, the connection was closed
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "up answered a client of uid 65534";
  auto state = ctl(socket, {"remoteproc0", "state"});
  EXPECT_EQ(state.out, "offline\n") << "the other user's request was carried out";
}

}  // namespace
}  // namespace rproctee::test
