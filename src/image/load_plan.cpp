#include "image/load_plan.hpp"

#include <algorithm>
#include <cstring>

#include "common/byte_reader.hpp"

namespace rproctee::image {

namespace {

const TeeCode kBad = TeeCode::kBadFormat;

/// Names the first field where two program headers differ.
std::string phdr_difference(const Elf32Phdr& elf, const Elf32Phdr& sig) {
  const std::pair<const char*, std::pair<uint32_t, uint32_t>> fields[] = {
      {"p_type", {elf.type, sig.type}},       {"p_offset", {elf.offset, sig.offset}},
      {"p_vaddr", {elf.vaddr, sig.vaddr}},    {"p_paddr", {elf.paddr, sig.paddr}},
      {"p_filesz", {elf.filesz, sig.filesz}}, {"p_memsz", {elf.memsz, sig.memsz}},
      {"p_flags", {elf.flags, sig.flags}},    {"p_align", {elf.align, sig.align}}};
  for (const auto& [name, values] : fields)
    if (values.first != values.second)
      return fmt::format("{} is {:#x} in the ELF but {:#x} in the signed table", name, values.first,
                         values.second);
  return "bytes differ";
}

std::string segment_name(const PlannedSegment& s) {
  return fmt::format("image {} segment {} [{:#x}, {:#x})", s.image + 1, s.phdr_index, s.phdr.paddr,
                     uint64_t{s.phdr.paddr} + s.phdr.memsz);
}

Status check_segment(const PlannedSegment& s, const Elf32View& view, bool encrypted) {
  const Elf32Phdr& p = s.phdr;
  if (p.filesz > p.memsz)
    return make_error(kBad, "image {} segment {}: p_filesz ({:#x}) is larger than p_memsz ({:#x})",
                      s.image + 1, s.phdr_index, p.filesz, p.memsz);
  if (uint64_t{p.paddr} + p.memsz > (uint64_t{1} << 32))
    return make_error(kBad,
                      "image {} segment {}: p_paddr ({:#x}) + p_memsz ({:#x}) wraps past "
                      "4 GiB",
                      s.image + 1, s.phdr_index, p.paddr, p.memsz);
  if (!range_fits(p.offset, p.filesz, view.image().size()))
    return make_error(kBad,
                      "image {} segment {}: p_offset ({:#x}) + p_filesz ({:#x}) is past "
                      "the image size ({:#x})",
                      s.image + 1, s.phdr_index, p.offset, p.filesz, view.image().size());
  if (encrypted && p.filesz % 16 != 0)
    return make_error(kBad,
                      "image {} segment {}: encrypted p_filesz ({:#x}) is not a multiple "
                      "of the AES block (16)",
                      s.image + 1, s.phdr_index, p.filesz);
  return {};
}

Status check_disjoint(const std::vector<PlannedSegment>& loads) {
  std::vector<const PlannedSegment*> sorted;
  for (const auto& s : loads)
    if (s.phdr.memsz != 0) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return a->phdr.paddr < b->phdr.paddr; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    const auto* prev = sorted[i - 1];
    if (uint64_t{prev->phdr.paddr} + prev->phdr.memsz > sorted[i]->phdr.paddr)
      return make_error(kBad, "segments overlap: {} and {}", segment_name(*prev),
                        segment_name(*sorted[i]));
  }
  return {};
}

}  // namespace

Result<LoadPlan> plan_load(const SignedTlvs& tlvs, std::span<const Elf32View> images) {
  const auto security = TeeCode::kSecurity;
  uint64_t declared = 0;
  std::string counts;
  for (const auto& v : images) {
    declared += v.header().phnum;
    counts += fmt::format("{}{}", counts.empty() ? "" : " + ", v.header().phnum);
  }
  if (declared != tlvs.segments.size())
    return make_error(security,
                      "the images declare {} program headers ({}) but the signed table "
                      "has {} entries",
                      declared, counts, tlvs.segments.size());

  LoadPlan plan;
  uint32_t first = 0;
  for (uint32_t i = 0; i < images.size(); ++i) {
    const Elf32View& view = images[i];
    const uint32_t count = view.header().phnum;
    plan.images.push_back(ImageSlice{first, count});
    for (uint32_t k = 0; k < count; ++k) {
      const SegmentEntry& entry = tlvs.segments[first + k];
      if (std::memcmp(view.phdr_table().data() + size_t{k} * elf::kPhdrSize, entry.raw_phdr.data(),
                      elf::kPhdrSize) != 0)
        return make_error(security, "image {} program header {} differs from the signed one: {}",
                          i + 1, k, phdr_difference(view.phdrs()[k], entry.phdr));
      if (entry.phdr.type != elf::kPtLoad) continue;
      PlannedSegment s{i, k, first + k, entry.phdr, entry.digest, entry.iv};
      RPROCTEE_CHECK(check_segment(s, view, tlvs.encrypted));
      plan.loads.push_back(s);
    }
    first += count;
  }
  RPROCTEE_CHECK(check_disjoint(plan.loads));
  return plan;
}

