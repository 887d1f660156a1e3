// The contents of the debugfs files of a remote processor that show the core's data
// (/sys/kernel/debug/remoteproc/remoteprocN/resource_table, carveout_memories, traceK), after
// Linux's remoteproc_debugfs.c: from the table in use, the memory regions, a trace buffer.
#pragma once

#include <string>

#include "remoteproc/rproc.hpp"

namespace rproctee::remoteproc {

/// Every entry of the resource table in use (addresses assigned, vdev status as it is now),
/// or "No resource table found\n".
std::string debugfs_resource_table(const Rproc& rproc);

/// Every memory region of the processor the normal world maps.
std::string debugfs_carveout_memories(const Rproc& rproc);

/// The log the firmware wrote into a trace buffer, up to its first NUL.
std::string debugfs_trace(const TraceBuffer& trace);

}  // namespace rproctee::remoteproc
