#include "support/image_crafting.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"
#include "crypto/sha256.hpp"
#include "image/container.hpp"
#include "image/elf32.hpp"
#include "image/tlv.hpp"

namespace rproctee::test {

std::vector<uint8_t> sign_elfs(const std::vector<std::vector<uint8_t>>& elfs, const TestKey& key,
                               const SignOptions& options) {
  image::BuildParams p;
  for (size_t i = 0; i < elfs.size(); ++i)
    p.images.push_back({"elf " + std::to_string(i + 1), elfs[i]});
  p.sign_type = key.priv.algorithm() == crypto::KeyAlgorithm::kRsa ? 1 : 2;
  p.signature_size = static_cast<uint32_t>(key.signer.signature_size());
  p.key_info = options.key_info;
  p.platform = options.platform;
  p.enc_key = options.enc_key;
  p.order = options.order;
  p.ivs = options.ivs;
  auto u = image::build_unsigned(p);
  if (!u) throw std::runtime_error(u.error().message);
  auto sig = key.signer.sign(u->digest());
  if (!sig) throw std::runtime_error(sig.error().message);
  auto file = image::assemble(*u, *sig);
  if (!file) throw std::runtime_error(file.error().message);
  return file->flatten();
}

std::vector<uint8_t>& RawImage::tlv(uint32_t type) {
  for (auto& [t, v] : tlvs)
    if (t == type) return v;
  throw std::runtime_error("no TLV " + std::to_string(type));
}

void RawImage::remove_tlv(uint32_t type) {
  tlvs.erase(std::remove_if(tlvs.begin(), tlvs.end(), [&](auto& t) { return t.first == type; }),
             tlvs.end());
}

RawImage decompose(std::span<const uint8_t> file) {
  auto areas = image::split_container(file);
  if (!areas) throw std::runtime_error(areas.error().message);
  std::vector<image::Tlv> tlvs;
  if (!image::walk_tlvs(areas->tlv_area, areas->layout.header.tlv_len, tlvs))
    throw std::runtime_error("bad TLVs");
  RawImage raw;
  std::vector<uint32_t> sizes;
  for (const auto& t : tlvs) {
    raw.tlvs.emplace_back(t.type, std::vector<uint8_t>(t.value.begin(), t.value.end()));
    if (t.type == image::tlv::kImgSize)
      for (size_t i = 0; i + 4 <= t.value.size(); i += 4) sizes.push_back(get_u32(t.value, i));
  }
  size_t off = 0;
  for (uint32_t s : sizes) {
    raw.images.emplace_back(areas->images.begin() + static_cast<long>(off),
                            areas->images.begin() + static_cast<long>(off + s));
    off += s;
  }
  raw.signature.assign(areas->signature.begin(), areas->signature.end());
  return raw;
}

namespace {
std::vector<uint8_t> signed_prefix(const RawImage& raw, uint32_t sign_len) {
  image::TlvWriter tw;
  for (const auto& [t, v] : raw.tlvs) tw.add(t, v);
  std::vector<uint8_t> area(tw.bytes().begin(), tw.bytes().end());
  area.insert(area.end(), raw.extra_tlv_bytes.begin(), raw.extra_tlv_bytes.end());
  uint64_t img_len = 0;
  for (const auto& i : raw.images) img_len += round_up8(i.size());
  ByteWriter w;
  w.u32(raw.magic);
  w.u32(raw.version);
  w.u32(raw.tlv_len.value_or(static_cast<uint32_t>(area.size())));
  w.u32(raw.sign_len.value_or(sign_len));
  w.u32(raw.img_len.value_or(static_cast<uint32_t>(img_len)));
  w.bytes(area);
  w.zeros(round_up8(area.size()) - area.size());
  return w.take();
}
}  // namespace

std::vector<uint8_t> assemble_raw(const RawImage& raw) {
  auto out = signed_prefix(raw, static_cast<uint32_t>(raw.signature.size()));
  out.insert(out.end(), raw.signature.begin(), raw.signature.end());
  out.resize(out.size() + round_up8(raw.signature.size()) - raw.signature.size(), 0);
  for (const auto& i : raw.images) {
    out.insert(out.end(), i.begin(), i.end());
    out.resize(out.size() + round_up8(i.size()) - i.size(), 0);
  }
  return out;
}

std::vector<uint8_t> resign(RawImage raw, const TestKey& key) {
  const auto sign_len = static_cast<uint32_t>(key.signer.signature_size());
  const auto prefix = signed_prefix(raw, sign_len);
  auto sig = key.signer.sign(crypto::Sha256::of(prefix));
  if (!sig) throw std::runtime_error(sig.error().message);
  raw.signature = *sig;
  if (!raw.sign_len) raw.sign_len = sign_len;
  return assemble_raw(raw);
}

void rehash(RawImage& raw) {
  ByteWriter table;
  for (const auto& img : raw.images) {
    auto view = image::Elf32View::parse(img, "image");
    if (!view) throw std::runtime_error(view.error().message);
    for (const auto& p : view->phdrs()) {
      image::encode_phdr(p, table);
      const auto bytes = std::span(img).subspan(p.offset, p.filesz);
      table.bytes(crypto::Sha256::of(bytes));
    }
  }
  raw.tlv(image::tlv::kHashTable) = table.take();
}

image::VerifyReport verify_with(std::span<const uint8_t> file, const TestKey& key,
                                std::optional<std::vector<uint8_t>> aes_key) {
  image::VerifyOptions opts;
  opts.keys.push_back(key.verifier);
  opts.aes_key = std::move(aes_key);
  return image::verify_signed_image(file, opts);
}

namespace {
/// The `size` bytes at `offset` (std::out_of_range past the end).
template <size_t size, typename Bytes>
auto field(Bytes& bytes, size_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < size)
    throw std::out_of_range("field past the end of the buffer");
  return std::span(bytes).subspan(offset).template first<size>();
}
}  // namespace

void put_u16(std::vector<uint8_t>& bytes, size_t offset, uint16_t value) {
  store_le(field<2>(bytes, offset), value);
}

void put_u32(std::vector<uint8_t>& bytes, size_t offset, uint32_t value) {
  store_le(field<4>(bytes, offset), value);
}

uint16_t get_u16(std::span<const uint8_t> bytes, size_t offset) {
  return load_le<uint16_t>(field<2>(bytes, offset));
}

uint32_t get_u32(std::span<const uint8_t> bytes, size_t offset) {
  return load_le<uint32_t>(field<4>(bytes, offset));
}

std::vector<uint8_t> le32(uint32_t value) {
  std::vector<uint8_t> bytes(4);
  store_le(std::span(bytes).first<4>(), value);
  return bytes;
}

}  // namespace rproctee::test
