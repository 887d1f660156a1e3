// The board's serial console as the machine prints it, and as `run` follows it: a firmware's
// bytes never act on the terminal, a firmware that never ends its line costs no memory, and
// `run` keeps a bounded number of lines for its summary.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/board_console.hpp"
#include "cli/console_follower.hpp"
#include "support/test_data.hpp"

namespace rproctee::cli {
namespace {

using test::bytes_of;

/// What the console in "fd:N" mode writes for `serial` calls, read back from a pipe.
std::string printed(const std::vector<std::string>& writes) {
  int p[2];
  EXPECT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  {
    auto console = BoardConsole::open("fd:" + std::to_string(p[1]), "rproctee machine");
    EXPECT_TRUE(console) << console.error().message;
    const soc::BoardOutputs out = (*console)->outputs();
    for (const std::string& w : writes) out.serial("m33 UART4", bytes_of(w));
  }
  ::close(p[1]);
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = ::read(p[0], buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<size_t>(n));
  ::close(p[0]);
  return text;
}

TEST(BoardConsole, ControlBytesAreShownNotSent) {
  EXPECT_EQ(printed({"\x1b]0;owned\x07", "\x1b[2Jok\r\n"}),
            "m33 UART4: \\x1b]0;owned\\x07\\x1b[2Jok\n");
}

TEST(BoardConsole, ALineWithoutEndIsCutAtTheLimit) {
  const std::string endless(2 * kMaxConsoleLine + 10, 'a');
  const std::string text = printed({endless, "\n"});
  const std::string prefix = "m33 UART4: ";
  const std::string full = prefix + std::string(kMaxConsoleLine, 'a') + "\n";
  EXPECT_EQ(text, full + full + prefix + std::string(10, 'a') + "\n");
}

TEST(ConsoleFollower, PrintsEveryLineAndKeepsTheFirstOnesForTheSummary) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  std::ostringstream out;
  ConsoleFollower follower(p[0], out);
  follower.start();
  const size_t total = ConsoleFollower::kMaxKeptLines + 200;
  for (size_t i = 0; i < total; ++i) {
    const std::string line = "m33 UART4: line " + std::to_string(i) + "\n";
    ASSERT_EQ(::write(p[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
  }
  ::close(p[1]);
  follower.stop();
  ::close(p[0]);
  const auto kept = follower.lines();
  ASSERT_EQ(kept.size(), ConsoleFollower::kMaxKeptLines);
  EXPECT_EQ(kept.front().text, "m33 UART4: line 0");
  EXPECT_EQ(kept.back().text,
            "m33 UART4: line " + std::to_string(ConsoleFollower::kMaxKeptLines - 1));
  EXPECT_NE(out.str().find("m33 UART4: line " + std::to_string(total - 1) + "\n"),
            std::string::npos)
      << "every line is printed";
}

}  // namespace
}  // namespace rproctee::cli
