#include "tee/log.hpp"

#include <chrono>
#include <cstdio>
#include <iterator>
#include <mutex>

namespace rproctee::tee {

namespace {

// Taken when the program starts (static initialisation), as the kernel counts from boot.
const std::chrono::steady_clock::time_point g_start = std::chrono::steady_clock::now();

std::mutex g_sink_mutex;
LogSink g_sink;  // guarded by g_sink_mutex

}  // namespace

std::string_view log_level_letter(LogLevel level) {
  static constexpr std::string_view kLetters[] = {"E", "W", "I", "D"};  // in LogLevel's order
  const auto i = static_cast<size_t>(level);
  return i < std::size(kLetters) ? kLetters[i] : "?";
}

std::string format_log_line(double seconds, LogLevel level, std::string_view source,
                            std::string_view message) {
  return fmt::format("[{:12.6f}] {}/{}: {}\n", seconds, log_level_letter(level), source, message);
}

void log_line(LogLevel level, std::string_view source, std::string_view message) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - g_start).count();
  const std::string line = format_log_line(seconds, level, source, message);
  std::lock_guard lock(g_sink_mutex);
  if (g_sink)
    g_sink(line);
  else
    std::fputs(line.c_str(), stderr);
}

LogSink set_log_sink(LogSink sink) {
  std::lock_guard lock(g_sink_mutex);
  return std::exchange(g_sink, std::move(sink));
}

}  // namespace rproctee::tee
