#include "image/format.hpp"

namespace rproctee::image {

std::optional<std::string_view> tlv_name(uint32_t type) {
  switch (type) {
    case tlv::kSignType:
      return "SIGNTYPE";
    case tlv::kHashType:
      return "HASHTYPE";
    case tlv::kNumImg:
      return "NUM_IMG";
    case tlv::kImgType:
      return "IMGTYPE";
    case tlv::kImgSize:
      return "IMGSIZE";
    case tlv::kEncType:
      return "ENCTYPE";
    case tlv::kHashTable:
      return "HASHTABLE";
    case tlv::kPKeyInfo:
      return "PKEYINFO";
    case tlv::kEncTable:
      return "ENCTABLE";
    case tlv::kBootAddr:
      return "BOOTADDR";
    case tlv::kBootSec:
      return "BOOTSEC";
    default:
      return std::nullopt;
  }
}

std::string_view sign_type_name(SignType type) {
  switch (type) {
    case SignType::kRsaPkcs1Sha256:
      return "RSASSA-PKCS1-v1_5 SHA-256";
    case SignType::kEcdsaP256Sha256:
      return "ECDSA P-256 SHA-256";
  }
  return "unknown";
}

std::string_view image_type_name(ImageType type) {
  switch (type) {
    case ImageType::kElf:
      return "ELF";
    case ImageType::kEncryptedElf:
      return "ENC_ELF";
  }
  return "unknown";
}

}  // namespace rproctee::image
