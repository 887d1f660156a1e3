#include "fuzz_entry_points.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"
#include "image/builder.hpp"
#include "image/container.hpp"
#include "image/elf32.hpp"
#include "image/format.hpp"
#include "image/inspect.hpp"
#include "image/load_plan.hpp"
#include "image/resource_table.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/rsc_builder.hpp"

namespace rproctee::fuzz {

namespace {

using image::Elf32View;

/// Reports a violated invariant and stops (a crash for libFuzzer, a failed test for ctest).
[[noreturn]] void invariant_failed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, condition);
  std::fflush(stderr);
  __builtin_trap();
}

#define FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : invariant_failed(__FILE__, __LINE__, #condition))

/// Setup failures (missing test vectors): not a finding of the fuzzer, so no trap.
[[noreturn]] void setup_failed(const std::string& what) {
  std::fprintf(stderr, "fuzz_verify setup: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

uint32_t u32_at(std::span<const uint8_t> bytes, uint64_t offset) {
  FUZZ_CHECK(range_fits(offset, 4, bytes.size()));
  return load_le<uint32_t>(bytes.subspan(static_cast<size_t>(offset)).first<4>());
}

/// True when `inner` lies inside `outer` (empty spans always do).
bool inside(std::span<const uint8_t> inner, std::span<const uint8_t> outer) {
  if (inner.empty()) return true;
  const auto in = reinterpret_cast<uintptr_t>(inner.data());
  const auto out = reinterpret_cast<uintptr_t>(outer.data());
  return in >= out && inner.size() <= outer.size() && in - out <= outer.size() - inner.size();
}

// ---- resource tables ----------------------------------------------------------------------

/// What parse_resource_table promises about every table it accepts, from the table alone.
void check_table_shape(const image::ResourceTable& t) {
  namespace rsc = image::rsc;
  FUZZ_CHECK(t.version == 1);
  FUZZ_CHECK(t.size >= rsc::kHeaderSize);
  const uint64_t entries_start = rsc::kHeaderSize + uint64_t{4} * t.entries.size();
  FUZZ_CHECK(entries_start <= t.size);
  for (const image::RscEntry& e : t.entries) {
    FUZZ_CHECK(e.offset >= entries_start);
    FUZZ_CHECK(range_fits(e.offset, 4, t.size));
    switch (e.type) {
      case rsc::kCarveout:
      case rsc::kDevmem: {
        const image::RscMemory* m =
            e.type == rsc::kCarveout
                ? static_cast<const image::RscMemory*>(std::get_if<image::RscCarveout>(&e.body))
                : std::get_if<image::RscDevmem>(&e.body);
        FUZZ_CHECK(m != nullptr);
        FUZZ_CHECK(range_fits(e.offset, rsc::kCarveoutSize, t.size));
        FUZZ_CHECK(m->name.size() <= rsc::kNameSize);
        FUZZ_CHECK(m->name.find('\0') == std::string::npos);
        break;
      }
      case rsc::kTrace: {
        const auto* tr = std::get_if<image::RscTrace>(&e.body);
        FUZZ_CHECK(tr != nullptr);
        FUZZ_CHECK(range_fits(e.offset, rsc::kTraceSize, t.size));
        FUZZ_CHECK(tr->name.size() <= rsc::kNameSize);
        break;
      }
      case rsc::kVdev: {
        const auto* v = std::get_if<image::RscVdev>(&e.body);
        FUZZ_CHECK(v != nullptr);
        FUZZ_CHECK(range_fits(e.offset, rsc::kVdevSize, t.size));
        FUZZ_CHECK(v->num_of_vrings <= rsc::kMaxVrings);
        FUZZ_CHECK(v->vrings.size() == v->num_of_vrings);
        FUZZ_CHECK(v->status_offset == e.offset + 24);
        const uint64_t vrings = uint64_t{e.offset} + rsc::kVdevSize;
        for (size_t k = 0; k < v->vrings.size(); ++k) {
          FUZZ_CHECK(v->vrings[k].offset == vrings + k * rsc::kVringSize);
          FUZZ_CHECK(range_fits(v->vrings[k].offset, rsc::kVringSize, t.size));
          FUZZ_CHECK(v->vrings[k].num != 0 && v->vrings[k].align != 0);
        }
        FUZZ_CHECK(v->config_offset == vrings + uint64_t{rsc::kVringSize} * v->vrings.size());
        FUZZ_CHECK(range_fits(v->config_offset, v->config_len, t.size));
        break;
      }
      default:
        FUZZ_CHECK(std::holds_alternative<image::RscOther>(e.body));
        break;
    }
  }
}

/// The shape checks, plus: the decoded values are the table's bytes.
void check_table_bytes(const image::ResourceTable& t, std::span<const uint8_t> bytes) {
  namespace rsc = image::rsc;
  check_table_shape(t);
  FUZZ_CHECK(t.size == bytes.size());
  FUZZ_CHECK(u32_at(bytes, 0) == t.version);
  FUZZ_CHECK(u32_at(bytes, 4) == t.entries.size());
  FUZZ_CHECK(u32_at(bytes, 8) == 0 && u32_at(bytes, 12) == 0);
  for (size_t i = 0; i < t.entries.size(); ++i) {
    const image::RscEntry& e = t.entries[i];
    FUZZ_CHECK(u32_at(bytes, rsc::kHeaderSize + 4 * i) == e.offset);
    FUZZ_CHECK(u32_at(bytes, e.offset) == e.type);
    if (const auto* c = std::get_if<image::RscCarveout>(&e.body)) {
      FUZZ_CHECK(u32_at(bytes, e.offset + 4) == c->da && u32_at(bytes, e.offset + 12) == c->len);
      FUZZ_CHECK(u32_at(bytes, e.offset + 20) == 0);
    } else if (const auto* d = std::get_if<image::RscDevmem>(&e.body)) {
      FUZZ_CHECK(u32_at(bytes, e.offset + 8) == d->pa && u32_at(bytes, e.offset + 16) == d->flags);
      FUZZ_CHECK(u32_at(bytes, e.offset + 20) == 0);
    } else if (const auto* tr = std::get_if<image::RscTrace>(&e.body)) {
      FUZZ_CHECK(u32_at(bytes, e.offset + 8) == tr->len && u32_at(bytes, e.offset + 12) == 0);
    } else if (const auto* v = std::get_if<image::RscVdev>(&e.body)) {
      FUZZ_CHECK(u32_at(bytes, e.offset + 4) == v->id &&
                 u32_at(bytes, e.offset + 20) == v->config_len);
      FUZZ_CHECK(bytes[v->status_offset] == v->status);
      for (const image::RscVring& r : v->vrings)
        FUZZ_CHECK(u32_at(bytes, r.offset) == r.da && u32_at(bytes, r.offset + 8) == r.num);
    }
  }
}

// ---- ELF files, load plans, resource-table locations -------------------------------------

/// parse() checked the header and copied the program headers once, from inside the image.
void check_elf_view(const Elf32View& v, std::span<const uint8_t> bytes) {
  const image::Elf32Header& h = v.header();
  FUZZ_CHECK(v.image().data() == bytes.data() && v.image().size() == bytes.size());
  FUZZ_CHECK(bytes.size() >= image::elf::kEhdrSize);
  static constexpr std::array<uint8_t, 4> kElfMagic = {0x7F, 'E', 'L', 'F'};
  FUZZ_CHECK(std::equal(kElfMagic.begin(), kElfMagic.end(), h.ident.begin()) && h.ident[4] == 1);
  FUZZ_CHECK(h.machine == image::elf::kMachineArm && h.phentsize == image::elf::kPhdrSize);
  FUZZ_CHECK(h.phnum != 0 && h.phnum != image::elf::kPnXnum);
  FUZZ_CHECK(v.phdrs().size() == h.phnum);
  FUZZ_CHECK(v.phdr_table().size() == size_t{h.phnum} * image::elf::kPhdrSize);
  FUZZ_CHECK(range_fits(h.phoff, v.phdr_table().size(), bytes.size()));
  FUZZ_CHECK(std::equal(v.phdr_table().begin(), v.phdr_table().end(), bytes.begin() + h.phoff));
  for (size_t k = 0; k < v.phdrs().size(); ++k)
    FUZZ_CHECK(
        v.phdrs()[k] ==
        image::decode_phdr(
            v.phdr_table().subspan(k * image::elf::kPhdrSize).first<image::elf::kPhdrSize>()));
  if (h.shnum != 0) {
    FUZZ_CHECK(h.shentsize == image::elf::kShdrSize);
    FUZZ_CHECK(range_fits(h.shoff, uint64_t{h.shnum} * image::elf::kShdrSize, bytes.size()));
  }
}

void check_sections(const std::vector<image::Elf32Section>& sections, const Elf32View& v) {
  FUZZ_CHECK(sections.size() == v.header().shnum);
  for (size_t i = 0; i < sections.size(); ++i) {
    FUZZ_CHECK(sections[i].index == i);
    FUZZ_CHECK(sections[i].name.find('\0') == std::string::npos);
  }
}

/// Every planned segment is a PT_LOAD of its image, sane, inside the image, and disjoint.
void check_plan(const image::LoadPlan& plan, std::span<const Elf32View> views) {
  FUZZ_CHECK(plan.images.size() == views.size());
  for (size_t i = 0; i < views.size(); ++i)
    FUZZ_CHECK(plan.images[i].count == views[i].header().phnum);
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const image::PlannedSegment& s : plan.loads) {
    FUZZ_CHECK(s.image < views.size());
    const Elf32View& v = views[s.image];
    FUZZ_CHECK(s.phdr_index < v.phdrs().size());
    FUZZ_CHECK(s.phdr == v.phdrs()[s.phdr_index]);
    FUZZ_CHECK(s.table_index == plan.images[s.image].first + s.phdr_index);
    FUZZ_CHECK(s.phdr.type == image::elf::kPtLoad);
    FUZZ_CHECK(s.phdr.filesz <= s.phdr.memsz);
    FUZZ_CHECK(uint64_t{s.phdr.paddr} + s.phdr.memsz <= (uint64_t{1} << 32));
    FUZZ_CHECK(range_fits(s.phdr.offset, s.phdr.filesz, v.image().size()));
    auto bytes = v.segment_bytes(s.phdr);
    FUZZ_CHECK(bytes.ok() && bytes->size() == s.phdr.filesz && inside(*bytes, v.image()));
    if (s.phdr.memsz != 0) ranges.emplace_back(s.phdr.paddr, uint64_t{s.phdr.paddr} + s.phdr.memsz);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) FUZZ_CHECK(ranges[i - 1].second <= ranges[i].first);
}

/// The located table lies in the file bytes of one planned segment of its image.
void check_location(const image::RscLocation& loc, const image::LoadPlan& plan,
                    std::span<const Elf32View> views) {
  FUZZ_CHECK(loc.image < views.size());
  FUZZ_CHECK(loc.load_index < plan.loads.size());
  const image::PlannedSegment& s = plan.loads[loc.load_index];
  FUZZ_CHECK(s.image == loc.image);
  FUZZ_CHECK(loc.size != 0 && loc.size <= image::kMaxResourceTableSize);
  FUZZ_CHECK(loc.file_offset >= s.phdr.offset);
  FUZZ_CHECK(range_fits(loc.file_offset - s.phdr.offset, loc.size, s.phdr.filesz));
  FUZZ_CHECK(range_fits(loc.file_offset, loc.size, views[loc.image].image().size()));
  FUZZ_CHECK(loc.address == s.phdr.paddr + (loc.file_offset - s.phdr.offset));
}

/// A successful boot-address check found the 8 bytes in the file bytes of a segment.
void check_boot(uint32_t address, const image::LoadPlan& plan) {
  if (!image::check_boot_address(address, plan)) return;
  FUZZ_CHECK(address % image::kVectorTableAlignment == 0);
  const image::PlannedSegment* s = image::find_loaded(plan, address, 8);
  FUZZ_CHECK(s != nullptr);
  FUZZ_CHECK(address >= s->phdr.paddr && range_fits(address - s->phdr.paddr, 8, s->phdr.filesz));
}

// ---- inspect ------------------------------------------------------------------------------

void check_inspected_elf(const image::InspectedElf& elf, std::span<const uint8_t> file,
                         bool encrypted) {
  if (!elf.view) {
    FUZZ_CHECK(!elf.problems.empty());
    FUZZ_CHECK(elf.sections.empty() && !elf.rsc_location && !elf.rsc_table);
    return;
  }
  FUZZ_CHECK(inside(elf.view->image(), file));
  check_elf_view(*elf.view, elf.view->image());
  if (!elf.sections.empty()) check_sections(elf.sections, *elf.view);
  for (const Error& e : elf.problems) FUZZ_CHECK(e.code != TeeCode::kSuccess);
  if (elf.rsc_location) {
    const image::RscLocation& loc = *elf.rsc_location;
    FUZZ_CHECK(loc.size != 0 && loc.size <= image::kMaxResourceTableSize);
    FUZZ_CHECK(range_fits(loc.file_offset, loc.size, elf.view->image().size()));
  }
  if (elf.rsc_table) {
    FUZZ_CHECK(elf.rsc_location.has_value() && !encrypted);
    check_table_bytes(*elf.rsc_table, elf.view->image().subspan(elf.rsc_location->file_offset,
                                                                elf.rsc_location->size));
  }
}

void check_inspection(const image::Inspection& r, std::span<const uint8_t> file) {
  FUZZ_CHECK(r.file_size == file.size());
  FUZZ_CHECK(r.stop_reason.has_value() == r.stopped_at.has_value());
  if (r.stop_reason) FUZZ_CHECK(r.stop_reason->code != TeeCode::kSuccess);
  if (r.kind == image::Inspection::Kind::kElf) {
    FUZZ_CHECK(r.images.size() == 1 && !r.header && !r.layout && !r.stop_reason);
    check_inspected_elf(r.images[0], file, false);
    if (r.images[0].view) FUZZ_CHECK(r.images[0].view->image().size() == file.size());
    return;
  }
  if (r.layout) {
    FUZZ_CHECK(r.kind == image::Inspection::Kind::kSignedImage);
    FUZZ_CHECK(r.layout->total_size == file.size());
    FUZZ_CHECK(r.signature.size() == r.layout->header.sign_len && inside(r.signature, file));
  } else {
    FUZZ_CHECK(r.stop_reason.has_value() && r.tlvs.empty() && !r.decoded);
  }
  for (const image::Tlv& t : r.tlvs) {
    FUZZ_CHECK(r.layout.has_value());
    FUZZ_CHECK(inside(t.value, file));
    FUZZ_CHECK(t.offset % 8 == 0);
    FUZZ_CHECK(range_fits(t.offset + 8, t.value.size(), r.layout->header.tlv_len));
  }
  for (const image::SegmentEntry& e : r.table) {
    FUZZ_CHECK(e.raw_phdr.size() == image::elf::kPhdrSize && inside(e.raw_phdr, file));
    FUZZ_CHECK(e.phdr == image::decode_phdr(e.raw_phdr.first<image::elf::kPhdrSize>()));
    FUZZ_CHECK(e.iv.has_value() == r.encrypted);
  }
  // Never more images than NUM_IMG, and none before the TLVs decoded.
  if (!r.decoded) {
    FUZZ_CHECK(r.images.empty());
    return;
  }
  const size_t num_img = r.decoded->image_sizes.size();
  FUZZ_CHECK(num_img >= 1 && num_img <= image::kMaxImages);
  FUZZ_CHECK(r.decoded->image_types.size() == num_img);
  FUZZ_CHECK(r.images.size() <= num_img);
  if (!r.stop_reason) FUZZ_CHECK(r.images.size() == num_img);
  for (const image::InspectedElf& elf : r.images)
    check_inspected_elf(elf, file, r.decoded->encrypted);
}

// ---- verify -------------------------------------------------------------------------------

struct Container {
  std::vector<uint8_t> prefix;  // header || TLVs || signature || padding
  std::vector<uint8_t> images;  // the images area as signed (img_len bytes)
  image::VerifyOptions options;
};

struct VerifyState {
  image::VerifyOptions raw_options;  // the rsa2048 test key
  std::vector<Container> containers;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> files;  // fuzz_generated_files
};

// Compact firmware ELFs (a few hundred bytes, no padding to pages) for the containers: most
// bytes a mutation hits are then headers, tables or segment bytes rather than zero padding.
// They are written by the tests' ElfBuilder (image::write_elf32), 4-byte p_align.

/// A Cortex-M vector table (initial SP, reset and 14 more handlers) followed by Thumb code.
std::vector<uint8_t> vectors_and_code(uint32_t base, uint32_t sp, size_t code_size) {
  ByteWriter w;
  w.u32(sp);
  w.u32(base + 0x40 + 1);  // reset: the code (Thumb)
  const auto bx_lr = static_cast<uint32_t>(base + 0x40 + code_size - 2 + 1);
  for (uint32_t i = 2; i < 16; ++i) w.u32(bx_lr);  // the other handlers: its bx lr
  for (size_t i = 0; i + 2 <= code_size; i += 2)
    w.u16(static_cast<uint16_t>(i + 2 == code_size ? 0x4770 : 0xBF00));  // nop ... bx lr
  return w.take();
}

/// A segment of the compact ELFs: `bss` bytes of p_memsz past the file bytes.
test::ElfSegment mini_segment(uint32_t type, uint32_t paddr, uint32_t flags,
                              std::vector<uint8_t> data, uint32_t bss = 0) {
  const auto memsz = static_cast<uint32_t>(data.size() + bss);
  return {.type = type,
          .paddr = paddr,
          .data = std::move(data),
          .memsz = memsz,
          .flags = flags,
          .align = 4};
}

std::vector<uint8_t> mini_elf(uint32_t entry, std::vector<test::ElfSegment> segments,
                              std::vector<test::ElfSection> sections) {
  test::ElfBuilder b;
  b.entry(entry);
  for (auto& s : segments) b.add_segment(std::move(s));
  for (auto& s : sections) b.add_section(std::move(s));
  return b.build();
}

/// A resource table with one entry of every kind: carveout, devmem, trace, rpmsg vdev with two
/// vrings and 8 config bytes, vendor entry.
std::vector<uint8_t> mini_resource_table() {
  namespace rsc = image::rsc;
  return test::RscTableBuilder()
      .add_carveout(0x10040000u + rsc::kCarveout * 0x1000000u,
                    0x10040000u + rsc::kCarveout * 0x1000000u, 0x8000, 0, "vdev0buffer")
      .add_devmem(0x10040000u + rsc::kDevmem * 0x1000000u, 0x10040000u + rsc::kDevmem * 0x1000000u,
                  0x8000, 0, "mmio")
      .add_trace(0x80a00800, 0x400, "cm33_trace")
      .add_vdev(rsc::kVirtioIdRpmsg, 0, 1, {{rsc::kAddrAny, 16, 16, 0}, {rsc::kAddrAny, 16, 16, 1}},
                8)
      .add_raw(200, {0xAB, 0xCD, 0xEF, 0x01})  // vendor type 200
      .build();
}

/// Code at 0x80100000 with its vector table, a resource table + .bss at 0x80a00000.
std::vector<uint8_t> mini_rsc_elf() {
  namespace elf = image::elf;
  const auto table = mini_resource_table();
  std::vector<uint8_t> data = table;
  data.resize((table.size() + 15) & ~size_t{15});  // AES-CBC (container 3): whole blocks
  const auto table_end = static_cast<uint32_t>(data.size());
  return mini_elf(
      0x80100041,
      {mini_segment(elf::kPtLoad, 0x80100000, elf::kPfR | elf::kPfX,
                    vectors_and_code(0x80100000, 0x80b00000, 0x20)),
       mini_segment(elf::kPtLoad, 0x80a00000, elf::kPfR | elf::kPfW, data, 0x400)},
      {{".isr_vector", 1, elf::kShfAlloc, 0, 0, 0x40},
       {".text", 1, elf::kShfAlloc | elf::kShfExecInstr, 0, 0x40, 0x20},
       {".resource_table", 1, elf::kShfAlloc | 1, 1, 0, static_cast<uint32_t>(table.size())},
       {".bss", elf::kShtNobits, elf::kShfAlloc | 1, 1, table_end, 0x400}});
}

/// A PT_ARM_EXIDX before the PT_LOADs, a PT_NOTE and an empty PT_LOAD after them.
std::vector<uint8_t> mini_exidx_elf() {
  namespace elf = image::elf;
  return mini_elf(
      0x80100041,
      {mini_segment(elf::kPtArmExidx, 0x80100060, elf::kPfR, std::vector<uint8_t>(16, 0x01)),
       mini_segment(elf::kPtLoad, 0x80100000, elf::kPfR | elf::kPfX,
                    vectors_and_code(0x80100000, 0x80b00000, 0x20)),
       mini_segment(elf::kPtLoad, 0x80a00000, elf::kPfR | elf::kPfW, {1, 2, 3, 4}, 0x100),
       mini_segment(elf::kPtNote, 0, elf::kPfR, std::vector<uint8_t>(12, 0x02)),
       mini_segment(elf::kPtLoad, 0x80c00000, elf::kPfR, {})},
      {{".isr_vector", 1, elf::kShfAlloc, 1, 0, 0x40},
       {".text", 1, elf::kShfAlloc | elf::kShfExecInstr, 1, 0x40, 0x20},
       {".ARM.exidx", elf::kPtArmExidx, elf::kShfAlloc | 0x80, 0, 0, 16},
       {".data", 1, elf::kShfAlloc | 1, 2, 0, 4},
       {".bss", elf::kShtNobits, elf::kShfAlloc | 1, 2, 4, 0x100}});
}

/// A one-segment secure image at 0x80000000 (the first image of a two-image container).
std::vector<uint8_t> mini_tfm_elf() {
  namespace elf = image::elf;
  auto bytes = vectors_and_code(0x80000000, 0x80020000, 0x20);
  bytes.insert(bytes.end(), {0xDE, 0xC0, 0xAD, 0x0B});
  return mini_elf(0x80000041, {mini_segment(elf::kPtLoad, 0x80000000, 7, bytes, 0x100)},
                  {{".isr_vector", 1, elf::kShfAlloc, 0, 0, 0x40},
                   {".text", 1, elf::kShfAlloc | elf::kShfExecInstr, 0, 0x40, 0x20},
                   {".data", 1, elf::kShfAlloc | 1, 0, 0x60, 4}});
}

struct ContainerSpec {
  std::vector<std::vector<uint8_t>> elfs;
  test::SignOptions options;  // its enc_key is also given to the verifier
};

VerifyState make_verify_state() try {
  VerifyState s;
  const test::TestKey& key = test::test_key("rsa2048");
  s.raw_options.keys.push_back(key.verifier);

  const auto rsc = mini_rsc_elf();
  const auto exidx = mini_exidx_elf();
  const auto tfm = mini_tfm_elf();
  s.files = {{"mini-rsc.elf", rsc},
             {"mini-exidx.elf", exidx},
             {"mini-tfm.elf", tfm},
             {"mini-rsc-table.bin", mini_resource_table()}};
  std::vector<uint8_t> aes_key(32);
  for (size_t i = 0; i < aes_key.size(); ++i) aes_key[i] = static_cast<uint8_t>(i);
  std::vector<std::array<uint8_t, 16>> ivs(8);  // fixed: the container, hence its seed, is
  for (size_t i = 0; i < ivs.size(); ++i) ivs[i].fill(static_cast<uint8_t>(0xA0 + i));  // stable
  const std::vector<ContainerSpec> specs = {
      // 0: one ELF with a resource table holding every kind of entry.
      {{rsc}, {}},
      // 1: PT_ARM_EXIDX, PT_NOTE and an empty PT_LOAD; PKEYINFO and an opaque platform TLV.
      {{exidx},
       {.platform = {{0x10010, {'f', 'u', 'z', 'z'}}},
        .key_info = std::vector<uint8_t>{'k', 'e', 'y', '-', 'i', 'n', 'f', 'o'}}},
      // 2: two images, BOOTADDR in the first and BOOTSEC, ST's TLV order.
      {{tfm, rsc},
       {.platform = {{image::tlv::kBootAddr, test::le32(0x80000000)},
                     {image::tlv::kBootSec, test::le32(1)}},
        .order = image::TlvOrder::kSt}},
      // 3: encrypted segments (ENCTABLE), decrypted by the verifier; BOOTADDR.
      {{rsc},
       {.platform = {{image::tlv::kBootAddr, test::le32(0x80100000)}},
        .enc_key = aes_key,
        .order = image::TlvOrder::kSt,
        .ivs = ivs}},
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::vector<uint8_t> file = test::sign_elfs(specs[i].elfs, key, specs[i].options);
    auto areas = image::split_container(file);
    if (!areas) setup_failed(areas.error().message);
    const auto images_offset = static_cast<std::ptrdiff_t>(areas->layout.images_offset);
    Container c;
    c.prefix.assign(file.begin(), file.begin() + images_offset);
    c.images.assign(file.begin() + images_offset, file.end());
    c.options = s.raw_options;
    c.options.aes_key = specs[i].options.enc_key;
    if (const auto report = image::verify_signed_image(file, c.options); !report.authentic())
      setup_failed("container " + std::to_string(i) + ": " + report.error.message);
    std::vector<uint8_t> seed{static_cast<uint8_t>(i)};
    seed.insert(seed.end(), c.images.begin(), c.images.end());
    s.files.emplace_back("container-" + std::to_string(i) + ".bin", std::move(seed));
    s.files.emplace_back("container-" + std::to_string(i) + ".sign", file);
    s.containers.push_back(std::move(c));
  }
  return s;
} catch (const std::exception& e) {  // the test builders throw (test vectors missing, ...)
  setup_failed(e.what());
}

const VerifyState& verify_state() {
  static const VerifyState state = make_verify_state();
  return state;
}

void check_verify_report(const image::VerifyReport& r, std::span<const uint8_t> file,
                         const image::VerifyOptions& options) {
  FUZZ_CHECK(r.authentic() == (r.error.code == TeeCode::kSuccess));
  if (!r.authentic()) FUZZ_CHECK(!r.error.message.empty());
  if (r.key_index) FUZZ_CHECK(*r.key_index < options.keys.size());
  if (r.layout) FUZZ_CHECK(r.layout->total_size == file.size());
  if (!r.tlvs) {
    FUZZ_CHECK(r.images.empty());
  } else {
    FUZZ_CHECK(r.key_index.has_value() && r.layout.has_value());
    FUZZ_CHECK(r.tlvs->image_sizes.size() >= 1 && r.tlvs->image_sizes.size() <= image::kMaxImages);
    FUZZ_CHECK(r.images.size() <= r.tlvs->image_sizes.size());
  }
  uint64_t slot_offset = r.layout ? r.layout->images_offset : 0;
  for (size_t i = 0; i < r.images.size(); ++i) {
    const image::ImageReport& img = r.images[i];
    FUZZ_CHECK(img.size == r.tlvs->image_sizes[i]);
    for (const image::SegmentReport& s : img.segments) {
      FUZZ_CHECK(s.table_index < r.tlvs->segments.size());
      FUZZ_CHECK(s.phdr == r.tlvs->segments[s.table_index].phdr);
      if (s.digest == image::DigestStatus::kMismatch)
        FUZZ_CHECK(r.error.code == TeeCode::kSecurity);
      if (s.decrypted) FUZZ_CHECK(options.aes_key && r.tlvs->encrypted);
    }
    if (img.rsc_table) {
      FUZZ_CHECK(img.rsc_location.has_value() && img.rsc_location->image == i);
      if (r.tlvs->encrypted) {
        check_table_shape(*img.rsc_table);  // parsed from the decrypted copy
      } else {
        const auto slot = file.subspan(static_cast<size_t>(slot_offset), img.size);
        check_table_bytes(*img.rsc_table,
                          slot.subspan(img.rsc_location->file_offset, img.rsc_location->size));
      }
    }
    slot_offset += img.size;
  }
  if (!r.authentic()) return;

  // Authentic: every stage ran, every digest matched, and the key-less inspection of the same
  // bytes decodes everything without a problem.
  FUZZ_CHECK(r.check == "resource table");
  FUZZ_CHECK(r.tlvs.has_value() && r.images.size() == r.tlvs->image_sizes.size());
  for (const image::ImageReport& img : r.images) {
    FUZZ_CHECK(img.entry.has_value() && !img.segments.empty());
    for (const image::SegmentReport& s : img.segments) {
      FUZZ_CHECK(s.digest == image::DigestStatus::kMatch);
      if (r.tlvs->encrypted && options.aes_key && s.phdr.type == image::elf::kPtLoad)
        FUZZ_CHECK(s.decrypted);
    }
    FUZZ_CHECK(img.rsc_encrypted == (img.rsc_location && r.tlvs->encrypted && !options.aes_key));
  }
  // Not for decrypted images: the verifier reads their sections from the plaintext, inspect from
  // the ciphertext (the unsigned section headers may point into an encrypted segment).
  if (r.tlvs->encrypted && options.aes_key) return;
  const image::Inspection inspection = image::inspect_file(file);
  check_inspection(inspection, file);
  FUZZ_CHECK(inspection.kind == image::Inspection::Kind::kSignedImage);
  FUZZ_CHECK(!inspection.stop_reason);
  FUZZ_CHECK(inspection.images.size() == r.images.size());
  for (const image::InspectedElf& elf : inspection.images) FUZZ_CHECK(elf.problems.empty());
}

}  // namespace

