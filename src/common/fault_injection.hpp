// Systematic fault injection (attack class 17): tests arm "fail the i-th event of kind K" and
// the code under test asks should_fail(K) at each such event. Disarmed, a check is one atomic
// load. The machine process reads RPROCTEE_FAULT=kind:i[:kill] at start-up for cross-process
// tests.
#pragma once

#include <cstdint>
#include <string_view>

namespace rproctee {

enum class FaultPoint : int { kMemoryWrite = 0, kMapping, kHash, kMessage, kCoreStart, kCount };

/// "memory-write", "mapping", "hash", "message", "core-start" (the platform service releasing a
/// verified image's core).
std::string_view fault_point_name(FaultPoint point);

/// True when this event is the armed one (then the injection disarms itself).
bool should_fail(FaultPoint point);

/// Fails the `index`-th (0-based) next event of `point`; resets the counters of every kind.
void arm_fault(FaultPoint point, uint64_t index);
void disarm_faults();
/// How many events of `point` happened since the last arm/disarm (to know how far to go).
uint64_t fault_events(FaultPoint point);
/// Reads `variable` ("hash:3": fail the 4th hash; "hash:3:kill": SIGKILL the process at it, for
/// process-fault tests); returns false on a malformed value. The machine reads RPROCTEE_FAULT,
/// `rproctee up` (the normal world) RPROCTEE_UP_FAULT.
bool arm_fault_from_environment(const char* variable = "RPROCTEE_FAULT");

}  // namespace rproctee
