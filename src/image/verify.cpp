#include "image/verify.hpp"

#include "crypto/aes_cbc.hpp"
#include "crypto/sha256.hpp"

namespace rproctee::image {

namespace {

/// Runs the checks in the TA's order, filling the report as it goes.
class OfflineVerifier {
 public:
  OfflineVerifier(std::span<const uint8_t> file, const VerifyOptions& options, VerifyReport& report)
      : file_(file), options_(options), r_(report) {}

  Status run() {
    step("header");
    RPROCTEE_ASSIGN(const ContainerAreas areas, split_container(file_));
    r_.layout = areas.layout;
    RPROCTEE_CHECK(check_signature_padding(areas));

    step("signature");
    RPROCTEE_ASSIGN(r_.key_index,
                    authenticate(areas.signed_prefix, areas.signature, options_.keys));

    step("TLVs");
    std::vector<Tlv> tlvs;
    RPROCTEE_CHECK(walk_tlvs(areas.tlv_area, areas.layout.header.tlv_len, tlvs));
    RPROCTEE_ASSIGN(r_.tlvs, decode_signed_tlvs(tlvs, areas.layout.header.img_len));
    RPROCTEE_CHECK(
        check_sign_type(r_.tlvs->sign_type, options_.keys[*r_.key_index].key().algorithm()));

    step("ELF headers");
    const auto slots = split_images(areas.images, r_.tlvs->image_sizes);
    for (uint32_t i = 0; i < slots.size(); ++i) {
      r_.images.push_back(ImageReport{r_.tlvs->image_types[i], r_.tlvs->image_sizes[i]});
      RPROCTEE_ASSIGN(auto view, Elf32View::parse(slots[i], fmt::format("image {}", i + 1)));
      r_.images[i].entry = view.header().entry;
      views_.push_back(std::move(view));
    }

    step("program headers");
    RPROCTEE_ASSIGN(const LoadPlan plan, plan_load(*r_.tlvs, views_));
    report_segments(plan);

    step("segment digests");
    RPROCTEE_CHECK(check_digests(plan));

    if (r_.tlvs->encrypted && options_.aes_key) {
      step("decryption");
      RPROCTEE_CHECK(decrypt(plan));
    }

    if (r_.tlvs->boot_addr) {
      step("boot address");
      RPROCTEE_CHECK(check_boot_address(*r_.tlvs->boot_addr, plan));
    }

    step("resource table");
    RPROCTEE_ASSIGN(const auto location, locate_resource_table(views_, plan));
    if (location) RPROCTEE_CHECK(parse_table(*location));
    return {};
  }

 private:
  void step(const char* name) { r_.check = name; }

  void report_segments(const LoadPlan& plan) {
    for (uint32_t i = 0; i < plan.images.size(); ++i)
      for (uint32_t k = 0; k < plan.images[i].count; ++k) {
        const uint32_t t = plan.images[i].first + k;
        r_.images[i].segments.push_back(SegmentReport{t, r_.tlvs->segments[t].phdr});
      }
  }

  SegmentReport& segment_report(uint32_t image, uint32_t phdr_index) {
    return r_.images[image].segments[phdr_index];
  }

  // Every program header's digest is checked, not only PT_LOAD ones: the reference signer
  // hashes them all, so a mismatch anywhere means the file is not what was signed.
  Status check_digests(const LoadPlan& plan) {
    for (uint32_t i = 0; i < plan.images.size(); ++i)
      for (uint32_t k = 0; k < plan.images[i].count; ++k) {
        const SegmentEntry& entry = r_.tlvs->segments[plan.images[i].first + k];
        RPROCTEE_ASSIGN(const auto bytes, views_[i].segment_bytes(entry.phdr));
        const crypto::Digest actual = crypto::Sha256::of(bytes);
        SegmentReport& rep = segment_report(i, k);
        rep.encrypted = r_.tlvs->encrypted && entry.phdr.type == elf::kPtLoad;
        rep.digest = actual == entry.digest ? DigestStatus::kMatch : DigestStatus::kMismatch;
        if (rep.digest == DigestStatus::kMismatch)
          return make_error(TeeCode::kSecurity,
                            "image {} segment {} ({} at {:#x}, {:#x} bytes): SHA-256 is {} but the "
                            "signed digest is {}",
                            i + 1, k, phdr_type_name(entry.phdr.type), entry.phdr.paddr,
                            entry.phdr.filesz, crypto::to_hex(actual),
                            crypto::to_hex(entry.digest));
      }
    return {};
  }

  // Decrypts every PT_LOAD segment into private copies of the images, then re-parses them so
  // that the resource table is read from plaintext.
  Status decrypt(const LoadPlan& plan) {
    RPROCTEE_CHECK(crypto::check_aes_key(*options_.aes_key, "--enc_key"));
    plaintext_.resize(views_.size());
    for (uint32_t i = 0; i < views_.size(); ++i)
      plaintext_[i].assign(views_[i].image().begin(), views_[i].image().end());
    for (const PlannedSegment& s : plan.loads) {
      auto bytes = std::span(plaintext_[s.image]).subspan(s.phdr.offset, s.phdr.filesz);
      RPROCTEE_CHECK(crypto::aes_cbc_decrypt(*options_.aes_key, *s.iv, bytes, bytes));
      segment_report(s.image, s.phdr_index).decrypted = true;
    }
    for (uint32_t i = 0; i < views_.size(); ++i) {
      RPROCTEE_ASSIGN(views_[i], Elf32View::parse(plaintext_[i], fmt::format("image {}", i + 1)));
    }
    return {};
  }

  Status parse_table(const RscLocation& loc) {
    ImageReport& img = r_.images[loc.image];
    img.rsc_location = loc;
    if (r_.tlvs->encrypted && plaintext_.empty()) {
      img.rsc_encrypted = true;  // ciphertext: structure checked once decrypted by the TA
      return {};
    }
    const auto bytes = views_[loc.image].image().subspan(loc.file_offset, loc.size);
    RPROCTEE_ASSIGN(img.rsc_table, parse_resource_table(bytes));
    return {};
  }

  std::span<const uint8_t> file_;
  const VerifyOptions& options_;
  VerifyReport& r_;
  std::vector<Elf32View> views_;
  std::vector<std::vector<uint8_t>> plaintext_;
};

}  // namespace

VerifyReport verify_signed_image(std::span<const uint8_t> file, const VerifyOptions& options) {
  VerifyReport report;
  OfflineVerifier verifier(file, options, report);
  if (auto status = verifier.run(); !status) report.error = std::move(status).error();
  return report;
}

}  // namespace rproctee::image
