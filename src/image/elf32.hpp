// A read-only view of a 32-bit little-endian ARM ELF file held in untrusted memory.
// parse() copies the ELF header and the program-header table once (H1); sections() copies the
// section headers and names once. Every later decision uses the copies.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/byte_writer.hpp"
#include "common/result.hpp"

namespace rproctee::image {

namespace elf {
inline constexpr uint8_t kElfClass32 = 1;   // e_ident[EI_CLASS]
inline constexpr uint8_t kElfData2Lsb = 1;  // e_ident[EI_DATA]: little-endian
inline constexpr uint8_t kEvCurrent = 1;    // e_ident[EI_VERSION] and e_version
inline constexpr uint32_t kEhdrSize = 52;
inline constexpr uint32_t kPhdrSize = 32;
inline constexpr uint32_t kShdrSize = 40;
inline constexpr uint16_t kMachineArm = 40;
inline constexpr uint16_t kTypeExec = 2;
inline constexpr uint16_t kTypeCore = 4;
inline constexpr uint16_t kPnXnum = 0xFFFF;
inline constexpr uint32_t kPtNull = 0;
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtNote = 4;
inline constexpr uint32_t kPtArmExidx = 0x70000001;
inline constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;
inline constexpr uint32_t kShtProgbits = 1;
inline constexpr uint32_t kShtStrtab = 3;
inline constexpr uint32_t kShtNobits = 8;
inline constexpr uint32_t kShfWrite = 1;
inline constexpr uint32_t kShfAlloc = 2;
inline constexpr uint32_t kShfExecInstr = 4;
/// e_flags: EF_ARM_EABI_VER5, and the float ABI arm-none-eabi-gcc marks (readelf -h: our
/// firmware is built with -mfloat-abi=soft, "Version5 EABI, soft-float ABI", 0x05000200).
inline constexpr uint32_t kEfArmEabiVer5 = 0x05000000;
inline constexpr uint32_t kEfArmAbiFloatSoft = 0x200;
inline constexpr uint32_t kEfArmAbiFloatHard = 0x400;
}  // namespace elf

/// ELF32 file header fields the loader uses.
struct Elf32Header {
  std::array<uint8_t, 16> ident{};
  uint16_t type = 0, machine = 0;
  uint32_t version = 0, entry = 0, phoff = 0, shoff = 0, flags = 0;
  uint16_t ehsize = 0, phentsize = 0, phnum = 0, shentsize = 0, shnum = 0, shstrndx = 0;
};

/// Elf32_Phdr, in file order.
struct Elf32Phdr {
  uint32_t type = 0, offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, flags = 0, align = 0;
  bool operator==(const Elf32Phdr&) const = default;
};

/// Elf32_Shdr.
struct Elf32Shdr {
  uint32_t name = 0, type = 0, flags = 0, addr = 0, offset = 0, size = 0, link = 0, info = 0,
           addralign = 0, entsize = 0;
};

/// A section with its decoded name.
struct Elf32Section {
  uint32_t index = 0;
  std::string name;
  Elf32Shdr header;
};

/// Decodes 32 bytes as an Elf32_Phdr.
Elf32Phdr decode_phdr(std::span<const uint8_t, elf::kPhdrSize> bytes);
/// Appends the 32-byte encoding of a program header.
void encode_phdr(const Elf32Phdr& phdr, ByteWriter& out);
/// Appends the 40-byte encoding of a section header.
void encode_shdr(const Elf32Shdr& shdr, ByteWriter& out);
/// "LOAD", "ARM_EXIDX", "NOTE", ... or the hex value.
std::string phdr_type_name(uint32_t type);
/// "RWX"-style flags.
std::string phdr_flags_string(uint32_t flags);

/// An ELF32 ARM image inside a byte range (its slot in a signed image, or a whole file).
class Elf32View {
 public:
  /// Checks the ELF header (H6: magic, ELFCLASS32, little-endian, EV_CURRENT, EM_ARM,
  /// e_phentsize 32, at least one and not PN_XNUM program headers, tables inside `image`)
  /// and copies the header and program headers. `name` prefixes errors ("image 2").
  /// Error code: BAD_FORMAT.
  static Result<Elf32View> parse(std::span<const uint8_t> image, std::string name);

  const std::string& name() const { return name_; }
  const Elf32Header& header() const { return header_; }
  const std::vector<Elf32Phdr>& phdrs() const { return phdrs_; }
  /// The program-header table bytes as copied at parse time (32 * e_phnum bytes).
  std::span<const uint8_t> phdr_table() const { return phdr_table_; }
  /// The whole slot the ELF lives in (untrusted memory: do not decide on it twice).
  std::span<const uint8_t> image() const { return image_; }

  /// The file bytes of a segment, [p_offset, p_offset + p_filesz), checked against the slot.
  Result<std::span<const uint8_t>> segment_bytes(const Elf32Phdr& phdr) const;

  /// Section headers with names (copied). No section table -> empty list. Errors on
  /// e_shstrndx >= e_shnum, a name outside the string table, or a name without its NUL.
  Result<std::vector<Elf32Section>> sections() const;

 private:
  std::span<const uint8_t> image_;
  std::string name_;
  Elf32Header header_;
  std::vector<uint8_t> phdr_table_;
  std::vector<Elf32Phdr> phdrs_;
};

}  // namespace rproctee::image
