// Constants of the signed remote-processor image (OP-TEE "rproc" format, version 1).
// See shared spec image-format.md; all integers little-endian.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rproctee::image {

inline constexpr uint32_t kMagic = 0x3543A468;
inline constexpr uint32_t kVersion = 1;
inline constexpr uint64_t kHeaderSize = 20;

// Upper bounds that keep every size computation small and every allocation bounded (H2).
inline constexpr uint32_t kMaxTlvLen = 1u << 20;  // 1 MiB: ~16000 hash-table entries
inline constexpr uint32_t kMaxSignLen = 1024;     // RSA-8192
inline constexpr uint32_t kMaxImages = 16;

/// TLV types: generic (upstream), ST extensions, and the platform range.
namespace tlv {
inline constexpr uint32_t kSignType = 0x01;
inline constexpr uint32_t kHashType = 0x02;
inline constexpr uint32_t kNumImg = 0x03;
inline constexpr uint32_t kImgType = 0x04;
inline constexpr uint32_t kImgSize = 0x05;
inline constexpr uint32_t kEncType = 0x06;  // ST
inline constexpr uint32_t kHashTable = 0x10;
inline constexpr uint32_t kPKeyInfo = 0x11;
inline constexpr uint32_t kEncTable = 0x12;  // ST
inline constexpr uint32_t kPlatformFirst = 0x10000;
inline constexpr uint32_t kPlatformLast = 0x1FFFF;
inline constexpr uint32_t kBootAddr = 0x10001;  // ST name BOOTADDR
inline constexpr uint32_t kBootSec = 0x10002;   // ST name BOOTSEC
}  // namespace tlv

/// SIGNTYPE values.
enum class SignType : uint8_t { kRsaPkcs1Sha256 = 1, kEcdsaP256Sha256 = 2 };
/// HASHTYPE values.
inline constexpr uint8_t kHashSha256 = 1;
/// IMGTYPE values.
enum class ImageType : uint8_t { kElf = 1, kEncryptedElf = 2 };
/// ENCTYPE values.
inline constexpr uint8_t kEncAesCbc = 1;

/// Bytes per HASHTABLE entry (Elf32_Phdr + SHA-256) and per ENCTABLE entry (+ IV).
inline constexpr uint32_t kHashEntrySize = 64;
inline constexpr uint32_t kEncEntrySize = 80;

/// The name of a TLV type ("HASHTABLE", "BOOTADDR"), or nullopt for unnamed types.
std::optional<std::string_view> tlv_name(uint32_t type);

/// True for the platform range 0x10000..0x1FFFF.
constexpr bool is_platform_tlv(uint32_t type) {
  return type >= tlv::kPlatformFirst && type <= tlv::kPlatformLast;
}

std::string_view sign_type_name(SignType type);
std::string_view image_type_name(ImageType type);

}  // namespace rproctee::image
