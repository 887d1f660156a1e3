#include "support/elf_builder.hpp"

#include "common/byte_writer.hpp"
#include "support/rsc_builder.hpp"

namespace rproctee::test {

namespace {
constexpr uint32_t kEhdr = 52, kPhdr = 32, kShdr = 40;
uint32_t align16(uint32_t v) {
  return (v + 15) & ~15u;
}
}  // namespace

ElfBuilder& ElfBuilder::entry(uint32_t address) {
  entry_ = address;
  return *this;
}

ElfBuilder& ElfBuilder::machine(uint16_t machine) {
  machine_ = machine;
  return *this;
}

size_t ElfBuilder::add_segment(ElfSegment segment) {
  segments_.push_back(std::move(segment));
  return segments_.size() - 1;
}

ElfBuilder& ElfBuilder::add_section(ElfSection section) {
  sections_.push_back(std::move(section));
  return *this;
}

uint32_t ElfBuilder::segment_offset(size_t index) const {
  uint32_t off = align16(kEhdr + kPhdr * static_cast<uint32_t>(segments_.size()));
  for (size_t i = 0; i < index; ++i)
    off = align16(off + static_cast<uint32_t>(segments_[i].data.size()));
  return off;
}

std::vector<uint8_t> ElfBuilder::build() const {
  const auto nseg = static_cast<uint32_t>(segments_.size());
  uint32_t data_end = segment_offset(segments_.size());
  // Section name table: "\0" + names + ".shstrtab\0".
  std::vector<uint8_t> names{0};
  std::vector<uint32_t> name_offsets;
  for (const auto& s : sections_) {
    name_offsets.push_back(static_cast<uint32_t>(names.size()));
    names.insert(names.end(), s.name.begin(), s.name.end());
    names.push_back(0);
  }
  const auto shstrtab_name = static_cast<uint32_t>(names.size());
  const std::string shstrtab = ".shstrtab";
  names.insert(names.end(), shstrtab.begin(), shstrtab.end());
  names.push_back(0);
  const bool with_sections = !sections_.empty();
  const uint32_t names_off = data_end;
  const uint32_t shoff =
      with_sections ? align16(names_off + static_cast<uint32_t>(names.size())) : 0;
  const auto shnum = static_cast<uint16_t>(with_sections ? sections_.size() + 2 : 0);

  ByteWriter w;
  const uint8_t ident[16] = {0x7F, 'E', 'L', 'F', 1, 1, 1, 0};
  w.bytes(ident);
  w.u16(2);  // ET_EXEC
  w.u16(machine_);
  w.u32(1);
  w.u32(entry_);
  w.u32(kEhdr);
  w.u32(shoff);
  w.u32(0x05000200);  // EF_ARM_EABI_VER5 | hard-float ABI
  w.u16(kEhdr);
  w.u16(kPhdr);
  w.u16(static_cast<uint16_t>(nseg));
  w.u16(kShdr);
  w.u16(shnum);
  w.u16(with_sections ? static_cast<uint16_t>(shnum - 1) : 0);
  for (size_t i = 0; i < segments_.size(); ++i) {
    const ElfSegment& s = segments_[i];
    const auto filesz = static_cast<uint32_t>(s.data.size());
    for (uint32_t v : {s.type, segment_offset(i), s.vaddr.value_or(s.paddr), s.paddr, filesz,
                       s.memsz.value_or(filesz), s.flags, s.align})
      w.u32(v);
  }
  for (size_t i = 0; i < segments_.size(); ++i) {
    w.zeros(segment_offset(i) - w.size());
    w.bytes(segments_[i].data);
  }
  w.zeros(names_off - w.size());
  if (with_sections) {
    w.bytes(names);
    w.zeros(shoff - w.size());
    w.zeros(kShdr);  // SHN_UNDEF
    for (size_t i = 0; i < sections_.size(); ++i) {
      const ElfSection& s = sections_[i];
      const ElfSegment& seg = segments_[s.segment];
      for (uint32_t v : {name_offsets[i], s.type, s.flags, seg.vaddr.value_or(seg.paddr) + s.offset,
                         segment_offset(s.segment) + s.offset, s.size, 0u, 0u, 4u, 0u})
        w.u32(v);
    }
    for (uint32_t v : {shstrtab_name, 3u, 0u, 0u, names_off, static_cast<uint32_t>(names.size()),
                       0u, 0u, 1u, 0u})
      w.u32(v);
  }
  return w.take();
}

std::vector<uint8_t> demo_resource_table() {
  RscTableBuilder rsc;
  rsc.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0);
  rsc.add_trace(0x80a00400, 0x400, "cm33_trace");
  return rsc.build();
}

std::vector<uint8_t> normal_world_resource_table() {
  RscTableBuilder rsc;
  rsc.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0);
  rsc.add_trace(0x81201000, 0x400, "cm33_trace");
  return rsc.build();
}

std::vector<uint8_t> make_firmware(size_t code_size, const std::vector<uint8_t>& rsc_table) {
  ElfBuilder b;
  std::vector<uint8_t> code(code_size < 64 ? 64 : code_size);
  for (size_t i = 0; i < code.size(); ++i) code[i] = static_cast<uint8_t>(i * 7 + (i >> 8));
  // Vector table: initial SP at the top of the data region, reset handler (Thumb) after it.
  const uint32_t sp = 0x80E00000, pc = 0x80100041;
  for (int i = 0; i < 4; ++i) {
    code[static_cast<size_t>(i)] = static_cast<uint8_t>(sp >> (8 * i));
    code[static_cast<size_t>(4 + i)] = static_cast<uint8_t>(pc >> (8 * i));
  }
  b.entry(pc);
  const size_t text = b.add_segment({.paddr = 0x80100000, .data = code, .flags = 5});
  b.add_section({.name = ".isr_vector", .segment = text, .offset = 0, .size = 0x40});
  b.add_section({.name = ".text",
                 .flags = 6,
                 .segment = text,
                 .offset = 0x40,
                 .size = static_cast<uint32_t>(code.size() - 0x40)});
  // The STM32MP25 layout leaves 9 MiB for the code; a bigger code segment pushes the data and
  // resource-table segments up (1 MiB aligned) so that segments never overlap.
  uint32_t data_addr = 0x80A00000, rsc_addr = 0x81200000;
  const uint64_t code_end = uint64_t{0x80100000} + code.size();
  if (code_end > data_addr) {
    data_addr = static_cast<uint32_t>((code_end + 0xFFFFF) & ~uint64_t{0xFFFFF});
    rsc_addr = data_addr + 0x100000;
  }
  std::vector<uint8_t> data(0x100, 0xA5);
  const size_t dseg =
      b.add_segment({.paddr = data_addr, .data = data, .memsz = 0x1000, .flags = 6});
  b.add_section({.name = ".data", .flags = 3, .segment = dseg, .offset = 0, .size = 0x100});
  if (!rsc_table.empty()) {
    const size_t rseg = b.add_segment({.paddr = rsc_addr, .data = rsc_table, .flags = 4});
    b.add_section({.name = ".resource_table",
                   .segment = rseg,
                   .offset = 0,
                   .size = static_cast<uint32_t>(rsc_table.size())});
  }
  return b.build();
}

}  // namespace rproctee::test
