#include "image/inspect.hpp"

#include <algorithm>
#include <array>

#include "common/byte_reader.hpp"
#include "image/format.hpp"

namespace rproctee::image {

namespace {

constexpr std::array<std::string_view, 5> kVectorSections = {
    ".isr_vector", ".isr_vectors", ".vectors", ".vector_table", ".isr_vector_tbl"};

/// Picks the vector table: BOOTADDR, else a well-known section, else the lowest PT_LOAD.
std::optional<VectorTable> find_vectors(const InspectedElf& elf, const LoadPlan& plan,
                                        std::optional<uint32_t> boot_addr, bool encrypted) {
  VectorTable vt;
  // BOOTADDR names one vector table for the whole set of images: use it for the image that
  // holds it, and the usual places for the others.
  if (boot_addr && find_loaded(plan, *boot_addr, 8)) {
    vt = {*boot_addr, "BOOTADDR"};
  } else {
    for (const auto& s : elf.sections)
      if ((s.header.flags & elf::kShfAlloc) &&
          std::find(kVectorSections.begin(), kVectorSections.end(), s.name) !=
              kVectorSections.end()) {
        vt = {s.header.addr, "section " + s.name};
        break;
      }
    if (vt.source.empty()) {
      const PlannedSegment* lowest = nullptr;
      for (const auto& s : plan.loads)
        if (s.phdr.filesz >= 8 && (!lowest || s.phdr.paddr < lowest->phdr.paddr)) lowest = &s;
      if (!lowest) return std::nullopt;
      vt = {lowest->phdr.paddr, "lowest PT_LOAD segment"};
    }
  }
  const PlannedSegment* seg = find_loaded(plan, vt.address, 8);
  if (!seg || !elf.view) return vt;
  vt.encrypted = encrypted;
  ByteReader in(elf.view->image(), elf.name, TeeCode::kBadFormat);
  const uint64_t off = uint64_t{seg->phdr.offset} + (vt.address - seg->phdr.paddr);
  if (auto sp = in.u32(off, "initial SP")) vt.initial_sp = *sp;
  if (auto pc = in.u32(off + 4, "reset vector")) vt.reset_pc = *pc;
  return vt;
}

/// Decodes one ELF: header, sections, plan, resource table, vector table.
InspectedElf inspect_elf(std::span<const uint8_t> bytes, std::string name, const SignedTlvs* tlvs,
                         const LoadPlan* signed_plan, uint32_t index) {
  InspectedElf out;
  out.name = name;
  auto view = Elf32View::parse(bytes, name);
  if (!view) {
    out.problems.push_back(view.error());
    return out;
  }
  out.view = std::move(*view);
  if (auto sections = out.view->sections()) {
    out.sections = std::move(*sections);
  } else {
    out.problems.push_back(sections.error());
  }
  // The plan of this image alone: the signed one when it exists, else the ELF's own.
  const std::span<const Elf32View> one(&*out.view, 1);
  LoadPlan plan;
  if (signed_plan) {
    for (PlannedSegment s : signed_plan->loads)
      if (s.image == index) {
        s.image = 0;
        plan.loads.push_back(s);
      }
  } else if (auto own = plan_unsigned(one)) {
    plan = std::move(*own);
  } else {
    out.problems.push_back(own.error());
  }
  const bool encrypted = tlvs && tlvs->encrypted;
  out.vectors = find_vectors(out, plan, tlvs ? tlvs->boot_addr : std::nullopt, encrypted);
  if (out.sections.empty()) return out;
  auto location = locate_resource_table(one, plan);
  if (!location) {
    out.problems.push_back(location.error());
    return out;
  }
  if (!*location) return out;
  out.rsc_location = **location;
  out.rsc_location->image = index;
  if (encrypted) return out;  // ciphertext
  auto table = parse_resource_table(bytes.subspan((*location)->file_offset, (*location)->size));
  if (table) {
    out.rsc_table = std::move(*table);
  } else {
    out.problems.push_back(table.error());
  }
  return out;
}

class Inspector {
 public:
  explicit Inspector(std::span<const uint8_t> file) : file_(file) { r_.file_size = file.size(); }

  Inspection run() {
    if (file_.size() >= 4 && file_[0] == 0x7F && file_[1] == 'E' && file_[2] == 'L' &&
        file_[3] == 'F') {
      r_.kind = Inspection::Kind::kElf;
      r_.images.push_back(inspect_elf(file_, "ELF file", nullptr, nullptr, 0));
      return std::move(r_);
    }
    if (auto status = container(); !status) {
      r_.stop_reason = std::move(status).error();
    } else {
      r_.stopped_at.reset();
    }
    return std::move(r_);
  }

 private:
  void at(const char* where) { r_.stopped_at = where; }

  Status container() {
    at("header");
    RPROCTEE_ASSIGN(r_.header, decode_header(file_));
    if (r_.header->magic == kMagic) r_.kind = Inspection::Kind::kSignedImage;
    RPROCTEE_ASSIGN(const ContainerAreas areas, split_container(file_));
    r_.kind = Inspection::Kind::kSignedImage;
    r_.layout = areas.layout;
    r_.signature = areas.signature;

    at("TLV area");
    auto walked = walk_tlvs(areas.tlv_area, areas.layout.header.tlv_len, r_.tlvs);
    for (const Tlv& t : r_.tlvs) {  // show the table even if later TLVs are bad
      if (t.type != tlv::kHashTable && t.type != tlv::kEncTable) continue;
      // `encrypted` says which kind `table` holds: set both from the same TLV (a HASHTABLE
      // followed by an undecodable ENCTABLE must not be shown as an ENCTABLE).
      const bool enc_table = t.type == tlv::kEncTable;
      if (auto table = decode_segment_table(t.value, enc_table)) {
        r_.table = std::move(*table);
        r_.encrypted = enc_table;
      }
    }
    RPROCTEE_CHECK(std::move(walked));

    at("TLV values");
    RPROCTEE_ASSIGN(r_.decoded, decode_signed_tlvs(r_.tlvs, areas.layout.header.img_len));

    at("images");
    const auto slots = split_images(areas.images, r_.decoded->image_sizes);
    std::vector<Elf32View> views;
    for (uint32_t i = 0; i < slots.size(); ++i) {
      auto view = Elf32View::parse(slots[i], fmt::format("image {}", i + 1));
      if (!view) {
        r_.images.push_back(
            inspect_elf(slots[i], fmt::format("image {}", i + 1), &*r_.decoded, nullptr, i));
        return std::move(view).error();
      }
      views.push_back(std::move(*view));
    }
    at("program headers vs signed table");
    auto plan = plan_load(*r_.decoded, views);
    for (uint32_t i = 0; i < slots.size(); ++i)
      r_.images.push_back(inspect_elf(slots[i], fmt::format("image {}", i + 1), &*r_.decoded,
                                      plan ? &*plan : nullptr, i));
    if (!plan) return plan.error();
    if (r_.decoded->boot_addr) {
      at("boot address");
      RPROCTEE_CHECK(check_boot_address(*r_.decoded->boot_addr, *plan));
    }
    return {};
  }

  std::span<const uint8_t> file_;
  Inspection r_;
};

}  // namespace

Inspection inspect_file(std::span<const uint8_t> file) {
  return Inspector(file).run();
}

}  // namespace rproctee::image
