// Where `rproctee machine` sends what its board shows (soc/board_io.hpp), by --console MODE:
//   log       lines on stderr: "rproctee machine: m33 UART4: Starting OpenAMP application"
//   fd:N      the same lines without the program name, on descriptor N (`run` reads them)
//   pty:PATH  the raw bytes on a pseudo-terminal linked at PATH (`up` makes it DIR/dev/ttySTM0);
//             what is typed there reaches the firmware's USART
// Output pins changing level are logged on stderr ("m33 GPIOH pin 12: low"), at most once a
// second per pin (with the count of changes in between), and so are the warnings.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "common/pty.hpp"
#include "common/result.hpp"
#include "soc/board_io.hpp"

namespace rproctee::cli {

/// The longest console line printed as one; a longer run of bytes without a newline is cut.
inline constexpr size_t kMaxConsoleLine = 4096;

class BoardConsole {
 public:
  static Result<std::unique_ptr<BoardConsole>> open(const std::string& mode, std::string prog);
  ~BoardConsole();
  BoardConsole(const BoardConsole&) = delete;
  BoardConsole& operator=(const BoardConsole&) = delete;

  /// The callbacks for the machine.
  soc::BoardOutputs outputs();
  /// Starts passing what is typed on the pty to `input` (the SoC's serial line), until
  /// stop_input() (before the SoC goes away).
  void start_input(std::function<void(std::span<const uint8_t>)> input);
  void stop_input();

 private:
  explicit BoardConsole(std::string prog) : prog_(std::move(prog)) {}
  void serial(const std::string& source, std::span<const uint8_t> bytes);
  void pin(const std::string& source, uint32_t pin, bool level);
  void read_input();

  std::string prog_;
  int fd_ = 2;                // log and fd:N modes
  bool prefixed_ = true;      // log mode: lines start with the program name
  std::unique_ptr<Pty> pty_;  // pty mode
  std::mutex mutex_;
  std::map<std::string, std::string> partial_;  // per source: the line being written
  struct PinLog {
    std::chrono::steady_clock::time_point last;
    uint64_t unreported = 0;
  };
  std::map<std::string, PinLog> pins_;
  std::function<void(std::span<const uint8_t>)> input_;
  int wake_[2] = {-1, -1};
  std::thread reader_;
};

}  // namespace rproctee::cli
