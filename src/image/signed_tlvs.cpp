#include "image/signed_tlvs.hpp"

#include <algorithm>
#include <numeric>

#include "common/byte_reader.hpp"

namespace rproctee::image {

namespace {

const Tlv* find(const std::vector<Tlv>& tlvs, uint32_t type) {
  auto it = std::find_if(tlvs.begin(), tlvs.end(), [&](const Tlv& t) { return t.type == type; });
  return it == tlvs.end() ? nullptr : &*it;
}

Result<const Tlv*> require(const std::vector<Tlv>& tlvs, uint32_t type) {
  if (const Tlv* t = find(tlvs, type)) return t;
  return make_error(TeeCode::kNoData, "required TLV {} is missing", describe_tlv_type(type));
}

Result<uint8_t> single_byte(const Tlv& t, TeeCode code) {
  if (t.value.size() != 1)
    return make_error(code, "TLV {} is {} bytes long, expected 1", describe_tlv_type(t.type),
                      t.value.size());
  return t.value[0];
}

bool is_known_generic(uint32_t type) {
  switch (type) {
    case tlv::kSignType:
    case tlv::kHashType:
    case tlv::kNumImg:
    case tlv::kImgType:
    case tlv::kImgSize:
    case tlv::kEncType:
    case tlv::kHashTable:
    case tlv::kPKeyInfo:
    case tlv::kEncTable:
      return true;
    default:
      return false;
  }
}

}  // namespace

const Tlv* SignedTlvs::find_platform(uint32_t type) const {
  return find(platform, type);
}

Result<uint32_t> platform_u32(const Tlv& t) {
  if (t.value.size() != 4)
    return make_error(TeeCode::kBadParameters, "TLV {} is {} bytes long, expected a 4-byte value",
                      describe_tlv_type(t.type), t.value.size());
  return load_le<uint32_t>(t.value.first<4>());
}

Result<std::vector<SegmentEntry>> decode_segment_table(std::span<const uint8_t> table,
                                                       bool encrypted) {
  const uint32_t entry = encrypted ? kEncEntrySize : kHashEntrySize;
  const char* name = encrypted ? "ENCTABLE" : "HASHTABLE";
  if (table.empty() || table.size() % entry != 0)
    return make_error(TeeCode::kBadParameters,
                      "{} is {} bytes: it must be a non-zero multiple of {} (one entry per "
                      "program header)",
                      name, table.size(), entry);
  std::vector<SegmentEntry> out;
  out.reserve(table.size() / entry);
  for (size_t off = 0; off < table.size(); off += entry) {
    SegmentEntry e;
    e.raw_phdr = table.subspan(off, elf::kPhdrSize);
    e.phdr = decode_phdr(table.subspan(off).first<elf::kPhdrSize>());
    std::copy_n(table.begin() + static_cast<long>(off) + elf::kPhdrSize, 32, e.digest.begin());
    if (encrypted) {
      std::array<uint8_t, 16> iv{};
      std::copy_n(table.begin() + static_cast<long>(off) + elf::kPhdrSize + 32, 16, iv.begin());
      e.iv = iv;
    }
    out.push_back(e);
  }
  return out;
}

Result<SignedTlvs> decode_signed_tlvs(const std::vector<Tlv>& tlvs, uint32_t img_len) {
  const auto bad_params = TeeCode::kBadParameters;
  const auto bad_format = TeeCode::kBadFormat;
  SignedTlvs s;

  for (const Tlv& t : tlvs) {
    if (is_platform_tlv(t.type)) {
      s.platform.push_back(t);
    } else if (!is_known_generic(t.type)) {
      return make_error(bad_format,
                        "TLV type {:#x} at offset {:#x} is neither a known type nor in "
                        "the platform range 0x10000..0x1ffff",
                        t.type, t.offset);
    }
  }

  // The upstream TA answers BAD_PARAMETERS for a missing SIGNTYPE (as for a wrong length),
  // not NO_DATA like for the other required TLVs: keep its code (image-format.md).
  const Tlv* sign_type = find(tlvs, tlv::kSignType);
  if (!sign_type)
    return make_error(bad_params, "required TLV {} is missing", describe_tlv_type(tlv::kSignType));
  RPROCTEE_ASSIGN(const uint8_t st, single_byte(*sign_type, bad_params));
  if (st != 1 && st != 2)
    return make_error(TeeCode::kNotSupported,
                      "SIGNTYPE is {}: only 1 (RSA PKCS#1 v1.5) and 2 "
                      "(ECDSA P-256) exist",
                      st);
  s.sign_type = static_cast<SignType>(st);

  RPROCTEE_ASSIGN(const Tlv* hash_type, require(tlvs, tlv::kHashType));
  RPROCTEE_ASSIGN(s.hash_type, single_byte(*hash_type, bad_params));
  if (s.hash_type != kHashSha256)
    return make_error(bad_params, "HASHTYPE is {}: only 1 (SHA-256) exists", s.hash_type);

  RPROCTEE_ASSIGN(const Tlv* num_img, require(tlvs, tlv::kNumImg));
  RPROCTEE_ASSIGN(const uint8_t n, single_byte(*num_img, bad_format));
  if (n == 0) return make_error(TeeCode::kNoData, "NUM_IMG is 0: the image holds no firmware");
  if (n > kMaxImages)
    return make_error(bad_params, "NUM_IMG is {}, more than the {} supported", n, kMaxImages);

  RPROCTEE_ASSIGN(const Tlv* img_type, require(tlvs, tlv::kImgType));
  if (img_type->value.size() != n)
    return make_error(bad_params, "IMGTYPE is {} bytes long but NUM_IMG is {}",
                      img_type->value.size(), n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t t = img_type->value[i];
    if (t != static_cast<uint8_t>(ImageType::kElf) &&
        t != static_cast<uint8_t>(ImageType::kEncryptedElf))
      return make_error(bad_format,
                        "IMGTYPE of image {} is {}: only 1 (ELF) and 2 (encrypted "
                        "ELF) exist",
                        i + 1, t);
    s.image_types.push_back(static_cast<ImageType>(t));
  }
  s.encrypted = s.image_types[0] == ImageType::kEncryptedElf;
  if (!std::all_of(s.image_types.begin(), s.image_types.end(),
                   [&](ImageType t) { return t == s.image_types[0]; }))
    return make_error(bad_format, "IMGTYPE mixes plain and encrypted ELF images");

  RPROCTEE_ASSIGN(const Tlv* img_size, require(tlvs, tlv::kImgSize));
  if (img_size->value.size() != 4u * n)
    return make_error(bad_params, "IMGSIZE is {} bytes long but NUM_IMG {} needs {}",
                      img_size->value.size(), n, 4 * n);
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t size = load_le<uint32_t>(img_size->value.subspan(4 * i).first<4>());
    if (size == 0 || size % 8 != 0)
      return make_error(bad_params,
                        "IMGSIZE of image {} is {}: it must be a non-zero multiple "
                        "of 8",
                        i + 1, size);
    s.image_sizes.push_back(size);
    sum += size;
  }
  if (sum != img_len)
    return make_error(bad_params,
                      "IMGSIZE entries add up to {} bytes but the header's img_len "
                      "is {}",
                      sum, img_len);

