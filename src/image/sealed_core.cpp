#include "image/sealed_core.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "common/byte_writer.hpp"
#include "crypto/aes_cbc.hpp"
#include "crypto/data_key.hpp"
#include "crypto/sha256.hpp"
#include "image/elf32.hpp"

namespace rproctee::image {

namespace {

constexpr uint32_t kShtNote = 7, kShtStrtab = 3;
constexpr uint32_t kNoteHeader = 12 + 16;  // namesz, descsz, type, "RPROCTEE-SEALED\0"
constexpr std::string_view kShstrtab{"\0.note.rproctee.sealed\0.shstrtab", 33};  // 3 NULs
constexpr uint32_t kSealedNameOffset = 1, kShstrtabNameOffset = 23;

constexpr uint64_t align4(uint64_t v) {
  return (v + 3) & ~uint64_t{3};
}

uint64_t total_size(std::span<const CoreSegment> segments) {
  uint64_t n = 0;
  for (const auto& s : segments) n += s.bytes.size();
  return n;
}

/// Descriptor bytes before the ciphertext (the AAD).
uint64_t header_size(size_t wrapped, size_t regions) {
  return 4 + 4 + 32 + 4 + align4(wrapped) + 12 + 4 + 8 * uint64_t{regions};
}

struct Layout {
  uint64_t core = 0;      // the open ELF core
  uint64_t note = 0;      // note offset (4-aligned)
  uint64_t desc = 0;      // descriptor size
  uint64_t shstrtab = 0;  // name table offset
  uint64_t shdrs = 0;     // section header table offset
  uint64_t end = 0;
};

Layout layout(std::span<const CoreSegment> open, std::span<const CoreSegment> sealed,
              const crypto::PublicKey& recipient) {
  Layout l;
  l.core = coredump_size(open);
  l.note = align4(l.core);
  l.desc =
      header_size(crypto::wrapped_key_size(recipient), sealed.size()) + total_size(sealed) + 16;
  l.shstrtab = l.note + kNoteHeader + align4(l.desc);
  l.shdrs = align4(l.shstrtab + kShstrtab.size());
  l.end = l.shdrs + 3 * uint64_t{elf::kShdrSize};
  return l;
}

void put_u32(std::span<uint8_t> out, uint64_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out[static_cast<size_t>(at) + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

void put_u16(std::span<uint8_t> out, uint64_t at, uint16_t v) {
  out[static_cast<size_t>(at)] = static_cast<uint8_t>(v);
  out[static_cast<size_t>(at) + 1] = static_cast<uint8_t>(v >> 8);
}

/// The section headers: null, the sealed note, the name table.
std::vector<uint8_t> section_headers(const Layout& l) {
  ByteWriter w;
  w.zeros(elf::kShdrSize);
  for (uint32_t v : {kSealedNameOffset, kShtNote, 0u, 0u, static_cast<uint32_t>(l.note),
                     static_cast<uint32_t>(kNoteHeader + align4(l.desc)), 0u, 0u, 4u, 0u})
    w.u32(v);
  for (uint32_t v : {kShstrtabNameOffset, kShtStrtab, 0u, 0u, static_cast<uint32_t>(l.shstrtab),
                     static_cast<uint32_t>(kShstrtab.size()), 0u, 0u, 1u, 0u})
    w.u32(v);
  return w.take();
}

}  // namespace

uint64_t sealed_coredump_size(std::span<const CoreSegment> open,
                              std::span<const CoreSegment> sealed,
                              const crypto::PublicKey& recipient) {
  return layout(open, sealed, recipient).end;
}

Status write_sealed_coredump(std::span<const CoreSegment> open, std::span<const CoreSegment> sealed,
                             const ArmRegisters& registers, const crypto::PublicKey& recipient,
                             std::span<uint8_t> out) {
  const Layout l = layout(open, sealed, recipient);
  if (out.size() != l.end)
    return make_error(TeeCode::kBadParameters, "sealed core needs {} bytes, not {}", l.end,
                      out.size());
  if (l.end > std::numeric_limits<uint32_t>::max())
    return make_error(TeeCode::kOutOfMemory,
                      "a sealed core of {} bytes does not fit the 32-bit offsets of ELF32", l.end);
  write_coredump(open, registers, out.first(static_cast<size_t>(l.core)));
  std::fill(out.begin() + static_cast<long>(l.core), out.end(), 0);

  const crypto::Digest recipient_id = crypto::Sha256::of(recipient.spki_der());
  std::vector<uint8_t> context(kSealedKdfLabel.begin(), kSealedKdfLabel.end());
  context.insert(context.end(), recipient_id.begin(), recipient_id.end());
  RPROCTEE_ASSIGN(crypto::DataKey key, crypto::new_data_key(recipient, context));
  crypto::GcmIv iv{};
  RPROCTEE_CHECK(crypto::random_bytes(iv));

  // Note header, then the descriptor up to the ciphertext (the AAD).
  ByteWriter w;
  w.u32(static_cast<uint32_t>(kSealedNoteName.size() + 1));
  w.u32(static_cast<uint32_t>(l.desc));
  w.u32(kSealedNoteType);
  w.bytes({reinterpret_cast<const uint8_t*>(kSealedNoteName.data()), kSealedNoteName.size()});
  w.u8(0);
  const size_t aad_start = w.size();
  w.u32(kSealedFormatVersion);
  w.u32(static_cast<uint32_t>(key.wrapped.wrapping));
  w.bytes(recipient_id);
  w.u32(static_cast<uint32_t>(key.wrapped.bytes.size()));
  w.bytes(key.wrapped.bytes);
  w.align(4);
  w.bytes(iv);
  w.u32(static_cast<uint32_t>(sealed.size()));
  for (const auto& s : sealed) {
    w.u32(s.address);
    w.u32(static_cast<uint32_t>(s.bytes.size()));
  }
  const std::vector<uint8_t> head = w.take();
  std::copy(head.begin(), head.end(), out.begin() + static_cast<long>(l.note));

  std::vector<std::span<const uint8_t>> parts;
  for (const auto& s : sealed) parts.push_back(s.bytes);
  const uint64_t cipher_at = l.note + head.size();
  const uint64_t cipher_size = total_size(sealed);
  auto tag = crypto::aes_gcm_encrypt(
      key.key, iv, std::span(head).subspan(aad_start), parts,
      out.subspan(static_cast<size_t>(cipher_at), static_cast<size_t>(cipher_size)));
  OPENSSL_cleanse(key.key.data(), key.key.size());
  if (!tag) return tag.error();
  std::copy(tag->begin(), tag->end(), out.begin() + static_cast<long>(cipher_at + cipher_size));

  std::memcpy(out.data() + l.shstrtab, kShstrtab.data(), kShstrtab.size());
  const auto shdrs = section_headers(l);
  std::copy(shdrs.begin(), shdrs.end(), out.begin() + static_cast<long>(l.shdrs));
  put_u32(out, 0x20, static_cast<uint32_t>(l.shdrs));  // e_shoff
  put_u16(out, 0x2E, elf::kShdrSize);                  // e_shentsize
  put_u16(out, 0x30, 3);                               // e_shnum
  put_u16(out, 0x32, 2);                               // e_shstrndx
  return {};
}

}  // namespace rproctee::image