void fuzz_inspect_one(std::span<const uint8_t> data) {
  check_inspection(image::inspect_file(data), data);
}

void fuzz_verify_init() {
  (void)verify_state();
}

size_t fuzz_verify_container_count() {
  return verify_state().containers.size();
}

std::vector<std::vector<uint8_t>> fuzz_verify_container_seeds() {
  std::vector<std::vector<uint8_t>> seeds;
  for (const auto& [name, bytes] : verify_state().files)
    if (name.ends_with(".bin") && name.starts_with("container-")) seeds.push_back(bytes);
  return seeds;
}

const std::vector<std::pair<std::string, std::vector<uint8_t>>>& fuzz_generated_files() {
  return verify_state().files;
}

image::VerifyReport fuzz_verify_run(std::span<const uint8_t> data) {
  const VerifyState& state = verify_state();
  if (data.empty() || data[0] >= state.containers.size()) {
    image::VerifyReport report = image::verify_signed_image(data, state.raw_options);
    check_verify_report(report, data, state.raw_options);
    return report;
  }
  // Container mode: the signed prefix, then the input as the images area (exactly img_len).
  const Container& c = state.containers[data[0]];
  const auto images = data.subspan(1, std::min(data.size() - 1, c.images.size()));
  std::vector<uint8_t> file(c.prefix);
  file.insert(file.end(), images.begin(), images.end());
  file.resize(c.prefix.size() + c.images.size(), 0);
  image::VerifyReport report = image::verify_signed_image(file, c.options);
  FUZZ_CHECK(report.key_index.has_value());  // the signature is always valid here
  check_verify_report(report, file, c.options);
  return report;
}

