#include "image/elf32.hpp"

#include <algorithm>
#include <cstring>

#include "common/byte_reader.hpp"

namespace rproctee::image {

namespace {
using elf::kElfClass32;
using elf::kElfData2Lsb;
using elf::kEvCurrent;

Elf32Shdr decode_shdr(std::span<const uint8_t, elf::kShdrSize> b) {
  auto w = [&](size_t i) { return load_le<uint32_t>(b.subspan(i * 4).first<4>()); };
  return Elf32Shdr{w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7), w(8), w(9)};
}
}  // namespace

Elf32Phdr decode_phdr(std::span<const uint8_t, elf::kPhdrSize> b) {
  auto w = [&](size_t i) { return load_le<uint32_t>(b.subspan(i * 4).first<4>()); };
  return Elf32Phdr{w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7)};
}

void encode_phdr(const Elf32Phdr& p, ByteWriter& out) {
  for (uint32_t v : {p.type, p.offset, p.vaddr, p.paddr, p.filesz, p.memsz, p.flags, p.align})
    out.u32(v);
}

void encode_shdr(const Elf32Shdr& s, ByteWriter& out) {
  for (uint32_t v :
       {s.name, s.type, s.flags, s.addr, s.offset, s.size, s.link, s.info, s.addralign, s.entsize})
    out.u32(v);
}

std::string phdr_type_name(uint32_t type) {
  switch (type) {
    case 0:
      return "NULL";
    case 1:
      return "LOAD";
    case 2:
      return "DYNAMIC";
    case 3:
      return "INTERP";
    case 4:
      return "NOTE";
    case 6:
      return "PHDR";
    case 7:
      return "TLS";
    case 0x6474e551:
      return "GNU_STACK";
    case 0x70000000:
      return "ARM_ARCHEXT";
    case elf::kPtArmExidx:
      return "ARM_EXIDX";
    default:
      return fmt::format("{:#x}", type);
  }
}

std::string phdr_flags_string(uint32_t flags) {
  std::string s;
  s += (flags & elf::kPfR) ? 'R' : '-';
  s += (flags & elf::kPfW) ? 'W' : '-';
  s += (flags & elf::kPfX) ? 'X' : '-';
  return s;
}

Result<Elf32View> Elf32View::parse(std::span<const uint8_t> image, std::string name) {
  const auto bad = TeeCode::kBadFormat;
  ByteReader in(image, name, bad);
  if (image.size() < elf::kEhdrSize)
    return make_error(bad, "{}: {} bytes is too small for an ELF header ({} bytes)", name,
                      image.size(), elf::kEhdrSize);
  Elf32View v;
  v.image_ = image;
  v.name_ = std::move(name);
  Elf32Header& h = v.header_;
  std::copy_n(image.begin(), 16, h.ident.begin());
  static constexpr uint8_t kMagic[4] = {0x7F, 'E', 'L', 'F'};
  if (std::memcmp(h.ident.data(), kMagic, 4) != 0)
    return make_error(bad, "{}: ELF magic is {:02x} {:02x} {:02x} {:02x}, expected 7f 45 4c 46",
                      v.name_, h.ident[0], h.ident[1], h.ident[2], h.ident[3]);
  if (h.ident[4] != kElfClass32)
    return make_error(bad, "{}: EI_CLASS is {}, expected 1 (ELFCLASS32){}", v.name_, h.ident[4],
                      h.ident[4] == 2 ? ": 64-bit ELF files cannot run on a Cortex-M" : "");
  if (h.ident[5] != kElfData2Lsb)
    return make_error(bad, "{}: EI_DATA is {}, expected 1 (little-endian)", v.name_, h.ident[5]);
  if (h.ident[6] != kEvCurrent)
    return make_error(bad, "{}: EI_VERSION is {}, expected 1", v.name_, h.ident[6]);

  RPROCTEE_ASSIGN(h.type, in.u16(16, "e_type"));
  RPROCTEE_ASSIGN(h.machine, in.u16(18, "e_machine"));
  RPROCTEE_ASSIGN(h.version, in.u32(20, "e_version"));
  RPROCTEE_ASSIGN(h.entry, in.u32(24, "e_entry"));
  RPROCTEE_ASSIGN(h.phoff, in.u32(28, "e_phoff"));
  RPROCTEE_ASSIGN(h.shoff, in.u32(32, "e_shoff"));
  RPROCTEE_ASSIGN(h.flags, in.u32(36, "e_flags"));
  RPROCTEE_ASSIGN(h.ehsize, in.u16(40, "e_ehsize"));
  RPROCTEE_ASSIGN(h.phentsize, in.u16(42, "e_phentsize"));
  RPROCTEE_ASSIGN(h.phnum, in.u16(44, "e_phnum"));
  RPROCTEE_ASSIGN(h.shentsize, in.u16(46, "e_shentsize"));
  RPROCTEE_ASSIGN(h.shnum, in.u16(48, "e_shnum"));
  RPROCTEE_ASSIGN(h.shstrndx, in.u16(50, "e_shstrndx"));

  if (h.machine != elf::kMachineArm)
    return make_error(bad, "{}: e_machine is {}, expected {} (EM_ARM)", v.name_, h.machine,
                      elf::kMachineArm);
  if (h.version != kEvCurrent)
    return make_error(bad, "{}: e_version is {}, expected 1", v.name_, h.version);
  if (h.phentsize != elf::kPhdrSize)
    return make_error(bad, "{}: e_phentsize is {}, expected {}", v.name_, h.phentsize,
                      elf::kPhdrSize);
  if (h.phnum == 0) return make_error(bad, "{}: e_phnum is 0: no program headers", v.name_);
  if (h.phnum == elf::kPnXnum)
    return make_error(bad, "{}: e_phnum is {:#x} (PN_XNUM, extended numbering), not supported",
                      v.name_, h.phnum);
  const uint64_t ph_size = uint64_t{h.phnum} * elf::kPhdrSize;
  if (!in.contains(h.phoff, ph_size))
    return make_error(bad,
                      "{}: program header table (e_phoff {:#x} + {} * {} bytes) ends past "
                      "the {:#x}-byte image",
                      v.name_, h.phoff, h.phnum, elf::kPhdrSize, image.size());
  if (h.shnum != 0) {
    if (h.shentsize != elf::kShdrSize)
      return make_error(bad, "{}: e_shentsize is {}, expected {}", v.name_, h.shentsize,
                        elf::kShdrSize);
    if (!in.contains(h.shoff, uint64_t{h.shnum} * elf::kShdrSize))
      return make_error(bad,
                        "{}: section header table (e_shoff {:#x} + {} * {} bytes) ends past "
                        "the {:#x}-byte image",
                        v.name_, h.shoff, h.shnum, elf::kShdrSize, image.size());
  }

  RPROCTEE_ASSIGN(auto table, in.bytes(h.phoff, ph_size, "program header table"));
  v.phdr_table_.assign(table.begin(), table.end());  // the single copy (H1)
  v.phdrs_.reserve(h.phnum);
  for (size_t i = 0; i < h.phnum; ++i)
    v.phdrs_.push_back(
        decode_phdr(std::span(v.phdr_table_).subspan(i * elf::kPhdrSize).first<elf::kPhdrSize>()));
  return v;
}

