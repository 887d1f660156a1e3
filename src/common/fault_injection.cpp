#include "common/fault_injection.hpp"

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
  return g_armed.compare_exchange_strong(expected, false);
}

void arm_fault(FaultPoint point, uint64_t index) {
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

bool arm_fault_from_environment() {
  const char* v = std::getenv("RPROCTEE_FAULT");
  if (!v) return true;
  const std::string s(v);
  const size_t colon = s.find(':');
  if (colon == std::string::npos) return false;
  for (size_t k = 0; k < kKinds; ++k)
    if (fault_point_name(static_cast<FaultPoint>(k)) == s.substr(0, colon)) {
      arm_fault(static_cast<FaultPoint>(k), std::strtoull(s.c_str() + colon + 1, nullptr, 10));
      return true;
    }
  return false;
}

}  // namespace rproctee
