// The one writer of ELF32 little-endian files: the core files of a remote processor
// (core_file.cpp) and the firmware ELFs that the tests and the fuzz targets build. The layout
// is fixed: ELF header, program headers, each segment's bytes, then (when there are sections)
// the section name table and the section headers, each part starting at a multiple of
// `alignment`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "image/elf32.hpp"

namespace rproctee::image {

/// A segment to write: its program header and its file bytes. The writer sets p_offset and
/// p_filesz (the size of `bytes`); every other field is written as given.
struct Elf32SegmentSpec {
  Elf32Phdr phdr;
  std::span<const uint8_t> bytes;
};

/// A section lying in the bytes of one segment. sh_addr and sh_offset follow from the
/// segment (its p_vaddr and file offset, plus `offset`); sh_name from the name table.
struct Elf32SectionSpec {
  std::string name;
  uint32_t type = elf::kShtProgbits;
  uint32_t flags = elf::kShfAlloc;
  size_t segment = 0;   // index in Elf32FileSpec::segments
  uint32_t offset = 0;  // inside that segment
  uint32_t size = 0;
  uint32_t addralign = 4;
};

/// Everything an ELF32 file holds.
struct Elf32FileSpec {
  uint16_t type = elf::kTypeExec;
  uint16_t machine = elf::kMachineArm;
  uint32_t entry = 0;
  uint32_t flags = elf::kEfArmEabiVer5 | elf::kEfArmAbiFloatSoft;
  std::vector<Elf32SegmentSpec> segments;
  /// None: no section table (e_shoff, e_shentsize, e_shnum and e_shstrndx are 0). Otherwise
  /// the writer adds the null section first and `.shstrtab` last.
  std::vector<Elf32SectionSpec> sections;
  /// File offsets of the segment bytes, the name table and the section table are multiples of
  /// this (1: packed, as in a core file); the file is padded to it after the segments.
  uint32_t alignment = 1;
};

/// Where write_elf32 puts each part.
struct Elf32FileLayout {
  std::vector<uint32_t> segment_offsets;
  uint32_t names_offset = 0;   // 0 without sections
  uint32_t section_table = 0;  // e_shoff
  uint64_t size = 0;           // of the whole file
};

/// The layout of `spec` (what write_elf32 will write where).
Elf32FileLayout elf32_layout(const Elf32FileSpec& spec);

/// Writes the file into `out`, which must be exactly elf32_layout(spec).size bytes; padding
/// is written as zeros.
void write_elf32(const Elf32FileSpec& spec, std::span<uint8_t> out);

/// The file as a new buffer.
std::vector<uint8_t> write_elf32(const Elf32FileSpec& spec);

}  // namespace rproctee::image
