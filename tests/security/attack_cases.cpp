#include "security/attack_cases.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"
#include "image/format.hpp"
#include "support/elf_builder.hpp"
#include "support/rsc_builder.hpp"

namespace rproctee::test::attack {

namespace {

using Bytes = std::vector<uint8_t>;
using Base = std::function<Bytes()>;
using Mutation = std::function<void(RawImage&)>;
namespace tlv = image::tlv;

constexpr TeeCode kBadFormat = TeeCode::kBadFormat;
constexpr TeeCode kBadParameters = TeeCode::kBadParameters;
constexpr TeeCode kNoData = TeeCode::kNoData;
constexpr TeeCode kSecurity = TeeCode::kSecurity;

/// The value of TLV `type` of an unchanged image (std::invalid_argument when absent).
const Bytes& tlv_value(const RawImage& u, uint32_t type) {
  for (const auto& [t, value] : u.tlvs)
    if (t == type) return value;
  throw std::invalid_argument("no TLV " + std::to_string(type));
}

/// Throws when a precondition on the unchanged input no longer holds (the vectors changed).
void require(bool holds, const char* what) {
  if (!holds) throw std::logic_error(std::string("attack precondition failed: ") + what);
}

// ---- Class 7: TLVs -------------------------------------------------------------------------

/// A raw TLV header (type, length) followed by `value` bytes, no padding.
Bytes raw_tlv(uint32_t type, uint32_t length, const Bytes& value) {
  ByteWriter w;
  w.u32(type);
  w.u32(length);
  w.bytes(value);
  return w.take();
}

/// A re-signed change of the TLV area of `base`, rejected by the check `check`.
ImageAttack resigned_tlvs(std::string name, Base base, Mutation mutate, TeeCode code,
                          Fragment message, std::string check = "TLVs") {
  return {std::move(name),  std::move(base),   std::move(mutate), resigned, code,
          std::move(check), std::move(message)};
}

/// The attacks on the TLV walk (H4): trailing bytes, overruns, padding, duplicates.
void add_walk_attacks(std::vector<ImageAttack>& rows) {
  for (size_t n = 1; n < 8; ++n)
    rows.push_back(resigned_tlvs(
        fmt::format("TrailingBytesTooShortForATlvHeader_{}", n), single_image,
        [n](RawImage& raw) { raw.extra_tlv_bytes.assign(n, 0xEE); }, kBadFormat,
        [n](const RawImage& u) {
          const uint32_t at = tlv_len(u);
          return fmt::format(
              "TLV area: {} trailing bytes at offset {:#x} are too short for a TLV header "
              "(tlv_len {})",
              n, at, at + n);
        }));
  rows.push_back(resigned_tlvs(
      "TrailingZeroBytesAreATlvOfUnknownType0", single_image,
      [](RawImage& raw) { raw.extra_tlv_bytes.assign(8, 0); }, kBadFormat,
      [](const RawImage& u) {
        return fmt::format(
            "TLV type 0x0 at offset {:#x} is neither a known type nor in the platform range",
            tlv_len(u));
      }));
  rows.push_back(resigned_tlvs(
      "TlvOverrunningTheArea", single_image,
      [](RawImage& raw) { raw.extra_tlv_bytes = raw_tlv(0x10010, 100, Bytes(8, 0x55)); },
      kBadFormat,
      [](const RawImage& u) {
        const uint32_t at = tlv_len(u), area = at + 16;
        return fmt::format(
            "TLV 0x10010 at offset {:#x}: length 100 runs {} bytes past tlv_len ({})", at,
            at + 8 + 100 - area, area);
      }));
  rows.push_back(resigned_tlvs(
      "TlvLengthFFFFFFFF", single_image,
      [](RawImage& raw) { raw.extra_tlv_bytes = raw_tlv(tlv::kPKeyInfo, 0xFFFFFFFF, Bytes(8, 0)); },
      kBadFormat,
      [](const RawImage& u) {
        return fmt::format("TLV PKEYINFO (0x11) at offset {:#x}: length 4294967295 runs",
                           tlv_len(u));
      }));
  rows.push_back(resigned_tlvs(
      "KnownTlvOverrunningTheArea", single_image,
      [](RawImage& raw) {  // the last TLV (HASHTABLE) claims 8 more bytes than the area holds
        const Bytes table = raw.tlv(tlv::kHashTable);
        raw.remove_tlv(tlv::kHashTable);
        raw.extra_tlv_bytes =
            raw_tlv(tlv::kHashTable, static_cast<uint32_t>(table.size() + 8), table);
      },
      kBadFormat,
      [](const RawImage& u) {
        RawImage without = u;
        without.remove_tlv(tlv::kHashTable);
        return fmt::format(
            "TLV HASHTABLE (0x10) at offset {:#x}: length {} runs 8 bytes past tlv_len ({})",
            tlv_len(without), tlv_value(u, tlv::kHashTable).size() + 8, tlv_len(u));
      }));
  rows.push_back(resigned_tlvs(
      "NonZeroPaddingAfterAValue", single_image,
      [](RawImage& raw) {
        raw.extra_tlv_bytes = raw_tlv(0x10010, 1, {'a', 0, 0, 0, 0, 0, 0, 1});
      },
      kBadFormat,
      [](const RawImage& u) {
        return fmt::format("TLV 0x10010 at offset {:#x}: padding after the value is not zero",
                           tlv_len(u));
      }));
  rows.push_back(resigned_tlvs(
      "DuplicateSignType", single_image,
      [](RawImage& raw) { raw.tlvs.emplace_back(tlv::kSignType, Bytes{1}); }, kBadFormat,
      [](const RawImage& u) {
        return fmt::format("TLV SIGNTYPE (0x1) appears twice (offsets 0x0 and {:#x})", tlv_len(u));
      }));
  rows.push_back(resigned_tlvs(
      "DuplicateSignTypeWithAnotherValueFirst", single_image,
      [](RawImage& raw) {  // an ECDSA SIGNTYPE in front of the real one: still a duplicate
        raw.tlvs.insert(raw.tlvs.begin(), {tlv::kSignType, Bytes{2}});
      },
      kBadFormat, "TLV SIGNTYPE (0x1) appears twice (offsets 0x0 and 0x10)"));
  rows.push_back(resigned_tlvs(
      "DuplicateHashTable", single_image,
      [](RawImage& raw) { raw.tlvs.emplace_back(tlv::kHashTable, raw.tlv(tlv::kHashTable)); },
      kBadFormat,
      [](const RawImage& u) {
        // Upstream order: HASHTABLE is the last TLV of the original area.
        const uint32_t at = tlv_len(u);
        const size_t table_size = tlv_value(u, tlv::kHashTable).size();
        return fmt::format("TLV HASHTABLE (0x10) appears twice (offsets {:#x} and {:#x})",
                           at - 8 - table_size, at);
      }));
  rows.push_back(resigned_tlvs(
      "DuplicateNumImg", single_image,
      [](RawImage& raw) { raw.tlvs.emplace_back(tlv::kNumImg, Bytes{1}); }, kBadFormat,
      "TLV NUM_IMG (0x3) appears twice"));
  rows.push_back(resigned_tlvs(
      "DuplicatePlatformTlv", single_image,
      [](RawImage& raw) {
        raw.tlvs.emplace_back(tlv::kBootAddr, le32(0x80100000));
        raw.tlvs.emplace_back(tlv::kBootAddr, le32(0x80a00000));
      },
      kBadFormat, "TLV BOOTADDR (0x10001) appears twice"));
  rows.push_back(resigned_tlvs(
      "UnknownGenericType", single_image,
      [](RawImage& raw) { raw.tlvs.emplace_back(0x20, Bytes{1}); }, kBadFormat,
      [](const RawImage& u) {
        return fmt::format(
            "TLV type 0x20 at offset {:#x} is neither a known type nor in the platform range "
            "0x10000..0x1ffff",
            tlv_len(u));
      }));
}

/// A re-signed TLV of `base` set to `value`.
Mutation set_tlv(uint32_t type, Bytes value) {
  return [type, value](RawImage& raw) { raw.tlv(type) = value; };
}

/// The attacks on lengths and values: BAD_PARAMETERS / NO_DATA / BAD_FORMAT / NOT_SUPPORTED.
void add_value_attacks(std::vector<ImageAttack>& rows) {
  const auto add = [&](std::string name, Base base, Mutation mutate, TeeCode code,
                       Fragment message) {
    rows.push_back(resigned_tlvs(std::move(name), std::move(base), std::move(mutate), code,
                                 std::move(message)));
  };
  add("SignTypeLength2", single_image, set_tlv(tlv::kSignType, {1, 0}), kBadParameters,
      "TLV SIGNTYPE (0x1) is 2 bytes long, expected 1");
  add("SignTypeLength0", single_image, set_tlv(tlv::kSignType, {}), kBadParameters,
      "TLV SIGNTYPE (0x1) is 0 bytes long, expected 1");
  add("SignTypeUnknown", single_image, set_tlv(tlv::kSignType, {3}), TeeCode::kNotSupported,
      "SIGNTYPE is 3: only 1 (RSA PKCS#1 v1.5) and 2 (ECDSA P-256) exist");
  add("HashType2", single_image, set_tlv(tlv::kHashType, {2}), kBadParameters,
      "HASHTYPE is 2: only 1 (SHA-256) exists");
  add("HashTypeLength2", single_image, set_tlv(tlv::kHashType, {1, 1}), kBadParameters,
      "TLV HASHTYPE (0x2) is 2 bytes long, expected 1");
  add("NumImg0", single_image, set_tlv(tlv::kNumImg, {0}), kNoData,
      "NUM_IMG is 0: the image holds no firmware");
  add("NumImgLength2", single_image, set_tlv(tlv::kNumImg, {1, 0}), kBadFormat,
      "TLV NUM_IMG (0x3) is 2 bytes long, expected 1");
  add("NumImgAboveTheLimit", single_image, set_tlv(tlv::kNumImg, {17}), kBadParameters,
      "NUM_IMG is 17, more than the 16 supported");
  add("NumImg2ForOneImage", single_image, set_tlv(tlv::kNumImg, {2}), kBadParameters,
      "IMGTYPE is 1 bytes long but NUM_IMG is 2");
  add("ImgTypeLongerThanNumImg", single_image, set_tlv(tlv::kImgType, {1, 1}), kBadParameters,
      "IMGTYPE is 2 bytes long but NUM_IMG is 1");
  add("ImgTypeEmpty", single_image, set_tlv(tlv::kImgType, {}), kBadParameters,
      "IMGTYPE is 0 bytes long but NUM_IMG is 1");
  add("ImgTypeShorterThanNumImgInMulti", multi_image, set_tlv(tlv::kImgType, {1}), kBadParameters,
      "IMGTYPE is 1 bytes long but NUM_IMG is 2");
  add("ImgTypeUnknownForImage2", multi_image, set_tlv(tlv::kImgType, {1, 3}), kBadFormat,
      "IMGTYPE of image 2 is 3: only 1 (ELF) and 2 (encrypted ELF) exist");
  add("ImgTypeEncryptedWithAHashTable", single_image, set_tlv(tlv::kImgType, {2}), kBadFormat,
      "encrypted images carry ENCTABLE, but a HASHTABLE is present");
  add("ImgTypeMixed", multi_image, set_tlv(tlv::kImgType, {1, 2}), kBadFormat,
      "IMGTYPE mixes plain and encrypted ELF images");
  add(
      "EncTypeWithPlainImages", single_image,
      [](RawImage& raw) { raw.tlvs.emplace_back(tlv::kEncType, Bytes{1}); }, kBadFormat,
      "ENCTYPE is present but IMGTYPE says the images are not encrypted");
  add(
      "EncTableWithPlainImages", single_image,
      [](RawImage& raw) { raw.tlvs.emplace_back(tlv::kEncTable, Bytes(80, 0)); }, kBadFormat,
      "ENCTABLE is present but IMGTYPE says the images are not encrypted");
  add(
      "BootSecValue2", single_image,
      [](RawImage& raw) { raw.tlvs.emplace_back(tlv::kBootSec, le32(2)); }, kBadParameters,
      "BOOTSEC is 2: only 0 (non-secure) and 1 (secure) exist");
  add(
      "BootAddrLength2", single_image,
      [](RawImage& raw) {
        raw.tlvs.emplace_back(tlv::kBootAddr, Bytes{0x00, 0x80});
      },
      kBadParameters, "TLV BOOTADDR (0x10001) is 2 bytes long, expected a 4-byte value");
}

/// IMGSIZE entry `index` of the unchanged image.
uint32_t image_size(const RawImage& u, size_t index) {
  return get_u32(tlv_value(u, tlv::kImgSize), 4 * index);
}

/// "IMGSIZE entries add up to {sum} bytes but the header's img_len is {img_len}".
std::string imgsize_sum(uint64_t sum, uint64_t img_len) {
  return fmt::format("IMGSIZE entries add up to {} bytes but the header's img_len is {}", sum,
                     img_len);
}

void add_image_size_attacks(std::vector<ImageAttack>& rows) {
  rows.push_back(resigned_tlvs(
      "ImgSizeLengthNotFourTimesNumImg", single_image,
      [](RawImage& raw) { raw.tlv(tlv::kImgSize).resize(8, 0); }, kBadParameters,
      "IMGSIZE is 8 bytes long but NUM_IMG 1 needs 4"));
  rows.push_back(resigned_tlvs(
      "ImgSizeSumAboveImgLen", single_image,
      [](RawImage& raw) {
        put_u32(raw.tlv(tlv::kImgSize), 0, get_u32(raw.tlv(tlv::kImgSize), 0) + 8);
      },
      kBadParameters,
      [](const RawImage& u) { return imgsize_sum(image_size(u, 0) + 8, image_size(u, 0)); }));
  rows.push_back(resigned_tlvs(
      "ImgSizeSumBelowImgLen", single_image,
      [](RawImage& raw) {
        put_u32(raw.tlv(tlv::kImgSize), 0, get_u32(raw.tlv(tlv::kImgSize), 0) - 8);
      },
      kBadParameters,
      [](const RawImage& u) { return imgsize_sum(image_size(u, 0) - 8, image_size(u, 0)); }));
  rows.push_back(resigned_tlvs(
      "ImgSizeSumMismatchThroughImage2", multi_image,
      [](RawImage& raw) {
        put_u32(raw.tlv(tlv::kImgSize), 4, get_u32(raw.tlv(tlv::kImgSize), 4) + 16);
      },
      kBadParameters,
      [](const RawImage& u) {
        const uint64_t sum = uint64_t{image_size(u, 0)} + image_size(u, 1);
        return imgsize_sum(sum + 16, sum);
      }));
  rows.push_back(resigned_tlvs(
      "ImgSizeSplitShiftedBetweenImages", multi_image,
      [](RawImage& raw) {  // the sum still equals img_len, but image 2 starts 8 bytes into its ELF
        auto& sizes = raw.tlv(tlv::kImgSize);
        put_u32(sizes, 0, get_u32(sizes, 0) + 8);
        put_u32(sizes, 4, get_u32(sizes, 4) - 8);
      },
      kBadFormat, "image 2: ELF magic is 00 00 00 00, expected 7f 45 4c 46", "ELF headers"));
  rows.push_back(resigned_tlvs(
      "ImgSizeNotAMultipleOf8", multi_image,
      [](RawImage& raw) {
        auto& sizes = raw.tlv(tlv::kImgSize);
        put_u32(sizes, 0, get_u32(sizes, 0) - 4);
        put_u32(sizes, 4, get_u32(sizes, 4) + 4);
      },
      kBadParameters,
      [](const RawImage& u) {
        return fmt::format("IMGSIZE of image 1 is {}: it must be a non-zero multiple of 8",
                           image_size(u, 0) - 4);
      }));
  rows.push_back(resigned_tlvs(
      "ImgSizeZeroForImage1", multi_image,
      [](RawImage& raw) {
        auto& sizes = raw.tlv(tlv::kImgSize);
        put_u32(sizes, 4, get_u32(sizes, 0) + get_u32(sizes, 4));
        put_u32(sizes, 0, 0);
      },
      kBadParameters, "IMGSIZE of image 1 is 0: it must be a non-zero multiple of 8"));
}

void add_presence_attacks(std::vector<ImageAttack>& rows) {
  const std::pair<uint32_t, const char*> required[] = {{tlv::kHashType, "HASHTYPE (0x2)"},
                                                       {tlv::kNumImg, "NUM_IMG (0x3)"},
                                                       {tlv::kImgType, "IMGTYPE (0x4)"},
                                                       {tlv::kImgSize, "IMGSIZE (0x5)"},
                                                       {tlv::kHashTable, "HASHTABLE (0x10)"}};
  for (const auto& [type, name] : required) {
    const std::string_view label(name);  // "HASHTYPE (0x2)": the row is named by "HASHTYPE"
    rows.push_back(resigned_tlvs(
        fmt::format("RequiredTlvMissing_{}", label.substr(0, label.find(' '))), single_image,
        [type](RawImage& raw) { raw.remove_tlv(type); }, kNoData,
        fmt::format("required TLV {} is missing", name)));
  }
  // The upstream TA answers BAD_PARAMETERS here (not NO_DATA as for the other TLVs).
  rows.push_back(resigned_tlvs(
      "SignTypeMissing", single_image, [](RawImage& raw) { raw.remove_tlv(tlv::kSignType); },
      kBadParameters, "required TLV SIGNTYPE (0x1) is missing"));
  for (const int delta : {-1, 1, -63})
    rows.push_back(resigned_tlvs(
        fmt::format("HashTableNotAMultipleOf64_{}{}", delta < 0 ? "Minus" : "Plus",
                    delta < 0 ? -delta : delta),
        single_image,
        [delta](RawImage& raw) {
          auto& table = raw.tlv(tlv::kHashTable);
          table.resize(static_cast<size_t>(static_cast<long>(table.size()) + delta), 0);
        },
        kBadParameters,
        [delta](const RawImage& u) {
          const auto size = static_cast<long>(tlv_value(u, tlv::kHashTable).size()) + delta;
          return fmt::format("HASHTABLE is {} bytes: it must be a non-zero multiple of 64", size);
        }));
  rows.push_back(resigned_tlvs("HashTableEmpty", single_image, set_tlv(tlv::kHashTable, {}),
                               kBadParameters,
                               "HASHTABLE is 0 bytes: it must be a non-zero multiple of 64"));
  // A well-formed table with fewer (more) entries than the ELF has program headers (H5).
  rows.push_back(resigned_tlvs(
      "HashTableOneEntryShort", single_image,
      [](RawImage& raw) { raw.tlv(tlv::kHashTable).resize(64); }, kSecurity,
      "the images declare 2 program headers (2) but the signed table has 1 entries",
      "program headers"));
  rows.push_back(resigned_tlvs(
      "HashTableOneEntryTooMany", single_image,
      [](RawImage& raw) {
        auto& table = raw.tlv(tlv::kHashTable);
        table.insert(table.end(), table.begin(), table.begin() + 64);
      },
      kSecurity, "the images declare 2 program headers (2) but the signed table has 3 entries",
      "program headers"));
}

// ---- Classes 1 and 2: program headers ---------------------------------------------------

/// An unsigned change of `base`'s program headers, refused by the header comparison (H5).
ImageAttack phdr_change(std::string name, Base base, Mutation mutate, Fragment message,
                        std::string check = "program headers") {
  return {std::move(name), std::move(base),  std::move(mutate), as_is,
          kSecurity,       std::move(check), std::move(message)};
}

/// app_exidx.elf signed with rsa2048: program header 0 is PT_ARM_EXIDX.
Bytes exidx_image() {
  return sign_elfs({vector_elf("app_exidx.elf")}, test_key("rsa2048"));
}

/// "image {image} program header {k} differs from the signed one: {field} is {was ^ 0x10}
/// in the ELF but {was} in the signed table" for every field of every header of multi_image().
void add_every_field_rows(std::vector<ImageAttack>& rows) {
  const char* names[] = {"p_type",   "p_offset", "p_vaddr", "p_paddr",
                         "p_filesz", "p_memsz",  "p_flags", "p_align"};
  for (const auto& [image, header] : kMultiImageHeaders)
    for (size_t f = 0; f < 8; ++f) {
      const auto field = static_cast<Phdr>(f);
      rows.push_back(phdr_change(
          fmt::format("EveryFieldOfEveryHeaderIsCompared_Image{}Header{}_{}", image + 1, header,
                      names[f]),
          multi_image,
          [image, header, field](RawImage& raw) {
            const uint32_t was = get_phdr(raw.images[image], header, field);
            set_phdr(raw.images[image], header, field, was ^ 0x10u);
          },
          [image, header, field, name = names[f]](const RawImage& u) {
            const uint32_t was = get_phdr(u.images[image], header, field);
            return fmt::format(
                "image {} program header {} differs from the signed one: {} is {:#x} in the ELF "
                "but {:#x} in the signed table",
                image + 1, header, name, was ^ 0x10u, was);
          }));
    }
}

// ---- Class 13: ELF headers ------------------------------------------------------------------

struct HeaderMutation {
  const char* name;
  /// Changes the ELF and returns the text the rejection must contain (after "image N: ").
  std::function<std::string(Bytes&)> apply;
};

std::vector<HeaderMutation> header_mutations() {
  auto set8 = [](size_t offset, uint8_t value, std::string needle) {
    return [=](Bytes& elf) {
      elf.at(offset) = value;
      return needle;
    };
  };
  auto with = [](auto change, std::string needle) {
    return [=](Bytes& elf) {
      change(elf);
      return needle;
    };
  };
  return {
      {"BadMagic", set8(3, 'G', "ELF magic is 7f 45 4c 47, expected 7f 45 4c 46")},
      {"ZeroMagic", set8(0, 0, "ELF magic is 00 45 4c 46")},
      {"Elfclass64", set8(ehdr::kClass, 2, "EI_CLASS is 2, expected 1 (ELFCLASS32)")},
      {"ElfclassNone", set8(ehdr::kClass, 0, "EI_CLASS is 0, expected 1")},
      {"BigEndian", set8(ehdr::kData, 2, "EI_DATA is 2, expected 1 (little-endian)")},
      {"IdentVersion0", set8(ehdr::kIdentVersion, 0, "EI_VERSION is 0, expected 1")},
      {"MachineX86_64", with([](Bytes& e) { put_u16(e, ehdr::kMachine, 62); },
                             "e_machine is 62, expected 40 (EM_ARM)")},
      {"MachineAArch64",
       with([](Bytes& e) { put_u16(e, ehdr::kMachine, 183); }, "e_machine is 183, expected 40")},
      {"EVersion0",
       with([](Bytes& e) { put_u32(e, ehdr::kVersion, 0); }, "e_version is 0, expected 1")},
      {"Phentsize56",
       with([](Bytes& e) { put_u16(e, ehdr::kPhentsize, 56); }, "e_phentsize is 56, expected 32")},
      {"Phentsize0", with([](Bytes& e) { put_u16(e, ehdr::kPhentsize, 0); }, "e_phentsize is 0")},
      {"PhoffPastTheImage",
       [](Bytes& e) {
         // The table ends 4 bytes past this image's slot (for image 1: inside image 2's bytes).
         const uint16_t phnum = get_u16(e, ehdr::kPhnum);
         const auto phoff = static_cast<uint32_t>(e.size() - 32u * phnum + 4);
         put_u32(e, ehdr::kPhoff, phoff);
         return fmt::format(
             "program header table (e_phoff {:#x} + {} * 32 bytes) ends past the {:#x}-byte "
             "image",
             phoff, phnum, e.size());
       }},
      {"PhoffWraps", with([](Bytes& e) { put_u32(e, ehdr::kPhoff, 0xFFFFFFF0); },
                          "program header table (e_phoff 0xfffffff0")},
      {"PhnumXnum", with([](Bytes& e) { put_u16(e, ehdr::kPhnum, 0xFFFF); },
                         "e_phnum is 0xffff (PN_XNUM, extended numbering), not supported")},
      {"Phnum0",
       with([](Bytes& e) { put_u16(e, ehdr::kPhnum, 0); }, "e_phnum is 0: no program headers")},
      {"Shentsize64",
       with([](Bytes& e) { put_u16(e, ehdr::kShentsize, 64); }, "e_shentsize is 64, expected 40")},
  };
}

// ---- Class 14: segments ---------------------------------------------------------------------

/// A program-header word of image `image` changed in the ELF and in the signed table, re-signed.
ImageAttack signed_phdr_change(std::string name, Base base, size_t image, size_t phdr, Phdr field,
                               uint32_t value, Fragment message) {
  return {std::move(name),
          std::move(base),
          [=](RawImage& raw) { set_signed_phdr(raw, image, phdr, field, value); },
          resigned,
          kBadFormat,
          "program headers",
          std::move(message)};
}

// ---- Class 12: the resource table -----------------------------------------------------------

/// An unsigned change of the sections of `base`, rejected by the check `check`.
ImageAttack section_change(std::string name, Base base, Mutation mutate, Fragment message,
                           std::string check = "resource table") {
  return {std::move(name), std::move(base),  std::move(mutate), as_is,
          kBadFormat,      std::move(check), std::move(message)};
}

/// Sets words of rsc.elf's .resource_table section header (section 3).
Mutation set_rsc_shdr(std::initializer_list<std::pair<Shdr, uint32_t>> words) {
  const std::vector<std::pair<Shdr, uint32_t>> changes(words);
  return [changes](RawImage& raw) {
    auto& elf = raw.images[0];
    const size_t rsc = section_index(elf, ".resource_table");
    for (const auto& [field, value] : changes) set_shdr(elf, rsc, field, value);
  };
}

/// make_firmware() with the demo table changed by `change` (or `table` itself) as its
/// .resource_table, signed: the malformed table is covered by the signature.
Base firmware_with_table(std::function<Bytes()> table) {
  return [table] { return sign_elfs({make_firmware(0x100, table())}, test_key("rsa2048")); };
}
Base firmware_with_demo_table(std::function<void(Bytes&)> change) {
  return firmware_with_table([change] {
    Bytes table = demo_resource_table();
    change(table);
    return table;
  });
}

/// A malformed table signed in a firmware, rejected by the "resource table" check.
ImageAttack signed_table(std::string name, Base base, Fragment message) {
  return section_change(
      std::move(name), std::move(base), [](RawImage&) {}, std::move(message));
}

void add_signed_table_attacks(std::vector<ImageAttack>& rows) {
  const size_t demo_size = demo_resource_table().size();
  rows.push_back(signed_table("SignedTableWithVersion2",
                              firmware_with_demo_table([](Bytes& t) { put_u32(t, 0, 2); }),
                              "resource table version is 2, expected 1"));
  rows.push_back(signed_table("SignedTableWithReservedWords",
                              firmware_with_demo_table([](Bytes& t) { put_u32(t, 12, 1); }),
                              "resource table reserved words are 0x0 0x1, must be 0"));
  rows.push_back(signed_table(
      "SignedTableWithHugeEntryCount",
      firmware_with_demo_table([](Bytes& t) { put_u32(t, 4, 0x10000000); }),
      fmt::format("resource table has num 268435456 entries: the offset array (1073741824 bytes) "
                  "runs past the {}-byte table",
                  demo_size)));
  rows.push_back(signed_table(
      "SignedTableWithOffsetIntoItsHeader",
      firmware_with_demo_table([](Bytes& t) { put_u32(t, 16, 0); }),
      fmt::format("resource table entry 0 (offset 0x0): offset is outside the entry area [0x18, "
                  "{:#x})",
                  demo_size)));
  rows.push_back(signed_table(
      "SignedTableWithOffsetPastTheEnd", firmware_with_demo_table([](Bytes& t) {
        put_u32(t, 20, static_cast<uint32_t>(t.size() - 2));
      }),
      fmt::format("resource table entry 1 (offset {:#x}): offset is outside the entry area",
                  demo_size - 2)));
  rows.push_back(signed_table(
      "SignedTableWithTruncatedCarveout", firmware_with_table([] {
        Bytes table =
            RscTableBuilder().add_carveout(0x80a00000, 0x80a00000, 0x1000, 0, "buf").build();
        require(table.size() == 76, "a carveout table is 76 bytes");
        table.resize(68);
        return table;
      }),
      "resource table entry 0 (offset 0x14): 56-byte carveout runs past the 68-byte table"));
  rows.push_back(signed_table(
      "SignedTableWithThreeVrings", firmware_with_table([] {
        return RscTableBuilder().add_vdev(7, 0, 1, {{}, {}, {}}, 0).build();
      }),
      "resource table entry 0 (offset 0x14): vdev has 3 vrings, at most 2 are supported"));
  rows.push_back(signed_table(
      "SignedTableWithHugeVdevConfig",
      firmware_with_demo_table([](Bytes& t) { put_u32(t, 0x18 + 20, 0xFFFFFFFF); }),  // config_len
      "resource table entry 0 (offset 0x18): vdev with 2 vrings and config_len 4294967295 runs "
      "past the"));
  rows.push_back(signed_table(
      "SignedTableWithEmptyVring", firmware_with_table([] {
        return RscTableBuilder().add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 0, 0}}, 0).build();
      }),
      "vring 0 has num 0 and align 16: both must be non-zero"));
  rows.push_back(
      signed_table("SignedTableWithTraceReservedField", firmware_with_table([] {
                     Bytes table = RscTableBuilder().add_trace(0x80a00400, 0x400, "trace").build();
                     put_u32(table, 0x14 + 12, 1);
                     return table;
                   }),
                   "resource table entry 0 (offset 0x14): reserved field is 0x1, must be 0"));
}

