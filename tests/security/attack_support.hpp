// Shared by the attack-class tests of security.md (tests/security/*_test.cpp, and the TA's in
// tests/tee): the vector inputs, ELF header / program header / section header patching inside
// a RawImage, the assertions "rejected with this code, at this check, with a message naming the
// field", and the row type of the attack tables (security/attack_cases.hpp).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/tee_code.hpp"
#include "image/format.hpp"
#include "image/verify.hpp"
#include "support/image_crafting.hpp"
#include "support/test_data.hpp"

namespace rproctee::test::attack {

/// A file of tests/data/vectors/elf.
inline std::vector<uint8_t> vector_elf(const std::string& name) {
  return read_bytes(vectors_dir() / "elf" / name);
}

/// rsc.elf (2 PT_LOAD, .resource_table) signed with `key`.
inline std::vector<uint8_t> signed_single(const std::string& key = "rsa2048") {
  return sign_elfs({vector_elf("rsc.elf")}, test_key(key));
}

/// tfm.elf (image 1, one PT_LOAD at 0x80000000) + rsc.elf (image 2) signed with `key`.
inline std::vector<uint8_t> signed_multi(const std::string& key = "rsa2048") {
  return sign_elfs({vector_elf("tfm.elf"), vector_elf("rsc.elf")}, test_key(key));
}

/// The report is a rejection with `code`, raised by the check named `check`, whose message
/// contains `needle`.
inline ::testing::AssertionResult Rejected(const image::VerifyReport& r, TeeCode code,
                                           std::string_view check, std::string_view needle) {
  if (r.authentic())
    return ::testing::AssertionFailure() << "accepted (last check: " << r.check << ")";
  auto failure = [&] {
    return ::testing::AssertionFailure()
           << "rejected with " << tee_code_name(r.error.code) << " at check '" << r.check
           << "': " << r.error.message << "\n  expected " << tee_code_name(code) << " at '" << check
           << "' with a message containing '" << needle << "'";
  };
  if (r.error.code != code || r.check != check) return failure();
  if (r.error.message.find(needle) == std::string::npos) return failure();
  return ::testing::AssertionSuccess();
}

/// A signed image's tlv_len: the offset (in the TLV area) where appended TLV bytes start.
inline uint32_t tlv_len(const RawImage& raw) {
  return get_u32(assemble_raw(raw), 8);
}

/// rsc.elf's .symtab: file bytes that no segment covers (so no digest covers them).
inline constexpr size_t kUnsignedSpot = 0x20e8;

/// Copies `size` bytes inside an image (std::out_of_range past its end).
inline void copy_bytes(std::vector<uint8_t>& img, size_t from, size_t to, size_t size) {
  if (from + size > img.size() || to + size > img.size()) throw std::out_of_range("copy_bytes");
  std::copy_n(img.begin() + static_cast<long>(from), size, img.begin() + static_cast<long>(to));
}

// ---- Attack tables ------------------------------------------------------------------------

/// The expected rejection message, or a fragment of it: fixed text, or text that quotes
/// values of the unchanged image (an offset, a size), computed when the test runs.
class Fragment {
 public:
  Fragment(const char* text)
      : Fragment(std::string(text)) {}  // NOLINT(google-explicit-constructor)
  Fragment(std::string text)            // NOLINT(google-explicit-constructor)
      : quote_([text = std::move(text)](const RawImage&) { return text; }) {}
  template <typename Quote>
  requires std::is_invocable_r_v<std::string, const Quote&, const RawImage&> Fragment(Quote quote)
      : quote_(std::move(quote)) {}  // NOLINT(google-explicit-constructor)

  std::string operator()(const RawImage& unchanged) const { return quote_(unchanged); }

