// Sealed core dumps: the ELF core of what the normal world may read (core_file.hpp: registers
// and the open segments as PT_LOADs), followed by one SHT_NOTE section,
// ".note.rproctee.sealed", holding the firewalled regions encrypted so that only the holder of
// a provisioned debug key can read them. gdb opens a sealed core as it is (it ignores the
// section); `rproctee coredump-open --key` turns it into a plain core with every region.
//
// The section holds one ELF note: namesz 16, descsz, type 1, name "RPROCTEE-SEALED\0", then
// the descriptor (little-endian, version 1):
//   u32 version (1)        u32 key wrapping (1 RSA-OAEP-SHA256, 2 ECDH-P256-HKDF-SHA256)
//   u8[32] recipient: SHA-256 of the debug key's DER SubjectPublicKeyInfo
//   u32 wrapped_len, u8[wrapped_len] wrapped key, zero-padded to 4 bytes
//          (RSA: the OAEP ciphertext of the AES-256 key; ECDH: the ephemeral P-256 point,
//           65 bytes uncompressed; the key is HKDF-SHA256(secret, info = "rproctee sealed
//           coredump v1" || recipient || point))
//   u8[12] AES-GCM IV      u32 region count N      N x { u32 da; u32 size; }
//   ciphertext: AES-256-GCM of the regions' bytes, concatenated in table order
//   u8[16] GCM tag over the ciphertext, with every descriptor byte before it as AAD
// The tag authenticates the sealed regions and their table, not the open part of the core
// (the normal world could change that part anyway).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.hpp"
#include "crypto/keys.hpp"
#include "image/core_file.hpp"

namespace rproctee::image {

inline constexpr std::string_view kSealedSectionName = ".note.rproctee.sealed";
inline constexpr std::string_view kSealedNoteName = "RPROCTEE-SEALED";  // + NUL: 16 bytes
inline constexpr uint32_t kSealedNoteType = 1;
inline constexpr uint32_t kSealedFormatVersion = 1;
inline constexpr std::string_view kSealedKdfLabel = "rproctee sealed coredump v1";

/// Size of the sealed core: `open` segments in clear, `sealed` ones encrypted to `recipient`.
uint64_t sealed_coredump_size(std::span<const CoreSegment> open,
                              std::span<const CoreSegment> sealed,
                              const crypto::PublicKey& recipient);

/// Writes the sealed core into `out` (exactly sealed_coredump_size bytes) with a fresh data
/// key. The sealed segments are encrypted straight from their memory into `out`.
Status write_sealed_coredump(std::span<const CoreSegment> open, std::span<const CoreSegment> sealed,
                             const ArmRegisters& registers, const crypto::PublicKey& recipient,
                             std::span<uint8_t> out);

}  // namespace rproctee::image