/// The section-table attacks on image 1 (tfm.elf) and image 2 (rsc.elf) of multi_image().
void add_section_table_attacks(std::vector<ImageAttack>& rows) {
  for (size_t image = 0; image < 2; ++image) {
    const auto row = [&](const char* name, Mutation mutate, Fragment message, const char* check) {
      rows.push_back(section_change(fmt::format("Image{}_{}", image + 1, name), multi_image,
                                    std::move(mutate), std::move(message), check));
    };
    row(
        "ShstrndxEqualToShnum",
        [image](RawImage& raw) {
          put_u16(raw.images[image], ehdr::kShstrndx, get_u16(raw.images[image], ehdr::kShnum));
        },
        [image](const RawImage& u) {
          const uint16_t shnum = get_u16(u.images[image], ehdr::kShnum);
          return fmt::format("image {}: e_shstrndx ({}) is not below e_shnum ({})", image + 1,
                             shnum, shnum);
        },
        "resource table");
    row(
        "ShstrndxXindex",
        [image](RawImage& raw) { put_u16(raw.images[image], ehdr::kShstrndx, 0xFFFF); },
        fmt::format("image {}: e_shstrndx (65535) is not below e_shnum", image + 1),
        "resource table");
    // The table ends 8 bytes past this image's slot; for image 1 those bytes exist (image 2's),
    // but they are not image 1's.
    const auto past_the_image = [image](const Bytes& elf) {
      return static_cast<uint32_t>(elf.size() - 40u * get_u16(elf, ehdr::kShnum) + 8);
    };
    row(
        "SectionTablePastTheImage",
        [image, past_the_image](RawImage& raw) {
          put_u32(raw.images[image], ehdr::kShoff, past_the_image(raw.images[image]));
        },
        [image, past_the_image](const RawImage& u) {
          const Bytes& elf = u.images[image];
          return fmt::format(
              "image {}: section header table (e_shoff {:#x} + {} * 40 bytes) ends past the "
              "{:#x}-byte image",
              image + 1, past_the_image(elf), get_u16(elf, ehdr::kShnum), elf.size());
        },
        "ELF headers");
    row(
        "SectionTableOffsetWraps",
        [image](RawImage& raw) { put_u32(raw.images[image], ehdr::kShoff, 0xFFFFFFF0); },
        fmt::format("image {}: section header table (e_shoff 0xfffffff0", image + 1),
        "ELF headers");
  }
}

}  // namespace

