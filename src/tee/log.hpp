// The secure world's log: the kernel-log style of the normal world's (remoteproc/kernel_log.hpp)
// with OP-TEE's level letters (E/W/I/D, as its trace.h prints them):
//
//   [    1.234567] E/remoteproc TA: m33: LOAD_FW rejected: ... [TEE_ERROR_SECURITY 0xffff000f]
//
// The seconds count from the start of the process (the machine's). Lines go to stderr, or to
// a sink a test installs. Usable by every secure-side module (tee, platform, ta, machine).
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace rproctee::tee {

enum class LogLevel { kError, kWarning, kInfo, kDebug };

/// "E", "W", "I", "D".
std::string_view log_level_letter(LogLevel level);

/// One line: "[" seconds as %12.6f "] " letter "/" source ": " message "\n".
std::string format_log_line(double seconds, LogLevel level, std::string_view source,
                            std::string_view message);

/// Writes one line, timestamped now.
void log_line(LogLevel level, std::string_view source, std::string_view message);

template <typename... Args>
void log(LogLevel level, std::string_view source, fmt::format_string<Args...> format,
         Args&&... args) {
  log_line(level, source, fmt::format(format, std::forward<Args>(args)...));
}

/// Where lines go instead of stderr (nullptr: back to stderr); returns the previous sink. The
/// sink runs under the log's lock: it must not log.
using LogSink = std::function<void(std::string_view line)>;
LogSink set_log_sink(LogSink sink);

}  // namespace rproctee::tee
