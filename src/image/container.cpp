#include "image/container.hpp"

#include <algorithm>

#include "crypto/sha256.hpp"

namespace rproctee::image {

Result<ContainerAreas> split_container(std::span<const uint8_t> file) {
  RPROCTEE_ASSIGN(const ContainerLayout l, parse_header(file, file.size()));
  ContainerAreas a;
  a.layout = l;
  a.signed_prefix = file.first(l.signed_size());
  a.tlv_area = file.subspan(l.tlv_offset, l.tlv_area_size);
  a.signature = file.subspan(l.sig_offset, l.header.sign_len);
  a.signature_padding =
      file.subspan(l.sig_offset + l.header.sign_len, l.sig_area_size - l.header.sign_len);
  a.images = file.subspan(l.images_offset, l.header.img_len);
  return a;
}

Status check_signature_padding(const ContainerAreas& a) {
  if (std::any_of(a.signature_padding.begin(), a.signature_padding.end(),
                  [](uint8_t b) { return b != 0; }))
    return make_error(TeeCode::kBadParameters,
                      "the {} padding bytes after the {}-byte signature are not zero",
                      a.signature_padding.size(), a.signature.size());
  return {};
}

Result<size_t> authenticate(std::span<const uint8_t> signed_prefix,
                            std::span<const uint8_t> signature,
                            std::span<const crypto::Verifier> keys) {
  if (keys.empty())
    return make_error(TeeCode::kSignatureInvalid, "no public key to verify the signature with");
  const crypto::Digest digest = crypto::Sha256::of(signed_prefix);
  std::string reasons;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto status = keys[i].verify(digest, signature);
    if (status) return i;
    if (keys.size() == 1) return std::move(status).error();
    reasons += fmt::format("{}key {} ({} {}): {}", reasons.empty() ? "" : "; ", i + 1,
                           keys[i].key().describe(), keys[i].key().fingerprint().substr(0, 16),
                           status.error().message);
  }
  return make_error(TeeCode::kSignatureInvalid, "signature verifies with none of the {} keys: {}",
                    keys.size(), reasons);
}

Status check_sign_type(SignType sign_type, crypto::KeyAlgorithm key_algorithm) {
  const bool rsa = key_algorithm == crypto::KeyAlgorithm::kRsa;
  if (rsa != (sign_type == SignType::kRsaPkcs1Sha256))
    return make_error(TeeCode::kSignatureInvalid,
                      "SIGNTYPE says {} but the image verified with an {} key",
                      sign_type_name(sign_type), crypto::key_algorithm_name(key_algorithm));
  return {};
}

std::vector<std::span<const uint8_t>> split_images(std::span<const uint8_t> images,
                                                   const std::vector<uint32_t>& sizes) {
  std::vector<std::span<const uint8_t>> out;
  size_t offset = 0;
  for (uint32_t size : sizes) {  // the sizes add up to img_len (checked by decode_signed_tlvs)
    out.push_back(images.subspan(offset, size));
    offset += size;
  }
  return out;
}

}  // namespace rproctee::image