Bytes single_image() {
  return signed_single();
}

Bytes multi_image() {
  return signed_multi();
}

Bytes second_firmware_with_table() {
  ElfBuilder b;
  std::vector<uint8_t> code(0x40, 0x11);
  b.entry(0x80000001);
  const size_t text = b.add_segment({.paddr = 0x80000000, .data = code, .flags = 5});
  b.add_section({.name = ".text", .flags = 6, .segment = text, .offset = 0, .size = 0x40});
  b.add_resource_table(0x80080000, demo_resource_table());
  return b.build();
}

std::vector<ImageAttack> tlv_attacks() {
  std::vector<ImageAttack> rows;
  add_walk_attacks(rows);
  add_value_attacks(rows);
  add_image_size_attacks(rows);
  add_presence_attacks(rows);
  return rows;
}

std::vector<ImageAttack> program_header_attacks() {
  std::vector<ImageAttack> rows;
  const auto pt_null = [](size_t image, size_t header) {
    return [=](RawImage& raw) { set_phdr(raw.images[image], header, Phdr::kType, 0); };
  };
  // Class 1: signed segments omitted (p_type PT_NULL, e_phnum - 1).
  rows.push_back(phdr_change("PtNullHidesTheSecondSegment", single_image, pt_null(0, 1),
                             "image 1 program header 1 differs from the signed one: p_type is 0x0 "
                             "in the ELF but 0x1 in the signed table"));
  rows.push_back(
      phdr_change("PtNullHidesTheFirstSegment", single_image, pt_null(0, 0),
                  "image 1 program header 0 differs from the signed one: p_type is 0x0"));
  rows.push_back(phdr_change(
      "PtNullOnANonLoadHeaderIsAlsoRejected", exidx_image,
      [](RawImage& raw) {  // program header 0 is PT_ARM_EXIDX, which is in the signed table too
        require(get_phdr(raw.images[0], 0, Phdr::kType) == 0x70000001u,
                "app_exidx.elf's program header 0 is PT_ARM_EXIDX");
        set_phdr(raw.images[0], 0, Phdr::kType, 0);
      },
      "image 1 program header 0 differs from the signed one: p_type is 0x0 in the ELF but "
      "0x70000001 in the signed table"));
  rows.push_back(
      phdr_change("PtNullInImage2", multi_image, pt_null(1, 1),
                  "image 2 program header 1 differs from the signed one: p_type is 0x0"));
  rows.push_back(phdr_change(
      "PhnumMinusOneDropsTheLastSegment", single_image,
      [](RawImage& raw) { put_u16(raw.images[0], ehdr::kPhnum, 1); },
      "the images declare 1 program headers (1) but the signed table has 2 entries"));
  rows.push_back(phdr_change(
      "PhnumMinusOneInImage2", multi_image,
      [](RawImage& raw) { put_u16(raw.images[1], ehdr::kPhnum, 1); },
      "the images declare 2 program headers (1 + 1) but the signed table has 3 entries"));
  rows.push_back(phdr_change(
      "PhnumMovedFromImage2ToImage1KeepsTheTotalButNotTheSlices", multi_image,
      [](RawImage& raw) {
        // 1 + 2 becomes 2 + 1: the count matches, but image 1's second "header" (zeros after
        // its table) is compared with the signed entry that belongs to image 2.
        put_u16(raw.images[0], ehdr::kPhnum, 2);
        put_u16(raw.images[1], ehdr::kPhnum, 1);
      },
      "image 1 program header 1 differs from the signed one"));
  // Class 2: duplicated / swapped / moved program headers.
  rows.push_back(phdr_change(
      "DuplicatedProgramHeaderReplacesAnother", single_image,
      [](RawImage& raw) {
        auto& img = raw.images[0];
        copy_bytes(img, phdr_offset(img, 0), phdr_offset(img, 1), 32);
      },
      "image 1 program header 1 differs from the signed one: p_offset is 0x1000 in the ELF but "
      "0x2000 in the signed table"));
  rows.push_back(phdr_change(
      "DuplicatedProgramHeaderAppended", single_image,
      [](RawImage& raw) {  // e_phnum + 1 with a copy of header 1 after the table (zero padding)
        auto& img = raw.images[0];
        copy_bytes(img, phdr_offset(img, 1), phdr_offset(img, 2), 32);
        put_u16(img, ehdr::kPhnum, 3);
      },
      "the images declare 3 program headers (3) but the signed table has 2 entries"));
  rows.push_back(phdr_change(
      "SwappedProgramHeaders", single_image,
      [](RawImage& raw) {
        auto& img = raw.images[0];
        const Bytes first(img.begin() + static_cast<long>(phdr_offset(img, 0)),
                          img.begin() + static_cast<long>(phdr_offset(img, 1)));
        copy_bytes(img, phdr_offset(img, 1), phdr_offset(img, 0), 32);
        std::copy(first.begin(), first.end(), img.begin() + static_cast<long>(phdr_offset(img, 1)));
      },
      "image 1 program header 0 differs from the signed one: p_offset is 0x2000 in the ELF but "
      "0x1000 in the signed table"));
  rows.push_back(phdr_change(
      "MovedSegmentWhoseBytesStillMatchTheDigest", single_image,
      [](RawImage& raw) {
        // The segment's bytes are copied to an unsigned spot and p_offset points there: the
        // digest of the bytes at the new offset is the signed one, only the header comparison
        // catches it.
        auto& img = raw.images[0];
        copy_bytes(img, get_phdr(img, 0, Phdr::kOffset), kUnsignedSpot,
                   get_phdr(img, 0, Phdr::kFilesz));
        set_phdr(img, 0, Phdr::kOffset, kUnsignedSpot);
      },
      "image 1 program header 0 differs from the signed one: p_offset is 0x20e8 in the ELF but "
      "0x1000 in the signed table"));
  rows.push_back(phdr_change(
      "MovedLoadAddress", single_image,
      [](RawImage& raw) {  // upstream matches headers to the table by p_paddr: caught here
        set_phdr(raw.images[0], 0, Phdr::kPaddr, 0x80200000);
      },
      "image 1 program header 0 differs from the signed one: p_paddr is 0x80200000 in the ELF "
      "but 0x80100000 in the signed table"));
  add_every_field_rows(rows);
  rows.push_back(phdr_change(
      "TableMovedByEPhoffAndReordered", single_image,
      [](RawImage& raw) {
        auto& img = raw.images[0];
        copy_bytes(img, phdr_offset(img, 1), kUnsignedSpot, 32);
        copy_bytes(img, phdr_offset(img, 0), kUnsignedSpot + 32, 32);
        put_u32(img, ehdr::kPhoff, kUnsignedSpot);
      },
      "image 1 program header 0 differs from the signed one: p_offset is 0x2000"));
  rows.push_back(phdr_change(
      "SegmentBytesChangedAfterSigning", multi_image,
      [](RawImage& raw) {  // not a header attack: the last line of defence behind it
        raw.images[1][get_phdr(raw.images[1], 1, Phdr::kOffset) + 4] ^= 1;
      },
      "image 2 segment 1 (LOAD at 0x80a00000, 0x8c bytes): SHA-256 is", "segment digests"));
  return rows;
}

