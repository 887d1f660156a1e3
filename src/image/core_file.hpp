// ELF32 core files of a remote processor: one PT_LOAD per memory region (vaddr = paddr = the
// processor's device address) and a PT_NOTE with NT_PRSTATUS (ARM registers), loadable by
// gdb-multiarch next to the firmware ELF.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rproctee::image {

/// r0-r15, xPSR, orig_r0: the ARM elf_gregset_t layout of NT_PRSTATUS.
using ArmRegisters = std::array<uint32_t, 18>;

struct CoreSegment {
  uint32_t address = 0;  // device address
  std::span<const uint8_t> bytes;
};

/// Size of the core file for these segments.
uint64_t coredump_size(std::span<const CoreSegment> segments);

/// Writes the core file into `out` (exactly coredump_size bytes).
void write_coredump(std::span<const CoreSegment> segments, const ArmRegisters& registers,
                    std::span<uint8_t> out);

}  // namespace rproctee::image
