// Builds small ELF32 ARM files for tests: any program headers, optional sections (a
// `.resource_table` placed inside a segment, code sections), with every field overridable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "image/elf32_writer.hpp"

namespace rproctee::test {

struct ElfSegment {
  uint32_t type = 1;  // PT_LOAD
  uint32_t paddr = 0;
  std::optional<uint32_t> vaddr;  // defaults to paddr
  std::vector<uint8_t> data;      // file bytes (p_filesz = data.size())
  std::optional<uint32_t> memsz;  // defaults to data.size()
  uint32_t flags = 7;             // RWX
  uint32_t align = 0x1000;
};

/// A section inside a segment (name, type, flags, segment, offset in it, size).
using ElfSection = image::Elf32SectionSpec;

/// Assembles an ELF with image::write_elf32: header, program headers, segment bytes (16-byte
/// aligned offsets), then the section name table and the section headers when sections were
/// added. e_flags are those of our arm-none-eabi-gcc firmware (EABI5, soft-float).
class ElfBuilder {
 public:
  ElfBuilder& entry(uint32_t address);
  size_t add_segment(ElfSegment segment);
  ElfBuilder& add_section(ElfSection section);
  /// A Cortex-M code segment (R+X) at `address` holding `code`, whose vector table starts with
  /// `initial_sp` and the reset handler at address + 0x40 (Thumb), which is also the entry
  /// point; with `isr_vector_and_text`, sections .isr_vector (0x40 bytes) and .text (the rest).
  /// Returns the segment's index.
  size_t add_code(uint32_t address, std::vector<uint8_t> code, uint32_t initial_sp,
                  bool isr_vector_and_text = false);
  /// A read-only segment at `address` holding `table` and its `.resource_table` section (the
  /// whole segment); returns the segment's index.
  size_t add_resource_table(uint32_t address, std::vector<uint8_t> table);
  ElfBuilder& machine(uint16_t machine);
  std::vector<uint8_t> build() const;

 private:
  /// What write_elf32 writes; it points into segments_.
  image::Elf32FileSpec spec() const;

  uint32_t entry_ = 0;
  uint16_t machine_ = 40;
  std::vector<ElfSegment> segments_;
  std::vector<ElfSection> sections_;
};

/// Writes the first two words of a Cortex-M vector table at the start of `code`: the initial
/// stack pointer and the reset handler (a Thumb address, bit 0 set).
void put_vector_table(std::vector<uint8_t>& code, uint32_t initial_sp, uint32_t reset);

/// A Cortex-M33 firmware in the STM32MP25 memory map: a vector table + code segment at
/// 0x80100000 (`code_size` bytes, deterministic pattern), a data segment at 0x80a00000 with
/// .bss, and (when `rsc_table` is non-empty) a `.resource_table` segment at 0x81200000. Code
/// above 9 MiB moves the data segment to the next MiB after it and the table 1 MiB higher.
std::vector<uint8_t> make_firmware(size_t code_size, const std::vector<uint8_t>& rsc_table);

/// The resource table of the demo layout: trace buffer + rpmsg vdev with two vrings.
std::vector<uint8_t> demo_resource_table();

/// The same entries laid out for the normal world: the trace buffer at 0x81201000 in
/// ipc_shmem (the firewall keeps the code and data regions out of the normal world's reach).
std::vector<uint8_t> normal_world_resource_table();

}  // namespace rproctee::test