Result<LoadPlan> plan_unsigned(std::span<const Elf32View> images) {
  LoadPlan plan;
  uint32_t first = 0;
  for (uint32_t i = 0; i < images.size(); ++i) {
    const auto& phdrs = images[i].phdrs();
    plan.images.push_back(ImageSlice{first, static_cast<uint32_t>(phdrs.size())});
    for (uint32_t k = 0; k < phdrs.size(); ++k) {
      if (phdrs[k].type != elf::kPtLoad) continue;
      PlannedSegment s{i, k, first + k, phdrs[k], {}, std::nullopt};
      RPROCTEE_CHECK(check_segment(s, images[i], false));
      plan.loads.push_back(s);
    }
    first += static_cast<uint32_t>(phdrs.size());
  }
  RPROCTEE_CHECK(check_disjoint(plan.loads));
  return plan;
}

const PlannedSegment* find_loaded(const LoadPlan& plan, uint64_t address, uint64_t size) {
  for (const auto& s : plan.loads)
    if (address >= s.phdr.paddr && range_fits(address - s.phdr.paddr, size, s.phdr.filesz))
      return &s;
  return nullptr;
}

Status check_boot_address(uint32_t address, const LoadPlan& plan) {
  if (address % kVectorTableAlignment != 0)
    return make_error(TeeCode::kBadParameters,
                      "boot address {:#x} is not {}-byte aligned (a "
                      "Cortex-M vector table must be)",
                      address, kVectorTableAlignment);
  if (!find_loaded(plan, address, 8))
    return make_error(TeeCode::kBadParameters,
                      "boot address {:#x}: its initial SP and PC are not "
                      "inside the file bytes of any signed PT_LOAD segment",
                      address);
  return {};
}

namespace {

/// Checks the one `.resource_table` section of image `i` and where it lands in memory (H9).
Result<RscLocation> validate_table_section(uint32_t i, const Elf32Section& sec,
                                           const std::vector<Elf32Section>& sections,
                                           const LoadPlan& plan) {
  const Elf32Shdr& sh = sec.header;
  const std::string where = fmt::format("image {} section {} (.resource_table)", i + 1, sec.index);
  if (sh.type == elf::kShtNobits)
    return make_error(kBad, "{}: SHT_NOBITS, the table has no file bytes", where);
  if (sh.flags & elf::kShfExecInstr)
    return make_error(kBad, "{}: marked executable (SHF_EXECINSTR)", where);
  if (sh.size > kMaxResourceTableSize)
    return make_error(kBad, "{}: {} bytes, more than the {}-byte limit", where, sh.size,
                      kMaxResourceTableSize);
  for (const Elf32Section& code : sections) {
    const Elf32Shdr& c = code.header;
    if ((c.flags & elf::kShfExecInstr) && c.type != elf::kShtNobits &&
        uint64_t{c.offset} < uint64_t{sh.offset} + sh.size &&
        uint64_t{sh.offset} < uint64_t{c.offset} + c.size)
      return make_error(kBad, "{}: file range [{:#x}, {:#x}) overlaps code section {} ({})", where,
                        sh.offset, uint64_t{sh.offset} + sh.size, code.index, code.name);
  }
  for (uint32_t k = 0; k < plan.loads.size(); ++k) {
    const PlannedSegment& s = plan.loads[k];
    if (s.image != i || sh.offset < s.phdr.offset ||
        !range_fits(sh.offset - s.phdr.offset, sh.size, s.phdr.filesz))
      continue;
    // Section flags are not signed; the segment's are: a table in executable memory is code.
    if (s.phdr.flags & elf::kPfX)
      return make_error(kBad,
                        "{}: lies in segment {}, which is executable (p_flags {}): a "
                        "resource table is data",
                        where, s.phdr_index, phdr_flags_string(s.phdr.flags));
    const uint32_t delta = sh.offset - s.phdr.offset;
    if (uint64_t{s.phdr.vaddr} + delta != sh.addr)
      return make_error(kBad,
                        "{}: sh_addr {:#x} does not match its position in segment {} "
                        "(p_vaddr {:#x} + {:#x})",
                        where, sh.addr, s.phdr_index, s.phdr.vaddr, delta);
    return RscLocation{i, k, sh.offset, sh.size, s.phdr.paddr + delta};
  }
  return make_error(kBad,
                    "{}: file range [{:#x}, {:#x}) is not inside the file bytes of a "
                    "signed PT_LOAD segment of this image",
                    where, sh.offset, uint64_t{sh.offset} + sh.size);
}

}  // namespace

Result<std::optional<RscLocation>> locate_resource_table(std::span<const Elf32View> images,
                                                         const LoadPlan& plan) {
  // First find the one table of all images (a second one anywhere is an error on its own),
  // then check it.
  std::optional<std::pair<uint32_t, Elf32Section>> found;
  std::vector<Elf32Section> found_sections;
  for (uint32_t i = 0; i < images.size(); ++i) {
    RPROCTEE_ASSIGN(auto sections, images[i].sections());
    for (const Elf32Section& sec : sections) {
      if (sec.name != ".resource_table" || sec.header.size == 0) continue;
      if (found)
        return make_error(kBad,
                          "image {} section {} (.resource_table): a second resource table "
                          "(the first is in image {})",
                          i + 1, sec.index, found->first + 1);
      found.emplace(i, sec);
      found_sections = sections;
    }
  }
  if (!found) return std::optional<RscLocation>{};
  RPROCTEE_ASSIGN(const RscLocation loc,
                  validate_table_section(found->first, found->second, found_sections, plan));
  return std::optional<RscLocation>(loc);
}

}  // namespace rproctee::image
