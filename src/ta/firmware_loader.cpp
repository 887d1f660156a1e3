#include "ta/firmware_loader.hpp"

#include <algorithm>
#include <vector>

#include "common/byte_reader.hpp"
#include "common/fault_injection.hpp"
#include "image/container.hpp"
#include "image/format.hpp"
#include "image/load_plan.hpp"
#include "image/resource_table.hpp"
#include "image/signed_tlvs.hpp"

namespace rproctee::ta {

namespace {

/// The signed part of an image, copied once out of shared memory (H1).
struct Snapshot {
  image::ContainerLayout layout;
  std::vector<uint8_t> bytes;  // header || TLV area || signature area
  std::span<const uint8_t> signed_prefix() const {
    return std::span(bytes).first(layout.signed_size());
  }
  std::span<const uint8_t> tlv_area() const {
    return std::span(bytes).subspan(layout.tlv_offset, layout.tlv_area_size);
  }
  std::span<const uint8_t> signature() const {
    return std::span(bytes).subspan(layout.sig_offset, layout.header.sign_len);
  }
  std::span<const uint8_t> signature_padding() const {
    return std::span(bytes).subspan(layout.sig_offset + layout.header.sign_len,
                                    layout.sig_area_size - layout.header.sign_len);
  }
};

Result<Snapshot> snapshot(std::span<const uint8_t> shared) {
  if (shared.empty()) return make_error(TeeCode::kBadParameters, "the image buffer is empty");
  std::array<uint8_t, image::kHeaderSize> header{};
  if (shared.size() < header.size())
    return make_error(TeeCode::kBadParameters, "image is {} bytes, smaller than the 20-byte header",
                      shared.size());
  std::copy_n(shared.begin(), header.size(), header.begin());  // the header, once
  Snapshot s;
  RPROCTEE_ASSIGN(s.layout, image::parse_header(header, shared.size()));
  const uint64_t n = s.layout.sig_offset + s.layout.sig_area_size;  // <= 20 + 1 MiB + 1 KiB
  s.bytes.resize(n);
  std::copy_n(header.begin(), header.size(), s.bytes.begin());
  std::copy_n(shared.begin() + image::kHeaderSize, n - image::kHeaderSize,
              s.bytes.begin() + image::kHeaderSize);
  return s;
}

/// H12: the security version must be present and not below the stored one.
Result<std::optional<uint32_t>> check_rollback(const image::SignedTlvs& tlvs,
                                               PlatformPort& platform,
                                               const ProcessorConfig& processor) {
  RPROCTEE_ASSIGN(const auto stored, platform.rollback_read());
  if (!stored.second) return std::optional<uint32_t>{};
  const image::Tlv* tlv = tlvs.find_platform(processor.rollback_tlv);
  if (!tlv)
    return make_error(TeeCode::kSecurity,
                      "anti-rollback is on for {} but the image has no security "
                      "version TLV {:#x}",
                      processor.name, processor.rollback_tlv);
  RPROCTEE_ASSIGN(const uint32_t version, image::platform_u32(*tlv));
  if (version < stored.first)
    return make_error(TeeCode::kSecurity,
                      "security version {} is below the stored {} (rollback refused)", version,
                      stored.first);
  return std::optional<uint32_t>(version);
}

/// H7 region part: every PT_LOAD must fit in one region of the processor.
Status check_regions(const image::LoadPlan& plan, PlatformPort& platform) {
  for (const auto& s : plan.loads) {
    if (s.phdr.memsz == 0) continue;
    auto pa = platform.da_to_pa(s.phdr.paddr, s.phdr.memsz);
    if (!pa)
      return make_error(TeeCode::kAccessDenied,
                        "image {} segment {} [{:#x}, {:#x}) is not inside one memory "
                        "region of the processor",
                        s.image + 1, s.phdr_index, s.phdr.paddr,
                        uint64_t{s.phdr.paddr} + s.phdr.memsz);
  }
  return {};
}

}  // namespace

Result<crypto::Digest> image_identity(std::span<const uint8_t> shared_image) {
  RPROCTEE_ASSIGN(const Snapshot s, snapshot(shared_image));
  return crypto::Sha256::of(s.signed_prefix());
}

Result<LoadedFirmware> load_firmware(std::span<const uint8_t> shared, PlatformPort& platform,
                                     const ProcessorConfig& processor) {
  // H1 + H2: the header and the signed prefix, copied once, sizes in 64 bits.
  RPROCTEE_ASSIGN(const Snapshot snap, snapshot(shared));
  image::ContainerAreas areas;
  areas.signature_padding = snap.signature_padding();
  areas.signature = snap.signature();
  RPROCTEE_CHECK(image::check_signature_padding(areas));

  // H3: verify the signature with the provisioned keys before interpreting any TLV.
  if (should_fail(FaultPoint::kHash))
    return make_error(TeeCode::kGeneric, "hash failure (injected)");
  const crypto::Digest identity = crypto::Sha256::of(snap.signed_prefix());
  RPROCTEE_ASSIGN(const crypto::KeyAlgorithm key_alg,
                  platform.verify_digest(identity, snap.signature()));

  // H4: canonical TLVs, decoded from the secure copy.
  std::vector<image::Tlv> tlvs;
  RPROCTEE_CHECK(image::walk_tlvs(snap.tlv_area(), snap.layout.header.tlv_len, tlvs));
  RPROCTEE_ASSIGN(const image::SignedTlvs signed_tlvs,
                  image::decode_signed_tlvs(tlvs, snap.layout.header.img_len));
  RPROCTEE_CHECK(image::check_sign_type(signed_tlvs.sign_type, key_alg));
  RPROCTEE_ASSIGN(const auto version, check_rollback(signed_tlvs, platform, processor));

  // H6: each image's ELF header and program headers, copied once by Elf32View.
  const auto images =
      image::split_images(shared.subspan(snap.layout.images_offset, snap.layout.header.img_len),
                          signed_tlvs.image_sizes);
  std::vector<image::Elf32View> views;
  for (uint32_t i = 0; i < images.size(); ++i) {
    RPROCTEE_ASSIGN(auto view, image::Elf32View::parse(images[i], fmt::format("image {}", i + 1)));
    views.push_back(std::move(view));
  }
  // H5 + H7: load driven by the signed table only.
  RPROCTEE_ASSIGN(const image::LoadPlan plan, image::plan_load(signed_tlvs, views));
  RPROCTEE_CHECK(check_regions(plan, platform));
  LoadedFirmware fw;
  fw.identity = identity;
  fw.security_version = version;
  fw.boot_address = signed_tlvs.boot_addr.value_or(processor.boot_address);
  fw.boot_secure = signed_tlvs.boot_sec.value_or(0) == 1;
  RPROCTEE_CHECK(image::check_boot_address(fw.boot_address, plan));

  // H9: where the resource table is, from section headers copied once.
  RPROCTEE_ASSIGN(const auto rsc, image::locate_resource_table(views, plan));

  // H5: every signed PT_LOAD exactly once. The segment holding the resource table goes through
  // a secure copy first, so that the table is validated from bytes nobody else can change.
  std::vector<uint8_t> rsc_segment;
  for (uint32_t k = 0; k < plan.loads.size(); ++k) {
    const image::PlannedSegment& s = plan.loads[k];
    RPROCTEE_ASSIGN(std::span<const uint8_t> bytes, views[s.image].segment_bytes(s.phdr));
    if (rsc && rsc->load_index == k) {
      rsc_segment.assign(bytes.begin(), bytes.end());
      bytes = rsc_segment;
    }
    if (auto loaded = platform.load_segment(bytes, s.phdr.paddr, s.digest, s.iv); !loaded)
      return std::move(loaded).error().context(
          fmt::format("image {} segment {} (LOAD at {:#x}, {:#x} bytes)", s.image + 1, s.phdr_index,
                      s.phdr.paddr, s.phdr.filesz));
  }
  if (rsc) {
    const image::PlannedSegment& s = plan.loads[rsc->load_index];
    if (s.iv)
      RPROCTEE_CHECK(platform.decrypt(rsc_segment, *s.iv));  // the PTA decrypted memory likewise
    const auto table = std::span(rsc_segment).subspan(rsc->file_offset - s.phdr.offset, rsc->size);
    RPROCTEE_CHECK(image::parse_resource_table(table));
    RPROCTEE_ASSIGN(fw.rsc_pa, platform.da_to_pa(rsc->address, rsc->size));
    fw.rsc_size = rsc->size;
  }
  return fw;
}

}  // namespace rproctee::ta
