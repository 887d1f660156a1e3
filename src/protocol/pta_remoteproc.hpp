// The remoteproc platform pseudo-TA's interface (OP-TEE core/pta/stm32mp/remoteproc_pta.c
// commands 1-9, plus rproctee's extensions from 0x100). Only the remoteproc TA opens it. Every
// command: params[0] VALUE_INPUT, a = remote processor id.
#pragma once

#include <cstdint>

#include "protocol/uuid.hpp"

namespace rproctee::protocol::rproc_pta {

/// 54af4a68-19be-40d7-bbe6-8950350a8744
inline constexpr Uuid kUuid{
    0x54af4a68, 0x19be, 0x40d7, {0xbb, 0xe6, 0x89, 0x50, 0x35, 0x0a, 0x87, 0x44}};

inline constexpr uint32_t kHwCapabilities = 1;     // p1.a out: formats; p2.a out: protections
inline constexpr uint32_t kFirmwareLoad = 2;       // proprietary format: not implemented
inline constexpr uint32_t kLoadSegmentSha256 = 3;  // p1 memref in: bytes; p2 da lo/hi;
                                                   // p3 memref in: SHA-256 (32) [|| AES IV (16)]
inline constexpr uint32_t kSetMemory = 4;          // p1 da lo/hi; p2 size lo/hi; p3.a byte
inline constexpr uint32_t kFirmwareStart = 5;      // p1 (optional) a = boot da, b = secure boot
inline constexpr uint32_t kFirmwareStop = 6;
inline constexpr uint32_t kDaToPa = 7;        // p1 da lo/hi; p2 size lo/hi; p3 out pa lo/hi
inline constexpr uint32_t kVerifyDigest = 8;  // p1 memref inout: {u32 algo, u32 len, info};
                                              //   out: {u32 algo, u32 key index};
                                              // p2 memref in: digest; p3 memref in: signature
inline constexpr uint32_t kRelease = 9;       // wipe every region of the processor

// rproctee extensions.
inline constexpr uint32_t kDecrypt = 0x100;         // p1 memref inout: data; p2 memref in: IV
inline constexpr uint32_t kRollbackRead = 0x101;    // p1 out: a = stored version, b = enabled
inline constexpr uint32_t kRollbackCommit = 0x102;  // p1 in: a = version
inline constexpr uint32_t kCoredump = 0x103;        // p1 memref out: ELF core of the regions

/// HW_CAPABILITIES bits.
inline constexpr uint32_t kFormatElf = 1u << 0;
inline constexpr uint32_t kFormatEncryptedElf = 1u << 1;
inline constexpr uint32_t kProtectionHashTable = 1u << 0;

/// VERIFY_DIGEST algorithm ids (GlobalPlatform TEE_ALG_*); 0 = any provisioned key.
inline constexpr uint32_t kAlgAny = 0;
inline constexpr uint32_t kAlgRsaPkcs1Sha256 = 0x70004830;  // TEE_ALG_RSASSA_PKCS1_V1_5_SHA256
inline constexpr uint32_t kAlgEcdsaP256 = 0x70003041;       // TEE_ALG_ECDSA_P256

}  // namespace rproctee::protocol::rproc_pta
