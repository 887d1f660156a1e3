#include "image/sealed_core_open.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "common/byte_reader.hpp"
#include "crypto/aes_gcm.hpp"
#include "crypto/sha256.hpp"
#include "image/core_file.hpp"
#include "image/elf32.hpp"
#include "image/sealed_core.hpp"

namespace rproctee::image {

namespace {

constexpr uint32_t kShtNote = 7;
constexpr uint32_t kNtPrstatus = 1;
constexpr uint32_t kPrstatusSize = 148;
constexpr uint32_t kPrRegOffset = 72;  // pr_reg inside struct elf_prstatus (32-bit ARM)

constexpr uint64_t align4(uint64_t v) {
  return (v + 3) & ~uint64_t{3};
}

/// One ELF note read from `r` at `at`: its name (without NUL), type, descriptor and the offset
/// of the next note.
struct Note {
  std::string name;
  uint32_t type = 0;
  ByteReader desc{{}, "", TeeCode::kBadFormat};
  uint64_t next = 0;
};

Result<Note> read_note(const ByteReader& r, uint64_t at) {
  RPROCTEE_ASSIGN(const uint32_t namesz, r.u32(at, "note namesz"));
  RPROCTEE_ASSIGN(const uint32_t descsz, r.u32(at + 4, "note descsz"));
  RPROCTEE_ASSIGN(const uint32_t type, r.u32(at + 8, "note type"));
  RPROCTEE_ASSIGN(auto name, r.bytes(at + 12, namesz, "note name"));
  const uint64_t desc_at = at + 12 + align4(namesz);
  RPROCTEE_ASSIGN(auto desc, r.sub(desc_at, descsz, "note descriptor"));
  Note n;
  n.name.assign(name.begin(), std::find(name.begin(), name.end(), uint8_t{0}));
  n.type = type;
  n.desc = desc;
  n.next = desc_at + align4(descsz);
  return n;
}

/// The registers of the NT_PRSTATUS note in the core's PT_NOTE (zeros when there is none).
Result<ArmRegisters> registers_of(const Elf32View& core) {
  ArmRegisters regs{};
  for (const Elf32Phdr& ph : core.phdrs()) {
    if (ph.type != elf::kPtNote) continue;
    RPROCTEE_ASSIGN(auto bytes, core.segment_bytes(ph));
    const ByteReader notes(bytes, "PT_NOTE segment", TeeCode::kBadFormat);
    for (uint64_t at = 0; at < notes.size();) {
      RPROCTEE_ASSIGN(const Note n, read_note(notes, at));
      at = n.next;
      if (n.name != "CORE" || n.type != kNtPrstatus || n.desc.size() != kPrstatusSize) continue;
      for (size_t i = 0; i < regs.size(); ++i) {
        RPROCTEE_ASSIGN(regs[i], n.desc.u32(kPrRegOffset + 4 * i, "pr_reg"));
      }
      return regs;
    }
  }
  return regs;
}

/// The sealed descriptor, parsed: everything but the decryption.
struct Sealed {
  SealedSummary summary;
  crypto::WrappedKey wrapped;
  crypto::GcmIv iv{};
  std::span<const uint8_t> aad, ciphertext;
  crypto::GcmTag tag{};
};

Result<Sealed> parse_sealed(const ByteReader& d) {
  const auto bad = TeeCode::kBadFormat;
  Sealed s;
  RPROCTEE_ASSIGN(const uint32_t version, d.u32(0, "format version"));
  if (version != kSealedFormatVersion)
    return make_error(bad, "sealed section format version {}: this rproctee reads version {}",
                      version, kSealedFormatVersion);
  RPROCTEE_ASSIGN(const uint32_t wrapping, d.u32(4, "key wrapping"));
  if (wrapping != 1 && wrapping != 2)
    return make_error(bad, "sealed section key wrapping {}: expected 1 (RSA-OAEP) or 2 (ECDH)",
                      wrapping);
  s.summary.wrapping = static_cast<crypto::KeyWrapping>(wrapping);
  s.wrapped.wrapping = s.summary.wrapping;
  RPROCTEE_ASSIGN(auto recipient, d.bytes(8, 32, "recipient"));
  s.summary.recipient = crypto::to_hex(recipient);
  RPROCTEE_ASSIGN(const uint32_t wrapped_len, d.u32(40, "wrapped key length"));
  RPROCTEE_ASSIGN(auto wrapped, d.bytes(44, wrapped_len, "wrapped key"));
  s.wrapped.bytes.assign(wrapped.begin(), wrapped.end());
  uint64_t at = 44 + align4(wrapped_len);
  RPROCTEE_ASSIGN(auto iv, d.bytes(at, s.iv.size(), "IV"));
  std::copy(iv.begin(), iv.end(), s.iv.begin());
  RPROCTEE_ASSIGN(const uint32_t count, d.u32(at + 12, "region count"));
  at += 16;
  RPROCTEE_ASSIGN(auto table, d.sub(at, uint64_t{count} * 8, "region table"));
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    SealedRegion region;
    RPROCTEE_ASSIGN(region.address, table.u32(8 * uint64_t{i}, "region address"));
    RPROCTEE_ASSIGN(region.size, table.u32(8 * uint64_t{i} + 4, "region size"));
    total += region.size;
    s.summary.regions.push_back(region);
  }
  at += table.size();
  s.aad = d.data().first(static_cast<size_t>(at));
  if (d.size() - at != total + s.tag.size())
    return make_error(bad,
                      "sealed section: {} bytes follow the region table; the regions hold {} "
                      "bytes plus a 16-byte tag (truncated or changed)",
                      d.size() - at, total);
  s.ciphertext = d.data().subspan(static_cast<size_t>(at), static_cast<size_t>(total));
  RPROCTEE_ASSIGN(auto tag, d.bytes(at + total, s.tag.size(), "tag"));
  std::copy(tag.begin(), tag.end(), s.tag.begin());
  return s;
}

/// The descriptor of the RPROCTEE-SEALED note in the section named kSealedSectionName.
Result<ByteReader> sealed_descriptor(const Elf32View& core, std::string_view file_name) {
  RPROCTEE_ASSIGN(const auto sections, core.sections());
  for (const Elf32Section& s : sections) {
    if (s.name != kSealedSectionName) continue;
    if (s.header.type != kShtNote)
      return make_error(TeeCode::kBadFormat, "{}: section {} has type {}, not SHT_NOTE", file_name,
                        s.name, s.header.type);
    const ByteReader file(core.image(), file_name, TeeCode::kBadFormat);
    RPROCTEE_ASSIGN(const ByteReader section,
                    file.sub(s.header.offset, s.header.size, kSealedSectionName));
    RPROCTEE_ASSIGN(const Note n, read_note(section, 0));
    if (n.name != kSealedNoteName || n.type != kSealedNoteType)
      return make_error(TeeCode::kBadFormat,
                        "{}: section {} holds note \"{}\" type {}, not \"{}\" type {}", file_name,
                        s.name, n.name, n.type, kSealedNoteName, kSealedNoteType);
    return n.desc;
  }
  return make_error(TeeCode::kBadFormat,
                    "{} has no sealed regions (no {} section): it is a plain core file, "
                    "gdb opens it as it is",
                    file_name, kSealedSectionName);
}

}  // namespace

