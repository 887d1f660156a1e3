// The contents of the debugfs files of a remote processor that show the core's data
// (/sys/kernel/debug/remoteproc/remoteprocN/resource_table, carveout_memories, traceK), after
// Linux's remoteproc_debugfs.c: from the table in use, the memory regions, a trace buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "remoteproc/rproc.hpp"

namespace rproctee::remoteproc {

/// Every entry of the resource table in use (addresses assigned, vdev status as it is now),
/// or "No resource table found\n".
std::string debugfs_resource_table(const Rproc& rproc);

/// Every memory region of the processor the normal world maps.
std::string debugfs_carveout_memories(const Rproc& rproc);

/// The log the firmware wrote into a trace buffer, up to its first NUL.
std::string debugfs_trace(const TraceBuffer& trace);

/// rproc_recovery_write: 1..10 bytes, one trailing newline dropped, then strncmp(buf, word,
/// count) against "enabled", "disabled", "recover" in that order (so "e", "dis", "rec" match).
int debugfs_recovery_write(Rproc& rproc, std::string_view value);

/// rproc_coredump_write: 1..20 bytes, -EBUSY while crashed, then the same prefix matching
/// against "disabled", "enabled", "inline".
int debugfs_coredump_write(Rproc& rproc, std::string_view value);

/// rproc_crash_write: kstrtouint_from_user(base 0); any number is a crash of that type.
int debugfs_crash_write(Rproc& rproc, std::string_view value);

/// kstrtouint_from_user(s, count, 0, &out): at most 34 bytes read, an optional '+', "0x" hex,
/// "0" octal, else decimal, one trailing newline. 0, -EINVAL or -ERANGE (above UINT_MAX).
int kstrtouint_base0(std::string_view text, uint32_t& out);

}  // namespace rproctee::remoteproc
