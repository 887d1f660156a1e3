#include "cli/trace_follower.hpp"

#include <cstring>

#include "common/printable.hpp"

namespace rproctee::cli {

namespace {
constexpr auto kPollInterval = std::chrono::milliseconds(2);
}  // namespace

void TraceFollower::start() {
  thread_ = std::thread([this] {
    while (!stopping_) {
      poll();
      std::this_thread::sleep_for(kPollInterval);
    }
  });
}

void TraceFollower::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  thread_.join();
  poll();
}

void TraceFollower::poll() {
  const auto traces = rproc_.traces();
  if (traces.empty() || !traces[0].va) return;
  // The firmware writes this memory while we read it: take a copy of the text (up to its NUL,
  // not the whole buffer, which may be large), then look at the copy only.
  const char* va = reinterpret_cast<const char*>(traces[0].va);
  std::string text(va, strnlen(va, traces[0].len));
  text.resize(strnlen(text.c_str(), text.size()));  // a NUL written meanwhile
  const size_t complete = text.rfind('\n');
  if (complete == std::string::npos) return;
  text.resize(complete + 1);
  std::lock_guard lock(mutex_);
  if (text.compare(0, seen_.size(), seen_) != 0) seen_.clear();  // started over
  if (text.size() <= seen_.size()) return;
  const auto now = std::chrono::steady_clock::now();
  for (size_t at = seen_.size(); at < text.size();) {
    const size_t end = text.find('\n', at);
    std::string line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out_ << "trace: " << escape_nonprintable(line) << "\n";  // never acts on the terminal
    if (!first_) first_ = Line{line, now};
    at = end + 1;
  }
  out_.flush();
  seen_ = text;
  changed_.notify_all();
}

std::optional<TraceFollower::Line> TraceFollower::wait_first_line(
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return first_.has_value(); });
  return first_;
}

}  // namespace rproctee::cli