Result<OpenedCore> open_sealed_coredump(std::span<const uint8_t> file, std::string_view file_name,
                                        const crypto::PrivateKey& key, std::string_view key_name) {
  RPROCTEE_ASSIGN(const Elf32View core, Elf32View::parse(file, std::string(file_name)));
  if (core.header().type != elf::kTypeCore)
    return make_error(TeeCode::kBadFormat, "{}: e_type is {}, not ET_CORE (4): not a core file",
                      file_name, core.header().type);
  RPROCTEE_ASSIGN(const ByteReader desc, sealed_descriptor(core, file_name));
  RPROCTEE_ASSIGN(Sealed sealed, parse_sealed(desc));

  const crypto::PublicKey& pub = key.public_key();
  if (sealed.summary.recipient != pub.fingerprint())
    return make_error(TeeCode::kSecurity, "the dump was sealed for key SHA256:{} not for {} ({})",
                      sealed.summary.recipient, key_name, "SHA256:" + pub.fingerprint());
  if (sealed.wrapped.wrapping != crypto::key_wrapping_for(pub) ||
      sealed.wrapped.bytes.size() != crypto::wrapped_key_size(pub))
    return make_error(TeeCode::kBadFormat,
                      "{}: the wrapped key ({}, {} bytes) does not fit {} ({} bytes expected)",
                      file_name, crypto::key_wrapping_name(sealed.wrapped.wrapping),
                      sealed.wrapped.bytes.size(), pub.describe(), crypto::wrapped_key_size(pub));

  std::vector<uint8_t> context(kSealedKdfLabel.begin(), kSealedKdfLabel.end());
  RPROCTEE_ASSIGN(auto recipient, desc.bytes(8, 32, "recipient"));
  context.insert(context.end(), recipient.begin(), recipient.end());
  auto data_key = crypto::recover_data_key(key, sealed.wrapped, context);
  if (!data_key)
    return make_error(TeeCode::kSecurity, "{}: cannot recover the data key with {}: {}", file_name,
                      key_name, data_key.error().message);
  std::vector<uint8_t> plain(sealed.ciphertext.size());
  const Status opened = crypto::aes_gcm_decrypt(*data_key, sealed.iv, sealed.aad, sealed.ciphertext,
                                                plain, sealed.tag);
  OPENSSL_cleanse(data_key->data(), data_key->size());
  if (!opened)
    return make_error(TeeCode::kSecurity,
                      "{}: the sealed regions fail authentication (AES-GCM tag): the dump was "
                      "changed or truncated after it was sealed",
                      file_name);

  // The open PT_LOADs and the unsealed regions, in address order, with the same registers.
  std::vector<CoreSegment> segments;
  for (const Elf32Phdr& ph : core.phdrs()) {
    if (ph.type != elf::kPtLoad) continue;
    RPROCTEE_ASSIGN(auto bytes, core.segment_bytes(ph));
    segments.push_back({ph.paddr, bytes});
  }
  size_t at = 0;
  for (const SealedRegion& r : sealed.summary.regions) {
    segments.push_back({r.address, std::span<const uint8_t>(plain).subspan(at, r.size)});
    at += r.size;
  }
  std::stable_sort(
      segments.begin(), segments.end(),
      [](const CoreSegment& a, const CoreSegment& b) { return a.address < b.address; });
  RPROCTEE_ASSIGN(const ArmRegisters regs, registers_of(core));
  OpenedCore out;
  out.elf.resize(static_cast<size_t>(coredump_size(segments)));
  write_coredump(segments, regs, out.elf);
  OPENSSL_cleanse(plain.data(), plain.size());
  out.sealed = std::move(sealed.summary);
  return out;
}

}  // namespace rproctee::image