Result<std::span<const uint8_t>> Elf32View::segment_bytes(const Elf32Phdr& p) const {
  if (!range_fits(p.offset, p.filesz, image_.size()))
    return make_error(TeeCode::kBadFormat,
                      "{}: segment at {:#x}: p_offset ({:#x}) + p_filesz ({:#x}) is past the "
                      "image size ({:#x})",
                      name_, p.paddr, p.offset, p.filesz, image_.size());
  return image_.subspan(p.offset, p.filesz);
}

Result<std::vector<Elf32Section>> Elf32View::sections() const {
  const auto bad = TeeCode::kBadFormat;
  std::vector<Elf32Section> out;
  const Elf32Header& h = header_;
  if (h.shnum == 0) return out;
  if (h.shstrndx >= h.shnum)
    return make_error(bad, "{}: e_shstrndx ({}) is not below e_shnum ({})", name_, h.shstrndx,
                      h.shnum);
  ByteReader in(image_, name_, bad);
  RPROCTEE_ASSIGN(auto table,
                  in.bytes(h.shoff, uint64_t{h.shnum} * elf::kShdrSize, "section header table"));
  const std::vector<uint8_t> copy(table.begin(), table.end());  // single copy (H1)
  out.reserve(h.shnum);
  for (uint32_t i = 0; i < h.shnum; ++i)
    out.push_back(Elf32Section{
        i, {}, decode_shdr(std::span(copy).subspan(i * elf::kShdrSize).first<elf::kShdrSize>())});

  const Elf32Shdr& strtab = out[h.shstrndx].header;
  if (strtab.type == elf::kShtNobits)
    return make_error(bad, "{}: section name table (section {}) is SHT_NOBITS", name_, h.shstrndx);
  RPROCTEE_ASSIGN(auto names_span, in.bytes(strtab.offset, strtab.size, "section name table"));
  const std::vector<uint8_t> names(names_span.begin(), names_span.end());
  for (Elf32Section& s : out) {
    if (s.header.name >= names.size()) {
      if (s.index == 0 && s.header.name == 0) continue;  // SHN_UNDEF with an empty table
      return make_error(bad, "{}: section {} name offset {:#x} is past the {}-byte name table",
                        name_, s.index, s.header.name, names.size());
    }
    const auto begin = names.begin() + s.header.name;
    const auto nul = std::find(begin, names.end(), uint8_t{0});
    if (nul == names.end())
      return make_error(bad, "{}: section {} name at offset {:#x} has no terminating NUL", name_,
                        s.index, s.header.name);
    s.name.assign(begin, nul);
  }
  return out;
}

}  // namespace rproctee::image