 private:
  std::function<std::string(const RawImage&)> quote_;
};

/// How an attacked RawImage becomes a file.
using Seal = std::function<std::vector<uint8_t>(const RawImage&)>;
/// Assembled as it is: the header, TLVs and signature stay as signed; only unsigned bytes (or
/// the signature itself) changed.
inline std::vector<uint8_t> as_is(const RawImage& raw) {
  return assemble_raw(raw);
}
/// Re-signed with rsa2048: the change is covered by a valid signature.
inline std::vector<uint8_t> resigned(const RawImage& raw) {
  return resign(raw, test_key("rsa2048"));
}

/// One row of an attack table: a signed image, what the attacker changes, and the rejection
/// that every verifier (the offline one, the TA's LOAD_FW) must answer.
struct ImageAttack {
  std::string name;
  std::function<std::vector<uint8_t>()> base;  // the signed file attacked
  std::function<void(RawImage&)> mutate;       // the attack on it, taken apart
  Seal seal = as_is;
  TeeCode code = TeeCode::kSuccess;
  std::string check;  // the offline verifier's stage that rejects it
  Fragment message;   // contained in the rejection message
};

/// gtest prints a row by its name.
inline void PrintTo(const ImageAttack& attack, std::ostream* os) {
  *os << attack.name;
}

/// The attacked file: `unchanged` (the row's base, taken apart) mutated, then sealed.
inline std::vector<uint8_t> attacked_file(const ImageAttack& attack, const RawImage& unchanged) {
  RawImage raw = unchanged;
  attack.mutate(raw);
  return attack.seal(raw);
}

/// The offline verifier (rsa2048 provisioned) rejects the row's file as the row says.
inline ::testing::AssertionResult RejectedOffline(const ImageAttack& attack) {
  const RawImage unchanged = decompose(attack.base());
  return Rejected(verify_with(attacked_file(attack, unchanged), test_key("rsa2048")), attack.code,
                  attack.check, attack.message(unchanged));
}

/// The rows of `table` named in `names`, in that order (std::invalid_argument for a name that
/// is not in the table): the TA runs a selection of the offline tables.
inline std::vector<ImageAttack> rows_named(const std::vector<ImageAttack>& table,
                                           const std::vector<std::string>& names) {
  std::vector<ImageAttack> rows;
  for (const std::string& name : names) {
    const auto it = std::find_if(table.begin(), table.end(),
                                 [&](const ImageAttack& a) { return a.name == name; });
    if (it == table.end()) throw std::invalid_argument("no attack row " + name);
    rows.push_back(*it);
  }
  return rows;
}

/// The report says the image is authentic.
inline ::testing::AssertionResult Authentic(const image::VerifyReport& r) {
  if (r.authentic()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "rejected with " << tee_code_name(r.error.code)
                                       << " at check '" << r.check << "': " << r.error.message;
}

/// ELF32 header offsets.
namespace ehdr {
inline constexpr size_t kClass = 4, kData = 5, kIdentVersion = 6, kMachine = 18, kVersion = 20,
                        kPhoff = 28, kShoff = 32, kPhentsize = 42, kPhnum = 44, kShentsize = 46,
                        kShnum = 48, kShstrndx = 50;
}  // namespace ehdr

/// Elf32_Phdr words.
enum class Phdr : size_t { kType, kOffset, kVaddr, kPaddr, kFilesz, kMemsz, kFlags, kAlign };
/// Elf32_Shdr words.
enum class Shdr : size_t { kName, kType, kFlags, kAddr, kOffset, kSize };

inline size_t phdr_offset(const std::vector<uint8_t>& elf, size_t index) {
  return get_u32(elf, ehdr::kPhoff) + 32 * index;
}
inline size_t shdr_offset(const std::vector<uint8_t>& elf, size_t index) {
  return get_u32(elf, ehdr::kShoff) + 40 * index;
}

/// Reads / writes one word of program header `index` of an ELF (the bytes only).
inline uint32_t get_phdr(const std::vector<uint8_t>& elf, size_t index, Phdr field) {
  return get_u32(elf, phdr_offset(elf, index) + 4 * static_cast<size_t>(field));
}
inline void set_phdr(std::vector<uint8_t>& elf, size_t index, Phdr field, uint32_t value) {
  put_u32(elf, phdr_offset(elf, index) + 4 * static_cast<size_t>(field), value);
}

/// Reads / writes one word of section header `index` (section headers are never signed).
inline uint32_t get_shdr(const std::vector<uint8_t>& elf, size_t index, Shdr field) {
  return get_u32(elf, shdr_offset(elf, index) + 4 * static_cast<size_t>(field));
}
inline void set_shdr(std::vector<uint8_t>& elf, size_t index, Shdr field, uint32_t value) {
  put_u32(elf, shdr_offset(elf, index) + 4 * static_cast<size_t>(field), value);
}

/// Index of the section named `name` in an ELF with a valid section table (throws if none).
inline size_t section_index(const std::vector<uint8_t>& elf, std::string_view name) {
  const size_t shnum = get_u16(elf, ehdr::kShnum);
  const size_t names = get_shdr(elf, get_u16(elf, ehdr::kShstrndx), Shdr::kOffset);
  for (size_t i = 0; i < shnum; ++i) {
    const auto begin = elf.begin() + static_cast<long>(names + get_shdr(elf, i, Shdr::kName));
    if (std::string(begin, std::find(begin, elf.end(), uint8_t{0})) == name) return i;
  }
  throw std::runtime_error("no section " + std::string(name));
}

/// Index in the signed HASHTABLE of program header `phdr` of image `image` (0-based).
inline size_t table_index(const RawImage& raw, size_t image, size_t phdr) {
  size_t index = phdr;
  for (size_t i = 0; i < image; ++i) index += get_u16(raw.images[i], ehdr::kPhnum);
  return index;
}

/// Changes a program-header word in the ELF *and* in its signed HASHTABLE entry, so that after
/// resign() the ELF still matches the signed table and only the segment semantics change. The
/// entry's digest is kept: valid as long as p_offset and p_filesz do not change.
inline void set_signed_phdr(RawImage& raw, size_t image, size_t phdr, Phdr field, uint32_t value) {
  set_phdr(raw.images[image], phdr, field, value);
  put_u32(raw.tlv(image::tlv::kHashTable),
          64 * table_index(raw, image, phdr) + 4 * static_cast<size_t>(field), value);
}

}  // namespace rproctee::test::attack