std::vector<ImageAttack> elf_header_attacks() {
  std::vector<ImageAttack> rows;
  for (size_t image = 0; image < 2; ++image)
    for (const HeaderMutation& m : header_mutations())
      rows.push_back({fmt::format("Image{}_{}", image + 1, m.name), multi_image,
                      [image, apply = m.apply](RawImage& raw) { apply(raw.images[image]); }, as_is,
                      kBadFormat, "ELF headers",
                      [image, apply = m.apply](const RawImage& u) {
                        Bytes elf =
                            u.images[image];  // the needle may quote the unchanged image's values
                        return fmt::format("image {}: {}", image + 1, apply(elf));
                      }});
  return rows;
}

std::vector<ImageAttack> segment_attacks() {
  return {
      signed_phdr_change("MemszSmallerThanFilesz", single_image, 0, 1, Phdr::kMemsz, 0x8b,
                         "image 1 segment 1: p_filesz (0x8c) is larger than p_memsz (0x8b)"),
      signed_phdr_change("MemszZeroWithFileBytes", single_image, 0, 0, Phdr::kMemsz, 0,
                         "image 1 segment 0: p_filesz (0x90) is larger than p_memsz (0x0)"),
      signed_phdr_change("MemszSmallerThanFileszInImage2", multi_image, 1, 1, Phdr::kMemsz, 0x10,
                         "image 2 segment 1: p_filesz (0x8c) is larger than p_memsz (0x10)"),
      signed_phdr_change("OverlappingSegmentsInOneImage", single_image, 0, 1, Phdr::kPaddr,
                         0x80100080,
                         "segments overlap: image 1 segment 0 [0x80100000, 0x80100090) and image "
                         "1 segment 1 [0x80100080, 0x80100510)"),
      signed_phdr_change("OverlappingSegmentsAcrossImages", multi_image, 0, 0, Phdr::kPaddr,
                         0x800FFF00,
                         "segments overlap: image 1 segment 0 [0x800fff00, 0x8010002c) and image "
                         "2 segment 0 [0x80100000, 0x80100090)"),
      // tfm's .bss (p_memsz) is grown to end one byte inside image 2's first segment.
      signed_phdr_change("OverlapThroughBssByOneByte", multi_image, 0, 0, Phdr::kMemsz, 0x100001,
                         "segments overlap: image 1 segment 0 [0x80000000, 0x80100001) and image "
                         "2 segment 0 [0x80100000, 0x80100090)"),
      signed_phdr_change("AddressWrapsPast4GiB", single_image, 0, 0, Phdr::kPaddr, 0xFFFFFF80,
                         "image 1 segment 0: p_paddr (0xffffff80) + p_memsz (0x90) wraps past 4 "
                         "GiB"),
      signed_phdr_change("HugeMemszWrapsPast4GiBInImage2", multi_image, 1, 1, Phdr::kMemsz,
                         0xFFFFFFFF,
                         "image 2 segment 1: p_paddr (0x80a00000) + p_memsz (0xffffffff) wraps "
                         "past 4 GiB"),
      // Image 1's segment is made to end inside image 2's bytes: the bytes exist in the file
      // but not in image 1's IMGSIZE slot.
      {"FileBytesPastTheImageSlot", multi_image,
       [](RawImage& raw) {
         const auto offset = static_cast<uint32_t>(raw.images[0].size() - 0x10);
         set_signed_phdr(raw, 0, 0, Phdr::kOffset, offset);
       },
       resigned, kBadFormat, "program headers",
       [](const RawImage& u) {
         return fmt::format(
             "image 1 segment 0: p_offset ({:#x}) + p_filesz (0x2c) is past the image size "
             "({:#x})",
             u.images[0].size() - 0x10, u.images[0].size());
       }},
  };
}

