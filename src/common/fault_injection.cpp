#include "common/fault_injection.hpp"

#include <signal.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <string>

namespace rproctee {

namespace {
constexpr size_t kKinds = static_cast<size_t>(FaultPoint::kCount);
std::atomic<bool> g_armed{false};
std::atomic<int> g_point{0};
std::atomic<uint64_t> g_target{0};
std::atomic<bool> g_kill{false};  // the armed event kills the process instead of failing
std::array<std::atomic<uint64_t>, kKinds> g_events{};
}  // namespace

std::string_view fault_point_name(FaultPoint point) {
  switch (point) {
    case FaultPoint::kMemoryWrite:
      return "memory-write";
    case FaultPoint::kMapping:
      return "mapping";
    case FaultPoint::kHash:
      return "hash";
    case FaultPoint::kMessage:
      return "message";
    case FaultPoint::kCoreStart:
      return "core-start";
    case FaultPoint::kCount:
      break;
  }
  return "?";
}

bool should_fail(FaultPoint point) {
  const uint64_t n = g_events[static_cast<size_t>(point)].fetch_add(1);
  if (!g_armed.load(std::memory_order_relaxed)) return false;
  if (g_point.load() != static_cast<int>(point) || n != g_target.load()) return false;
  bool expected = true;
  if (!g_armed.compare_exchange_strong(expected, false)) return false;
  if (g_kill.load()) ::raise(SIGKILL);  // a power cut / OOM kill at exactly this point
  return true;
}

void arm_fault(FaultPoint point, uint64_t index) {
  g_kill = false;
  for (auto& e : g_events) e = 0;
  g_point = static_cast<int>(point);
  g_target = index;
  g_armed = true;
}

void disarm_faults() {
  g_armed = false;
  for (auto& e : g_events) e = 0;
}

uint64_t fault_events(FaultPoint point) {
  return g_events[static_cast<size_t>(point)].load();
}

bool arm_fault_from_environment(const char* variable) {
  const char* v = std::getenv(variable);
  if (!v) return true;
  // KIND:INDEX, or KIND:INDEX:kill to kill the process at that event.
  std::string s(v);
  bool kill = false;
  if (s.size() > 5 && s.ends_with(":kill")) {
    kill = true;
    s.resize(s.size() - 5);
  }
  const size_t colon = s.find(':');
  if (colon == std::string::npos || colon + 1 >= s.size()) return false;
  char* end = nullptr;
  const uint64_t index = std::strtoull(s.c_str() + colon + 1, &end, 10);
  if (*end != '\0') return false;
  for (size_t k = 0; k < kKinds; ++k)
    if (fault_point_name(static_cast<FaultPoint>(k)) == s.substr(0, colon)) {
      arm_fault(static_cast<FaultPoint>(k), index);
      g_kill = kill;
      return true;
    }
  return false;
}

}  // namespace rproctee
