// Builds small ELF32 ARM files for tests: any program headers, optional sections (a
// `.resource_table` placed inside a segment, code sections), with every field overridable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

struct ElfSection {
  std::string name;
  uint32_t type = 1;    // SHT_PROGBITS
  uint32_t flags = 2;   // SHF_ALLOC
  size_t segment = 0;   // which segment holds it
  uint32_t offset = 0;  // offset inside that segment
  uint32_t size = 0;
};

/// Assembles an ELF: header, program headers, segment bytes (16-byte aligned offsets),
/// then the section name table and the section headers when sections were added.
class ElfBuilder {
 public:
  ElfBuilder& entry(uint32_t address);
  size_t add_segment(ElfSegment segment);
  ElfBuilder& add_section(ElfSection section);
  ElfBuilder& machine(uint16_t machine);
  std::vector<uint8_t> build() const;

  /// File offset of a segment in the built file.
  uint32_t segment_offset(size_t index) const;

 private:
  uint32_t entry_ = 0;
  uint16_t machine_ = 40;
  std::vector<ElfSegment> segments_;
  std::vector<ElfSection> sections_;
};

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