  const Tlv* hash_table = find(tlvs, tlv::kHashTable);
  const Tlv* enc_table = find(tlvs, tlv::kEncTable);
  const Tlv* enc_type = find(tlvs, tlv::kEncType);
  if (s.encrypted) {
    if (hash_table)
      return make_error(bad_format, "encrypted images carry ENCTABLE, but a HASHTABLE is present");
    RPROCTEE_ASSIGN(enc_type, require(tlvs, tlv::kEncType));
    RPROCTEE_ASSIGN(const uint8_t et, single_byte(*enc_type, bad_params));
    if (et != kEncAesCbc)
      return make_error(TeeCode::kNotSupported, "ENCTYPE is {}: only 1 (AES-CBC) exists", et);
    RPROCTEE_ASSIGN(enc_table, require(tlvs, tlv::kEncTable));
    RPROCTEE_ASSIGN(s.segments, decode_segment_table(enc_table->value, true));
  } else {
    if (enc_table || enc_type)
      return make_error(bad_format, "{} is present but IMGTYPE says the images are not encrypted",
                        enc_table ? "ENCTABLE" : "ENCTYPE");
    RPROCTEE_ASSIGN(hash_table, require(tlvs, tlv::kHashTable));
    RPROCTEE_ASSIGN(s.segments, decode_segment_table(hash_table->value, false));
  }

  if (const Tlv* key_info = find(tlvs, tlv::kPKeyInfo)) s.key_info = key_info->value;
  if (const Tlv* boot = s.find_platform(tlv::kBootAddr)) {
    RPROCTEE_ASSIGN(s.boot_addr, platform_u32(*boot));
  }
  if (const Tlv* sec = s.find_platform(tlv::kBootSec)) {
    RPROCTEE_ASSIGN(s.boot_sec, platform_u32(*sec));
    if (*s.boot_sec > 1)
      return make_error(bad_params, "BOOTSEC is {}: only 0 (non-secure) and 1 (secure) exist",
                        *s.boot_sec);
  }
  return s;
}

}  // namespace rproctee::image
