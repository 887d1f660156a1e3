// The hardened LOAD_FW pipeline of the remoteproc TA (H1-H14 of the security design): single
// snapshot of everything decided on, signature first, canonical TLVs, program headers equal to
// the signed table, every signed PT_LOAD loaded once through the platform service (which
// hashes the destination), resource table validated from a secure copy, anti-rollback.
// On any failure the caller releases (wipes) the processor's memories.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/result.hpp"
#include "crypto/sha256.hpp"
#include "ta/platform_port.hpp"

namespace rproctee::ta {

/// What the TA knows of a processor it serves (from the secure world's platform description).
struct ProcessorConfig {
  uint32_t id = 0;                  // the TEE id of the processor
  std::string name;                 // for messages ("m33")
  uint32_t boot_address = 0;        // vector table (da) when the image has no BOOTADDR
  uint32_t rollback_tlv = 0x10003;  // platform TLV carrying the security version (H12)
};

/// What a successful LOAD leaves behind.
struct LoadedFirmware {
  crypto::Digest identity{};  // SHA-256 of header || TLV area: which image is loaded
  uint64_t rsc_pa = 0;        // resource table physical address (0 = none)
  uint64_t rsc_size = 0;
  uint32_t boot_address = 0;                 // vector table (da)
  bool boot_secure = false;                  // BOOTSEC
  std::optional<uint32_t> security_version;  // committed after START (H12)
};

/// The digest that identifies an image (H13: LOAD while LOADED succeeds only for the same one).
/// Reads the header and signed prefix once from `shared_image`.
Result<crypto::Digest> image_identity(std::span<const uint8_t> shared_image);

/// Authenticates `shared_image` (untrusted, concurrently writable memory) and loads it into the
/// processor's memories through `platform`. The memories must have been wiped before.
Result<LoadedFirmware> load_firmware(std::span<const uint8_t> shared_image, PlatformPort& platform,
                                     const ProcessorConfig& processor);

}  // namespace rproctee::ta
