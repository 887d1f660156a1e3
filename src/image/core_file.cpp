#include "image/core_file.hpp"

#include <algorithm>
#include <cstring>

#include "common/byte_writer.hpp"

namespace rproctee::image {

namespace {
constexpr uint32_t kEhdr = 52, kPhdr = 32;
constexpr uint32_t kPrstatusSize = 148;                 // struct elf_prstatus on 32-bit ARM
constexpr uint32_t kNoteSize = 12 + 8 + kPrstatusSize;  // header + "CORE\0" padded + desc

uint32_t data_offset(size_t segments) {
  return kEhdr + kPhdr * static_cast<uint32_t>(segments + 1) + kNoteSize;
}
}  // namespace

uint64_t coredump_size(std::span<const CoreSegment> segments) {
  uint64_t size = data_offset(segments.size());
  for (const auto& s : segments) size += s.bytes.size();
  return size;
}

void write_coredump(std::span<const CoreSegment> segments, const ArmRegisters& regs,
                    std::span<uint8_t> out) {
  ByteWriter w;
  const uint8_t ident[16] = {0x7F, 'E', 'L', 'F', 1, 1, 1, 0};
  w.bytes(ident);
  w.u16(4);   // ET_CORE
  w.u16(40);  // EM_ARM
  w.u32(1);
  w.u32(0);
  w.u32(kEhdr);
  w.u32(0);
  w.u32(0x05000000);  // EABI version 5
  w.u16(kEhdr);
  w.u16(kPhdr);
  w.u16(static_cast<uint16_t>(segments.size() + 1));
  w.u16(0);
  w.u16(0);
  w.u16(0);
  // PT_NOTE first, then one PT_LOAD per segment.
  const uint32_t note_offset = kEhdr + kPhdr * static_cast<uint32_t>(segments.size() + 1);
  for (uint32_t v : {4u, note_offset, 0u, 0u, kNoteSize, 0u, 0u, 4u}) w.u32(v);
  uint32_t offset = data_offset(segments.size());
  for (const auto& s : segments) {
    const auto size = static_cast<uint32_t>(s.bytes.size());
    for (uint32_t v : {1u, offset, s.address, s.address, size, size, 7u, 1u}) w.u32(v);
    offset += size;
  }
  // NT_PRSTATUS: namesz 5 ("CORE"), descsz 148, type 1.
  w.u32(5);
  w.u32(kPrstatusSize);
  w.u32(1);
  const uint8_t name[8] = {'C', 'O', 'R', 'E', 0, 0, 0, 0};
  w.bytes(name);
  w.zeros(12);  // pr_info: si_signo, si_code, si_errno
  w.u16(11);    // pr_cursig: SIGSEGV
  w.u16(0);
  w.zeros(8);   // pr_sigpend, pr_sighold
  w.u32(1);     // pr_pid
  w.zeros(12);  // pr_ppid, pr_pgrp, pr_sid
  w.zeros(32);  // utime, stime, cutime, cstime
  for (uint32_t r : regs) w.u32(r);
  w.u32(0);  // pr_fpvalid
  auto head = w.take();
  std::copy(head.begin(), head.end(), out.begin());
  size_t at = head.size();
  for (const auto& s : segments) {
    std::memcpy(out.data() + at, s.bytes.data(), s.bytes.size());
    at += s.bytes.size();
  }
}

}  // namespace rproctee::image
