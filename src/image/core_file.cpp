#include "image/core_file.hpp"

#include "common/byte_writer.hpp"
#include "image/elf32_writer.hpp"

namespace rproctee::image {

namespace {

constexpr uint32_t kPrstatusSize = 148;  // struct elf_prstatus on 32-bit ARM
constexpr uint16_t kSigsegv = 11;

/// The PT_NOTE segment: one NT_PRSTATUS note, name "CORE", with the registers.
std::vector<uint8_t> prstatus_note(const ArmRegisters& registers) {
  ByteWriter w;
  w.u32(5);  // namesz: "CORE\0"
  w.u32(kPrstatusSize);
  w.u32(1);  // NT_PRSTATUS
  const uint8_t name[8] = {'C', 'O', 'R', 'E', 0, 0, 0, 0};
  w.bytes(name);
  w.zeros(12);      // pr_info: si_signo, si_code, si_errno
  w.u16(kSigsegv);  // pr_cursig
  w.u16(0);
  w.zeros(8);   // pr_sigpend, pr_sighold
  w.u32(1);     // pr_pid
  w.zeros(12);  // pr_ppid, pr_pgrp, pr_sid
  w.zeros(32);  // utime, stime, cutime, cstime
  for (uint32_t r : registers) w.u32(r);
  w.u32(0);  // pr_fpvalid
  return w.take();
}

/// ET_CORE with the PT_NOTE first, then one PT_LOAD per memory segment (vaddr = paddr = the
/// device address, RWX), packed: no padding anywhere, no section table. e_flags say EABI
/// version 5 without a float-ABI flag.
Elf32FileSpec core_spec(std::span<const CoreSegment> segments, std::span<const uint8_t> note) {
  Elf32FileSpec spec;
  spec.type = elf::kTypeCore;
  spec.flags = elf::kEfArmEabiVer5;
  spec.segments.push_back({{.type = elf::kPtNote, .align = 4}, note});
  for (const CoreSegment& s : segments) {
    const auto size = static_cast<uint32_t>(s.bytes.size());
    spec.segments.push_back({{.type = elf::kPtLoad,
                              .vaddr = s.address,
                              .paddr = s.address,
                              .memsz = size,
                              .flags = elf::kPfR | elf::kPfW | elf::kPfX,
                              .align = 1},
                             s.bytes});
  }
  return spec;
}

}  // namespace

uint64_t coredump_size(std::span<const CoreSegment> segments) {
  const std::vector<uint8_t> note = prstatus_note({});
  return elf32_layout(core_spec(segments, note)).size;
}

void write_coredump(std::span<const CoreSegment> segments, const ArmRegisters& registers,
                    std::span<uint8_t> out) {
  const std::vector<uint8_t> note = prstatus_note(registers);
  write_elf32(core_spec(segments, note), out);
}

}  // namespace rproctee::image
