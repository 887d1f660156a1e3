// fuzz_sysfs: the sysfs/debugfs write parser, as `echo VALUE > FILE` in the FUSE mount or
// `rproctee ctl` reaches it, on a real normal world over an in-process machine (held cores:
// nothing executes, shutdown acknowledgements time out after 1 ms). The input is a sequence of
// operations; each picks a path (one of the table's files, or fuzzed path bytes) and a value
// (fuzzed bytes), writes it and reads the file back. Checked: every write answers 0 or a
// negative errno, every read of `state` is one of the kernel's state strings, and at the end of
// each input the processor can be brought back offline with its memories zero.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "remoteproc/sysfs.hpp"

namespace rproctee::fuzz {

void fuzz_sysfs_one(std::span<const uint8_t> data);

/// The sysfs tree of that normal world (made on first use), for the control-socket target.
remoteproc::SysfsTree& fuzz_sysfs_tree();
/// Back to offline with zero memories, recovery on, the demo firmware named; checked.
void fuzz_sysfs_reset();

/// Hand-written inputs (the seed corpus fuzz/corpus/fuzz_sysfs/seed-N.bin).
std::vector<std::vector<uint8_t>> fuzz_sysfs_seeds();

}  // namespace rproctee::fuzz