void fuzz_verify_one(std::span<const uint8_t> data) {
  (void)fuzz_verify_run(data);
}

void fuzz_elf32_one(std::span<const uint8_t> data) {
  auto view = Elf32View::parse(data, "fuzz ELF");
  if (!view) {
    FUZZ_CHECK(view.error().code == TeeCode::kBadFormat);
    return;
  }
  check_elf_view(*view, data);
  auto sections = view->sections();
  if (sections) check_sections(*sections, *view);
  for (const image::Elf32Phdr& p : view->phdrs())
    if (auto bytes = view->segment_bytes(p))
      FUZZ_CHECK(bytes->size() == p.filesz && inside(*bytes, data));

  const std::span<const Elf32View> one(&*view, 1);
  auto plan = image::plan_unsigned(one);
  if (!plan) return;
  check_plan(*plan, one);
  // The vector table the entry point would belong to, and the lowest segment's start.
  check_boot(view->header().entry & ~(image::kVectorTableAlignment - 1), *plan);
  if (!plan->loads.empty()) check_boot(plan->loads.front().phdr.paddr, *plan);

  auto location = image::locate_resource_table(one, *plan);
  if (!location) {
    FUZZ_CHECK(!sections || !sections->empty());  // no section table is never an error
    return;
  }
  if (!*location) return;
  FUZZ_CHECK(sections.ok());
  check_location(**location, *plan, one);
  const auto bytes = data.subspan((*location)->file_offset, (*location)->size);
  if (auto table = image::parse_resource_table(bytes)) check_table_bytes(*table, bytes);
}

void fuzz_resource_table_one(std::span<const uint8_t> data) {
  auto table = image::parse_resource_table(data);
  if (!table) {
    FUZZ_CHECK(table.error().code == TeeCode::kBadFormat && !table.error().message.empty());
    return;
  }
  check_table_bytes(*table, data);
}

}  // namespace rproctee::fuzz
