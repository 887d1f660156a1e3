#include "image/builder.hpp"

#include <algorithm>

#include "common/byte_reader.hpp"
#include "crypto/aes_cbc.hpp"
#include "image/elf32.hpp"
#include "image/format.hpp"
#include "image/load_plan.hpp"
#include "image/resource_table.hpp"
#include "image/tlv.hpp"

namespace rproctee::image {

namespace {

/// Encrypts every PT_LOAD segment of `bytes` in place (ST's --enc_key).
Status encrypt_segments(const Elf32View& view, std::span<uint8_t> bytes,
                        std::span<const uint8_t> key, const BuildParams& params, size_t& iv_index,
                        std::vector<std::array<uint8_t, 16>>& ivs_used) {
  for (size_t k = 0; k < view.phdrs().size(); ++k) {
    const Elf32Phdr& p = view.phdrs()[k];
    if (p.type != elf::kPtLoad) continue;
    if (p.filesz % 16 != 0)
      return make_error(TeeCode::kBadParameters,
                        "{}: segment {} p_filesz ({:#x}) is not a multiple of 16: encryption needs "
                        "16-byte aligned segment sizes (align the sections in the linker script)",
                        view.name(), k, p.filesz);
    crypto::AesIv iv{};
    if (params.ivs) {
      if (iv_index >= params.ivs->size())
        return make_error(TeeCode::kBadParameters, "not enough IVs for the encrypted segments");
      iv = (*params.ivs)[iv_index];
    } else {
      RPROCTEE_CHECK(crypto::random_bytes(iv));
    }
    ++iv_index;
    ivs_used.push_back(iv);
    RPROCTEE_ASSIGN(auto range, view.segment_bytes(p));
    auto segment = bytes.subspan(static_cast<size_t>(range.data() - view.image().data()), p.filesz);
    RPROCTEE_CHECK(crypto::aes_cbc_encrypt(key, iv, segment, segment));
  }
  return {};
}

/// A table entry's hash, computed once the layout is final: where it goes in the table and
/// the segment bytes it covers.
struct PendingHash {
  size_t table_offset;
  std::span<const uint8_t> segment;
};

/// Appends the table entries of one image: phdr, room for the SHA-256 of its (final) file bytes,
/// and for ENCTABLE the IV (zero for entries that are not encrypted PT_LOAD segments).
Status append_table(const Elf32View& view, bool encrypted,
                    const std::vector<std::array<uint8_t, 16>>& ivs, ByteWriter& table,
                    std::vector<PendingHash>& hashes) {
  size_t iv_index = 0;
  for (const Elf32Phdr& p : view.phdrs()) {
    RPROCTEE_ASSIGN(auto bytes, view.segment_bytes(p));
    encode_phdr(p, table);
    hashes.push_back({table.buffer().size(), bytes});
    table.zeros(std::tuple_size_v<crypto::Digest>);
    if (encrypted) {
      static constexpr std::array<uint8_t, 16> kZeroIv{};
      table.bytes(p.type == elf::kPtLoad ? ivs[iv_index++] : kZeroIv);
    }
  }
  return {};
}

}  // namespace

std::vector<uint8_t> UnsignedImage::to_be_signed() const {
  ByteWriter out;
  write_header(out, header);
  out.bytes(tlv_area);
  return out.take();
}

uint64_t UnsignedImage::images_offset() const {
  return kHeaderSize + header.tlv_len + round_up8(header.sign_len);
}

uint64_t UnsignedImage::file_size() const {
  return images_offset() + header.img_len;
}

std::vector<std::span<const uint8_t>> UnsignedImage::image_parts() const {
  static constexpr uint8_t kZeros[8] = {};
  std::vector<std::span<const uint8_t>> parts;
  for (auto bytes : images) {
    parts.push_back(bytes);
    parts.push_back(std::span(kZeros, round_up8(bytes.size()) - bytes.size()));
  }
  return parts;
}

Result<UnsignedImage> build_unsigned(const BuildParams& params, const LayoutReady& layout_ready) {
  if (params.images.empty())
    return make_error(TeeCode::kBadParameters, "no input image (give at least one --in)");
  if (params.images.size() > kMaxImages)
    return make_error(TeeCode::kBadParameters, "{} input images, at most {} are supported",
                      params.images.size(), kMaxImages);
  const bool encrypted = params.enc_key.has_value();
  if (encrypted) RPROCTEE_CHECK(crypto::check_aes_key(*params.enc_key, "--enc_key"));

  UnsignedImage out;
  ByteWriter table;
  std::vector<uint8_t> sizes;
  std::vector<uint8_t> types;
  std::vector<PendingHash> hashes;
  uint64_t img_len = 0;
  size_t iv_index = 0;
  for (const InputImage& input : params.images) {
    RPROCTEE_ASSIGN(Elf32View view, Elf32View::parse(input.bytes, input.name));
    std::vector<std::array<uint8_t, 16>> ivs;
    std::span<const uint8_t> final_bytes = input.bytes;
    if (encrypted) {
      out.owned_images.emplace_back(input.bytes.begin(), input.bytes.end());
      auto& copy = out.owned_images.back();
      RPROCTEE_CHECK(encrypt_segments(view, copy, *params.enc_key, params, iv_index, ivs));
      final_bytes = copy;
      RPROCTEE_ASSIGN(view, Elf32View::parse(final_bytes, input.name));
    }
    RPROCTEE_CHECK(append_table(view, encrypted, ivs, table, hashes));
    out.images.push_back(final_bytes);
    const uint64_t padded = round_up8(final_bytes.size());
    if (padded > UINT32_MAX - img_len)
      return make_error(TeeCode::kBadParameters, "{}: images add up to more than 4 GiB",
                        input.name);
    img_len += padded;
    for (int b = 0; b < 4; ++b) sizes.push_back(static_cast<uint8_t>(padded >> (8 * b)));
    types.push_back(static_cast<uint8_t>(encrypted ? ImageType::kEncryptedElf : ImageType::kElf));
  }

  TlvWriter tlvs;
  const auto num_img = static_cast<uint8_t>(params.images.size());
  const uint32_t table_type = encrypted ? tlv::kEncTable : tlv::kHashTable;
  size_t table_at = 0;  // the table's offset in the TLV area
  tlvs.add_u8(tlv::kSignType, params.sign_type);
  if (params.order == TlvOrder::kSt) {
    if (encrypted) tlvs.add_u8(tlv::kEncType, kEncAesCbc);
    table_at = tlvs.add(table_type, table.buffer());
  }
  tlvs.add_u8(tlv::kNumImg, num_img);
  tlvs.add(tlv::kImgType, types);
  tlvs.add(tlv::kImgSize, sizes);
  tlvs.add_u8(tlv::kHashType, kHashSha256);
  if (params.order == TlvOrder::kUpstream) {
    if (encrypted) tlvs.add_u8(tlv::kEncType, kEncAesCbc);
    table_at = tlvs.add(table_type, table.buffer());
  }
  if (params.key_info) tlvs.add(tlv::kPKeyInfo, *params.key_info);
  for (const PlatformTlv& p : params.platform) tlvs.add(p.type, p.value);
  out.tlv_area = tlvs.take();
  if (out.tlv_area.size() > kMaxTlvLen)
    return make_error(TeeCode::kBadParameters, "TLV area is {} bytes, more than the {}-byte limit",
                      out.tlv_area.size(), kMaxTlvLen);

  out.header = ImageHeader{kMagic, kVersion, static_cast<uint32_t>(out.tlv_area.size()),
                           params.signature_size, static_cast<uint32_t>(img_len)};

  // Nothing fails from here on: the caller may now start using the final image bytes.
  if (layout_ready) layout_ready(out);
  for (const PendingHash& h : hashes) {
    const crypto::Digest digest = crypto::Sha256::of(h.segment);
    std::copy(digest.begin(), digest.end(),
              out.tlv_area.begin() + static_cast<long>(table_at + h.table_offset));
  }
  return out;
}

uint64_t SignedFile::size() const {
  uint64_t n = 0;
  for (auto p : parts) n += p.size();
  return n;
}

std::vector<uint8_t> SignedFile::flatten() const {
  std::vector<uint8_t> out;
  out.reserve(size());
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Result<SignedFile> assemble(const UnsignedImage& image, std::span<const uint8_t> signature) {
  if (signature.size() != image.header.sign_len)
    return make_error(TeeCode::kBadParameters, "signature is {} bytes, the header says {}",
                      signature.size(), image.header.sign_len);
  SignedFile file;
  ByteWriter prefix;
  write_header(prefix, image.header);
  prefix.bytes(image.tlv_area);
  prefix.bytes(signature);
  prefix.zeros(round_up8(signature.size()) - signature.size());  // relative to the signature
  file.prefix = prefix.take();
  file.parts.push_back(file.prefix);
  for (auto part : image.image_parts()) file.parts.push_back(part);
  return file;
}

std::vector<std::array<uint8_t, 16>> load_ivs_from_table(std::span<const uint8_t> enc_table) {
  std::vector<std::array<uint8_t, 16>> ivs;
  for (size_t off = 0; off + kEncEntrySize <= enc_table.size(); off += kEncEntrySize) {
    if (load_le<uint32_t>(enc_table.subspan(off).first<4>()) != elf::kPtLoad) continue;
    std::array<uint8_t, 16> iv{};
    std::copy_n(enc_table.begin() + static_cast<long>(off) + 64, 16, iv.begin());
    ivs.push_back(iv);
  }
  return ivs;
}

}  // namespace rproctee::image

namespace rproctee::image {

namespace {

struct Planned {
  std::vector<Elf32View> views;
  LoadPlan plan;
};

Result<Planned> plan_inputs(const BuildParams& params) {
  Planned p;
  for (const InputImage& input : params.images) {
    RPROCTEE_ASSIGN(auto view, Elf32View::parse(input.bytes, input.name));
    p.views.push_back(std::move(view));
  }
  RPROCTEE_ASSIGN(p.plan, plan_unsigned(p.views));
  return p;
}

Result<uint32_t> st_u32(const PlatformTlv& t, std::string_view name) {
  if (t.value.size() != 4)
    return make_error(TeeCode::kBadParameters,
                      "platform TLV {:#x} (ST's {}) is {} bytes long; ST's TA reads a 4-byte "
                      "little-endian value ('0x...' on the command line)",
                      t.type, name, t.value.size());
  return load_le<uint32_t>(std::span(t.value).first<4>());
}

Status check_st_boot(const BuildParams& params, const LoadPlan& plan) {
  for (const PlatformTlv& p : params.platform) {
    if (p.type == tlv::kBootAddr) {
      RPROCTEE_ASSIGN(const uint32_t address, st_u32(p, "BOOTADDR"));
      RPROCTEE_CHECK(check_boot_address(address, plan));
    } else if (p.type == tlv::kBootSec) {
      RPROCTEE_ASSIGN(const uint32_t secure, st_u32(p, "BOOTSEC"));
      if (secure > 1)
        return make_error(TeeCode::kBadParameters,
                          "platform TLV {:#x} (ST's BOOTSEC) is {}: ST's TA knows only 0 "
                          "(non-secure) and 1 (secure)",
                          p.type, secure);
    }
  }
  return {};
}

}  // namespace

Status check_loadable(const BuildParams& params) {
  RPROCTEE_ASSIGN(const Planned p, plan_inputs(params));
  if (params.order == TlvOrder::kSt) RPROCTEE_CHECK(check_st_boot(params, p.plan));
  RPROCTEE_ASSIGN(const auto location, locate_resource_table(p.views, p.plan));
  if (location) {
    const auto bytes =
        p.views[location->image].image().subspan(location->file_offset, location->size);
    RPROCTEE_CHECK(parse_resource_table(bytes));
  }
  return {};
}

Status check_st_boot_tlvs(const BuildParams& params) {
  RPROCTEE_ASSIGN(const Planned p, plan_inputs(params));
  return check_st_boot(params, p.plan);
}

}  // namespace rproctee::image
