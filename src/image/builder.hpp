// Building a signed image: the hash (or encryption) table of every input ELF, the TLV area in
// the reference signers' order, the header, and the final byte layout.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/sha256.hpp"
#include "image/header.hpp"

namespace rproctee::image {

/// Which reference signer's TLV order to reproduce byte for byte.
///  upstream (OP-TEE): SIGNTYPE NUM_IMG IMGTYPE IMGSIZE HASHTYPE HASHTABLE [PKEYINFO] platform
///  st (ST's copy):    SIGNTYPE [ENCTYPE] HASHTABLE|ENCTABLE NUM_IMG IMGTYPE IMGSIZE HASHTYPE
///                     [PKEYINFO] platform
enum class TlvOrder { kUpstream, kSt };

/// An input ELF, verbatim.
struct InputImage {
  std::string name;  // for errors (the path)
  std::span<const uint8_t> bytes;
};

/// A platform TLV, value already encoded.
struct PlatformTlv {
  uint32_t type = 0;
  std::vector<uint8_t> value;
};

struct BuildParams {
  std::vector<InputImage> images;
  uint8_t sign_type = 1;                         // SIGNTYPE value (from the key)
  uint32_t signature_size = 0;                   // sign_len (from the key)
  std::optional<std::vector<uint8_t>> key_info;  // PKEYINFO
  std::vector<PlatformTlv> platform;             // in output order, unique types
  std::optional<std::vector<uint8_t>> enc_key;   // ST AES-CBC encryption
  TlvOrder order = TlvOrder::kUpstream;
  /// IVs to use, one per PT_LOAD segment in table order (stitch re-encrypts with the signed
  /// IVs); random when absent.
  std::optional<std::vector<std::array<uint8_t, 16>>> ivs;
};

/// Everything of a signed image except the signature.
struct UnsignedImage {
  ImageHeader header;
  std::vector<uint8_t> tlv_area;                   // tlv_len bytes (a multiple of 8)
  std::vector<std::vector<uint8_t>> owned_images;  // encrypted copies, when encrypting
  std::vector<std::span<const uint8_t>> images;    // final image bytes, in order

  /// header || TLV area: the exact bytes the signature covers.
  std::vector<uint8_t> to_be_signed() const;
  crypto::Digest digest() const { return crypto::Sha256::of(to_be_signed()); }
  /// Where the images start in the final file (after header, TLVs, signature and padding).
  uint64_t images_offset() const;
  /// Size of the final file.
  uint64_t file_size() const;
  /// The final file from images_offset() on: each image, then its zero padding to 8.
  std::vector<std::span<const uint8_t>> image_parts() const;
};

/// Called by build_unsigned once the layout is final (header, TLV area size, image bytes) and
/// before the segments are hashed into the TLV area, which is all that is left to do (nothing
/// fails after it). The image bytes stay where they are when the result is returned: a caller
/// may write image_parts() out while they are hashed.
using LayoutReady = std::function<void(const UnsignedImage& laid_out)>;

/// Validates the inputs (each an ELF32 ARM file whose segments lie inside it) and builds the
/// unsigned image. Error code: BAD_FORMAT / BAD_PARAMETERS with the input's name.
Result<UnsignedImage> build_unsigned(const BuildParams& params,
                                     const LayoutReady& layout_ready = {});

/// The final file as a list of parts (no copy of the images): header || TLVs || signature ||
/// zero padding to 8 || each image padded to 8. Views into the UnsignedImage: keep it alive.
struct SignedFile {
  std::vector<uint8_t> prefix;                  // header, TLVs, signature, padding
  std::vector<std::span<const uint8_t>> parts;  // prefix, then images and their padding

  uint64_t size() const;
  std::vector<uint8_t> flatten() const;
};

/// Assembles the file. The signature must be exactly header.sign_len bytes.
Result<SignedFile> assemble(const UnsignedImage& image, std::span<const uint8_t> signature);

/// The IVs stored in an ENCTABLE, one per PT_LOAD entry in table order (for stitch).
std::vector<std::array<uint8_t, 16>> load_ivs_from_table(std::span<const uint8_t> enc_table);

}  // namespace rproctee::image

namespace rproctee::image {

/// The checks the TA will run on the signed result that need no hashing: segments (p_filesz
/// <= p_memsz, no wrap, inside the file, disjoint across images), at most one valid resource
/// table, and in ST's order (ST's signer, ST's TA) the boot TLVs as check_st_boot_tlvs does.
/// `sign` runs it so that CI learns about an image the TA would reject before it reaches a
/// board.
Status check_loadable(const BuildParams& params);

/// The meaning ST's TA gives platform TLVs 0x10001 (BOOTADDR: a 4-byte address, 128-byte
/// aligned, inside a signed segment) and 0x10002 (BOOTSEC: 4 bytes, 0 or 1), checked against
/// the images. The upstream signer gives these ids no meaning: in its order a failure here is
/// only worth a warning (the image may be meant for another platform's TA).
Status check_st_boot_tlvs(const BuildParams& params);

}  // namespace rproctee::image