std::vector<ImageAttack> boot_address_attacks() {
  const auto signed_with_boot_address = [](uint32_t address) -> Base {
    return [address] {
      SignOptions options;
      options.platform.push_back({image::tlv::kBootAddr, le32(address)});
      return sign_elfs({vector_elf("rsc.elf")}, test_key("rsa2048"), options);
    };
  };
  const auto row = [&](const char* name, uint32_t address, Fragment message) {
    return ImageAttack{name,
                       signed_with_boot_address(address),
                       [](RawImage&) {},
                       as_is,
                       kBadParameters,
                       "boot address",
                       std::move(message)};
  };
  return {
      row("UnalignedBootAddress", 0x80100004, "boot address 0x80100004 is not 128-byte aligned"),
      row("BootAddressInBssHasNoSignedBytes", 0x80A00100,
          "boot address 0x80a00100: its initial SP and PC are not inside the file bytes of any "
          "signed PT_LOAD segment"),
      row("BootAddressOutsideEverySegment", 0x90000000,
          "boot address 0x90000000: its initial SP and PC are not inside"),
  };
}

std::vector<ImageAttack> resource_table_attacks() {
  // rsc.elf's .resource_table is section 3, at file offset 0x2000 (0x8c bytes) at the start
  // of segment 1 (0x80a00000, file bytes [0x2000, 0x208c)).
  std::vector<ImageAttack> rows = {
      // Location: outside the loaded segments, into code, oversized.
      section_change("PointsIntoUnsignedFileBytes", single_image,
                     set_rsc_shdr({{Shdr::kOffset, kUnsignedSpot}}),  // .symtab: in no segment
                     "image 1 section 3 (.resource_table): file range [0x20e8, 0x2174) is not "
                     "inside the file bytes of a signed PT_LOAD segment of this image"),
      section_change("PointsIntoBssWhichHasNoFileBytes", single_image,
                     set_rsc_shdr({{Shdr::kOffset, 0x208C}, {Shdr::kAddr, 0x80A0008C}}),
                     "file range [0x208c, 0x2118) is not inside the file bytes of a signed "
                     "PT_LOAD segment"),
      section_change("PointsPastTheImageAndPast4GiB", single_image,
                     set_rsc_shdr({{Shdr::kOffset, 0xFFFFFFA0}}),  // offset + size > 32 bits
                     "file range [0xffffffa0, 0x10000002c) is not inside the file bytes"),
      section_change("RunsPastTheEndOfItsSegment", single_image,
                     set_rsc_shdr({{Shdr::kSize, 0x90}}),
                     "file range [0x2000, 0x2090) is not inside the file bytes"),
      // The file range is fine but sh_addr claims another place: the reported address would
      // not be where the signed bytes are loaded.
      section_change("AddressInconsistentWithItsSegment", single_image,
                     set_rsc_shdr({{Shdr::kAddr, 0x81000000}}),
                     "image 1 section 3 (.resource_table): sh_addr 0x81000000 does not match its "
                     "position in segment 1 (p_vaddr 0x80a00000 + 0x0)"),
      section_change(
          "PointsIntoCode", single_image,
          [](RawImage& raw) {
            require(section_index(raw.images[0], ".text") == 2, "rsc.elf's .text is section 2");
            set_rsc_shdr({{Shdr::kOffset, 0x1040}, {Shdr::kAddr, 0x80100040}, {Shdr::kSize, 0x50}})(
                raw);
          },
          "image 1 section 3 (.resource_table): file range [0x1040, 0x1090) overlaps code "
          "section 2 (.text)"),
      section_change(  // .isr_vector (0x40) + 1 byte of .text
          "OverlapsTheStartOfCode", single_image,
          set_rsc_shdr({{Shdr::kOffset, 0x1000}, {Shdr::kAddr, 0x80100000}, {Shdr::kSize, 0x41}}),
          "file range [0x1000, 0x1041) overlaps code section 2 (.text)"),
      section_change(
          "MarkedExecutable", single_image,
          [](RawImage& raw) {
            auto& elf = raw.images[0];
            const size_t rsc = section_index(elf, ".resource_table");
            set_shdr(elf, rsc, Shdr::kFlags, get_shdr(elf, rsc, Shdr::kFlags) | 4u);
          },
          "image 1 section 3 (.resource_table): marked executable (SHF_EXECINSTR)"),
      section_change("Nobits", single_image, set_rsc_shdr({{Shdr::kType, 8}}),
                     "(.resource_table): SHT_NOBITS, the table has no file bytes"),
      section_change("Oversized65537", single_image, set_rsc_shdr({{Shdr::kSize, 0x10001}}),
                     "(.resource_table): 65537 bytes, more than the 65536-byte limit"),
      section_change("Oversized4294967295", single_image, set_rsc_shdr({{Shdr::kSize, 0xFFFFFFFF}}),
                     "(.resource_table): 4294967295 bytes, more than the 65536-byte limit"),
      section_change("SmallerThanItsHeader", single_image, set_rsc_shdr({{Shdr::kSize, 8}}),
                     "resource table is 8 bytes, smaller than its 16-byte header"),
      // Names.
      section_change(
          "NameWithoutNul", single_image,
          [](RawImage& raw) {  // the name table is cut right before the NUL of ".resource_table"
            auto& elf = raw.images[0];
            const size_t names = get_u16(elf, ehdr::kShstrndx);
            const size_t rsc = section_index(elf, ".resource_table");
            const uint32_t name = get_shdr(elf, rsc, Shdr::kName);
            for (size_t i = 1; i < rsc; ++i)
              require(get_shdr(elf, i, Shdr::kName) < name, "earlier names come first");
            set_shdr(elf, names, Shdr::kSize, name + 15);
          },
          [](const RawImage& u) {
            const auto& elf = u.images[0];
            return fmt::format("image 1: section 3 name at offset {:#x} has no terminating NUL",
                               get_shdr(elf, section_index(elf, ".resource_table"), Shdr::kName));
          }),
      section_change("NameOffsetPastTheNameTable", single_image,
                     set_rsc_shdr({{Shdr::kName, 0x1000}}),
                     [](const RawImage& u) {
                       const auto& elf = u.images[0];
                       return fmt::format(
                           "image 1: section 3 name offset 0x1000 is past the {}-byte name table",
                           get_shdr(elf, get_u16(elf, ehdr::kShstrndx), Shdr::kSize));
                     }),
      section_change(
          "NameTablePastTheImage", single_image,
          [](RawImage& raw) {
            auto& elf = raw.images[0];
            set_shdr(elf, get_u16(elf, ehdr::kShstrndx), Shdr::kOffset, 0xFFFFFF00);
          },
          "image 1: section name table at offset 0xffffff00"),
      section_change(
          "NameTableIsNobits", single_image,
          [](RawImage& raw) {
            auto& elf = raw.images[0];
            set_shdr(elf, get_u16(elf, ehdr::kShstrndx), Shdr::kType, 8);
          },
          [](const RawImage& u) {
            return fmt::format("image 1: section name table (section {}) is SHT_NOBITS",
                               get_u16(u.images[0], ehdr::kShstrndx));
          }),
      // Two tables.
      section_change(
          "TwoTablesInOneImage", single_image,
          [](RawImage& raw) {  // .isr_vector (section 1, inside segment 0) renamed .resource_table
            auto& elf = raw.images[0];
            set_shdr(elf, 1, Shdr::kName,
                     get_shdr(elf, section_index(elf, ".resource_table"), Shdr::kName));
          },
          "image 1 section 3 (.resource_table): a second resource table (the first is in image "
          "1)"),
      section_change(
          "TwoTablesAcrossImagesSecondInRscElf",
          [] {
            return sign_elfs({second_firmware_with_table(), vector_elf("rsc.elf")},
                             test_key("rsa2048"));
          },
          [](RawImage&) {},
          "image 2 section 3 (.resource_table): a second resource table (the first is in image "
          "1)"),
      section_change(
          "TwoTablesAcrossImagesSecondInBuiltElf",
          [] {
            return sign_elfs({vector_elf("rsc.elf"), second_firmware_with_table()},
                             test_key("rsa2048"));
          },
          [](RawImage&) {},
          "image 2 section 2 (.resource_table): a second resource table (the first is in image "
          "1)"),
  };
  add_section_table_attacks(rows);
  add_signed_table_attacks(rows);
  return rows;
}

}  // namespace rproctee::test::attack
