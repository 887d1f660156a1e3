// Splitting a signed image into its areas, and checking the signature over header || TLVs
// with provisioned keys before any TLV is interpreted (H3).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "crypto/signature.hpp"
#include "image/format.hpp"
#include "image/header.hpp"

namespace rproctee::image {

/// Views of the areas of a signed image whose header has been validated.
struct ContainerAreas {
  ContainerLayout layout;
  std::span<const uint8_t> signed_prefix;  // header || TLV area (RU8(tlv_len))
  std::span<const uint8_t> tlv_area;
  std::span<const uint8_t> signature;  // exactly sign_len bytes
  std::span<const uint8_t> signature_padding;
  std::span<const uint8_t> images;  // img_len bytes
};

/// Validates the header against the file size and returns the areas. BAD_PARAMETERS.
Result<ContainerAreas> split_container(std::span<const uint8_t> file);

/// The zero bytes after the signature must be zero (no unsigned data hides there).
Status check_signature_padding(const ContainerAreas& areas);

/// Hashes the signed prefix and verifies the signature with each key in turn; returns the
/// index of the key that verified it. SIGNATURE_INVALID when none does.
Result<size_t> authenticate(std::span<const uint8_t> signed_prefix,
                            std::span<const uint8_t> signature,
                            std::span<const crypto::Verifier> keys);

/// SIGNTYPE must name the algorithm of the key that verified the image.
Status check_sign_type(SignType sign_type, crypto::KeyAlgorithm key_algorithm);

/// The images area split by IMGSIZE.
std::vector<std::span<const uint8_t>> split_images(std::span<const uint8_t> images,
                                                   const std::vector<uint32_t>& sizes);

}  // namespace rproctee::image
