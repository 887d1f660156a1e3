// One debugger connection against a debugger that misbehaves on the socket: one that asks for
// answers and never reads them, or repeats "send that again" forever, must not hold the
// session (and with it the halted core and the server's shutdown); the target is detached.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "soc/gdb_packet.hpp"
#include "soc/gdb_session.hpp"
#include "soc/gdb_target.hpp"

namespace rproctee::soc::gdb {
namespace {

using namespace std::chrono_literals;

/// A halted core with readable memory everywhere; counts attach and detach.
class HaltedCore final : public DebugTarget {
 public:
  DebugStop debug_attach() override {
    ++attached;
    return {};
  }
  void debug_detach() override { ++detached; }
  void debug_interrupt() override {}
  void debug_resume(bool) override {}
  std::optional<DebugStop> debug_wait_stop(std::chrono::milliseconds) override { return {}; }
  void debug_kill() override {}
  std::optional<DebugRegisters> debug_read_registers() override {
    return DebugRegisters(kRegisterCount, 0);
  }
  bool debug_write_register(size_t, uint64_t) override { return true; }
  size_t debug_read_memory(uint32_t, std::span<uint8_t> out) override { return out.size(); }
  bool debug_write_memory(uint32_t, std::span<const uint8_t>) override { return true; }
  bool debug_set_breakpoint(uint32_t, bool) override { return true; }
  bool debug_set_watchpoint(WatchKind, uint32_t, uint32_t, bool) override { return true; }

  std::atomic<int> attached{0}, detached{0};
};

class GdbSessionOnASocket : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server_ = fds[0];
    client_ = fds[1];
    served_ = std::async(std::launch::async, [this] { Session(core_, server_, stopping_).run(); });
  }
  void TearDown() override {
    stopping_ = true;
    if (served_.valid() && !ends_within(5s)) ::shutdown(client_, SHUT_RDWR);  // unblock it
    if (served_.valid()) served_.wait();
    ::close(client_);
    ::close(server_);
  }

  /// Writes `bytes` without blocking; how many the socket took.
  size_t write_some(std::string_view bytes) {
    const ssize_t n = ::send(client_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    return n > 0 ? static_cast<size_t>(n) : 0;
  }

  /// True when the session ends within `timeout`.
  bool ends_within(std::chrono::milliseconds timeout) {
    return served_.wait_for(timeout) == std::future_status::ready;
  }

  HaltedCore core_;
  std::atomic<bool> stopping_{false};
  int server_ = -1, client_ = -1;
  std::future<void> served_;
};

TEST_F(GdbSessionOnASocket, ADebuggerThatNeverReadsIsLeftWhenTheServerStops) {
  // Each "m0,1000" is answered with 8 KiB of hex: the socket's buffers fill, the session's
  // send cannot complete.
  const std::string read_page = encode_packet("m0,1000");
  size_t queued = 0;
  for (int i = 0; i < 2000; ++i) queued += write_some(read_page);
  ASSERT_GT(queued, 0U);
  std::this_thread::sleep_for(200ms);  // the session is now stuck on its answers
  stopping_ = true;
  if (!ends_within(2s)) {
    ADD_FAILURE() << "the session stayed blocked on a debugger that never reads";
    ::shutdown(client_, SHUT_RDWR);  // its send fails now: the test can end
  }
  served_.wait();
  EXPECT_EQ(core_.attached.load(), 1);
  EXPECT_EQ(core_.detached.load(), 1) << "the core stays halted for a debugger that is gone";
}

TEST_F(GdbSessionOnASocket, EndlessRequestsToResendEndTheConnection) {
  ASSERT_GT(write_some(encode_packet("g")), 0U);
  // Read the answer, then ask for it again and again, reading each copy.
  std::string got;
  char buffer[4096];
  for (int nacks = 0; nacks < 64 && !ends_within(0ms); ++nacks) {
    pollfd p{client_, POLLIN, 0};
    while (::poll(&p, 1, 100) > 0 && ::recv(client_, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
    }
    write_some("-");
  }
  EXPECT_TRUE(ends_within(2s)) << "a debugger asking for the same answer forever is served forever";
  served_.wait();
  EXPECT_EQ(core_.detached.load(), 1);
}

}  // namespace
}  // namespace rproctee::soc::gdb
