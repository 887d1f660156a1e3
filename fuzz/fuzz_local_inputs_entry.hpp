// Fuzz entries for what a local user or a command line hands the machine (issue 15):
//
// fuzz_state_dir: the anti-rollback state directory as another user or a crash may leave it.
//   The input chooses which of rollback.bin and device.key exist, whether either is a symlink
//   or a directory, and their bytes. Checked: opening never crashes; a store that opened and
//   reads its counters also commits a raised version that a fresh open reads back; a state
//   file that is a symlink is never trusted.
// fuzz_client_limits: `machine --client-limits TEXT`. Checked: what parses formats back to a
//   text that parses to the same limits.
// fuzz_control: the control socket's protocol over the fuzz_sysfs normal world: every request
//   through the server's handler, and one input in 64 also as SOCK_SEQPACKET messages to a
//   real ControlServer. Checked: every reply starts with an errno in [0, 4095] and a newline;
//   an empty message gets none; a "shutdown" only calls its callback.
// fuzz_device_tree: the file `--dtb` names, as a hostile user may hand it: a regular file or a
//   symlink with any bytes, a FIFO, a directory, or a sparse file up to 4 GiB. Checked: what is
//   not a regular file of at most 1 MiB is refused as an input (never read, never waited on);
//   a description that loads has regions that neither wrap nor overlap, indices in range, no
//   firewalled region exported; the normal world's blob parses, holds neither the secure-world
//   node nor the AES key, and describes the same regions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rproctee::fuzz {

void fuzz_state_dir_one(std::span<const uint8_t> data);
void fuzz_client_limits_one(std::span<const uint8_t> data);
void fuzz_control_one(std::span<const uint8_t> data);
void fuzz_device_tree_one(std::span<const uint8_t> data);

/// Hand-written inputs (the seed corpora fuzz/corpus/<target>/seed-N.bin).
std::vector<std::vector<uint8_t>> fuzz_state_dir_seeds();
std::vector<std::vector<uint8_t>> fuzz_client_limits_seeds();
std::vector<std::vector<uint8_t>> fuzz_control_seeds();
std::vector<std::vector<uint8_t>> fuzz_device_tree_seeds();

}  // namespace rproctee::fuzz
