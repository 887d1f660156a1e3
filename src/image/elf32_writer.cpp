#include "image/elf32_writer.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "common/byte_writer.hpp"

namespace rproctee::image {

namespace {

uint64_t align_up(uint64_t value, uint32_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// .shstrtab: "\0", each section's name, then ".shstrtab", each with its NUL.
struct NameTable {
  std::vector<uint8_t> bytes{0};
  std::vector<uint32_t> offsets;  // of each section's name
  uint32_t shstrtab = 0;          // of ".shstrtab"

  explicit NameTable(std::span<const Elf32SectionSpec> sections) {
    for (const Elf32SectionSpec& s : sections) offsets.push_back(add(s.name));
    shstrtab = add(".shstrtab");
  }

 private:
  uint32_t add(std::string_view name) {
    const auto at = static_cast<uint32_t>(bytes.size());
    bytes.insert(bytes.end(), name.begin(), name.end());
    bytes.push_back(0);
    return at;
  }
};

/// The ELF header and the program headers.
std::vector<uint8_t> head(const Elf32FileSpec& spec, const Elf32FileLayout& layout) {
  const bool with_sections = !spec.sections.empty();
  const auto shnum = static_cast<uint16_t>(with_sections ? spec.sections.size() + 2 : 0);
  ByteWriter w;
  // One allocation; without it GCC 12 warns (-Wstringop-overflow, a false positive) on the
  // first insert into the empty buffer.
  w.buffer().reserve(elf::kEhdrSize + elf::kPhdrSize * spec.segments.size());
  const std::array<uint8_t, 16> ident = {
      0x7F, 'E', 'L', 'F', elf::kElfClass32, elf::kElfData2Lsb, elf::kEvCurrent};
  w.bytes(ident);
  w.u16(spec.type);
  w.u16(spec.machine);
  w.u32(elf::kEvCurrent);
  w.u32(spec.entry);
  w.u32(elf::kEhdrSize);  // e_phoff: the program headers follow the ELF header
  w.u32(layout.section_table);
  w.u32(spec.flags);
  w.u16(elf::kEhdrSize);
  w.u16(elf::kPhdrSize);
  w.u16(static_cast<uint16_t>(spec.segments.size()));
  w.u16(with_sections ? static_cast<uint16_t>(elf::kShdrSize) : 0);
  w.u16(shnum);
  w.u16(with_sections ? static_cast<uint16_t>(shnum - 1) : 0);  // .shstrtab is the last
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    Elf32Phdr phdr = spec.segments[i].phdr;
    phdr.offset = layout.segment_offsets[i];
    phdr.filesz = static_cast<uint32_t>(spec.segments[i].bytes.size());
    encode_phdr(phdr, w);
  }
  return w.take();
}

/// The null section, the sections of `spec`, then .shstrtab.
std::vector<uint8_t> section_table(const Elf32FileSpec& spec, const Elf32FileLayout& layout,
                                   const NameTable& names) {
  ByteWriter w;
  w.zeros(elf::kShdrSize);
  for (size_t i = 0; i < spec.sections.size(); ++i) {
    const Elf32SectionSpec& s = spec.sections[i];
    const Elf32Phdr& segment = spec.segments.at(s.segment).phdr;
    encode_shdr({.name = names.offsets[i],
                 .type = s.type,
                 .flags = s.flags,
                 .addr = segment.vaddr + s.offset,
                 .offset = layout.segment_offsets[s.segment] + s.offset,
                 .size = s.size,
                 .addralign = s.addralign},
                w);
  }
  encode_shdr({.name = names.shstrtab,
               .type = elf::kShtStrtab,
               .offset = layout.names_offset,
               .size = static_cast<uint32_t>(names.bytes.size()),
               .addralign = 1},
              w);
  return w.take();
}

/// Copies parts into `out` in increasing offsets, zeroing the gaps between them.
class Placer {
 public:
  explicit Placer(std::span<uint8_t> out) : out_(out) {}
  void put(uint64_t offset, std::span<const uint8_t> bytes) {
    zero_to(offset);
    if (!bytes.empty()) std::memcpy(out_.data() + offset, bytes.data(), bytes.size());
    at_ = offset + bytes.size();
  }
  void finish() { zero_to(out_.size()); }

 private:
  void zero_to(uint64_t offset) {
    std::fill(out_.begin() + static_cast<std::ptrdiff_t>(at_),
              out_.begin() + static_cast<std::ptrdiff_t>(offset), uint8_t{0});
  }
  std::span<uint8_t> out_;
  uint64_t at_ = 0;
};

}  // namespace

Elf32FileLayout elf32_layout(const Elf32FileSpec& spec) {
  Elf32FileLayout layout;
  uint64_t at = elf::kEhdrSize + uint64_t{elf::kPhdrSize} * spec.segments.size();
  for (const Elf32SegmentSpec& s : spec.segments) {
    at = align_up(at, spec.alignment);
    layout.segment_offsets.push_back(static_cast<uint32_t>(at));
    at += s.bytes.size();
  }
  at = align_up(at, spec.alignment);
  if (!spec.sections.empty()) {
    layout.names_offset = static_cast<uint32_t>(at);
    at = align_up(at + NameTable(spec.sections).bytes.size(), spec.alignment);
    layout.section_table = static_cast<uint32_t>(at);
    at += uint64_t{elf::kShdrSize} * (spec.sections.size() + 2);
  }
  layout.size = at;
  return layout;
}

void write_elf32(const Elf32FileSpec& spec, std::span<uint8_t> out) {
  const Elf32FileLayout layout = elf32_layout(spec);
  Placer placer(out.first(static_cast<size_t>(layout.size)));
  placer.put(0, head(spec, layout));
  for (size_t i = 0; i < spec.segments.size(); ++i)
    placer.put(layout.segment_offsets[i], spec.segments[i].bytes);
  if (!spec.sections.empty()) {
    const NameTable names(spec.sections);
    placer.put(layout.names_offset, names.bytes);
    placer.put(layout.section_table, section_table(spec, layout, names));
  }
  placer.finish();
}

std::vector<uint8_t> write_elf32(const Elf32FileSpec& spec) {
  std::vector<uint8_t> out(static_cast<size_t>(elf32_layout(spec).size));
  write_elf32(spec, out);
  return out;
}

}  // namespace rproctee::image
