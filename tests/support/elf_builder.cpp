#include "support/elf_builder.hpp"

#include "common/byte_writer.hpp"
#include "support/rsc_builder.hpp"

namespace rproctee::test {

namespace {
constexpr uint32_t kFileAlignment = 16;
}  // namespace

ElfBuilder& ElfBuilder::entry(uint32_t address) {
  entry_ = address;
  return *this;
}

ElfBuilder& ElfBuilder::machine(uint16_t machine) {
  machine_ = machine;
  return *this;
}

size_t ElfBuilder::add_segment(ElfSegment segment) {
  segments_.push_back(std::move(segment));
  return segments_.size() - 1;
}

ElfBuilder& ElfBuilder::add_section(ElfSection section) {
  sections_.push_back(std::move(section));
  return *this;
}

size_t ElfBuilder::add_code(uint32_t address, std::vector<uint8_t> code, uint32_t initial_sp,
                            bool isr_vector_and_text) {
  namespace elf = image::elf;
  const uint32_t reset = address + 0x41;
  put_vector_table(code, initial_sp, reset);
  entry(reset);
  const auto size = static_cast<uint32_t>(code.size());
  const size_t text =
      add_segment({.paddr = address, .data = std::move(code), .flags = elf::kPfR | elf::kPfX});
  if (isr_vector_and_text) {
    add_section({.name = ".isr_vector", .segment = text, .size = 0x40});
    add_section({.name = ".text",
                 .flags = elf::kShfAlloc | elf::kShfExecInstr,
                 .segment = text,
                 .offset = 0x40,
                 .size = size - 0x40});
  }
  return text;
}

size_t ElfBuilder::add_resource_table(uint32_t address, std::vector<uint8_t> table) {
  const auto size = static_cast<uint32_t>(table.size());
  const size_t segment =
      add_segment({.paddr = address, .data = std::move(table), .flags = image::elf::kPfR});
  add_section({.name = ".resource_table", .segment = segment, .size = size});
  return segment;
}

image::Elf32FileSpec ElfBuilder::spec() const {
  image::Elf32FileSpec spec;
  spec.machine = machine_;
  spec.entry = entry_;
  spec.alignment = kFileAlignment;
  for (const ElfSegment& s : segments_) {
    const auto filesz = static_cast<uint32_t>(s.data.size());
    spec.segments.push_back({{.type = s.type,
                              .vaddr = s.vaddr.value_or(s.paddr),
                              .paddr = s.paddr,
                              .memsz = s.memsz.value_or(filesz),
                              .flags = s.flags,
                              .align = s.align},
                             s.data});
  }
  spec.sections = sections_;
  return spec;
}

std::vector<uint8_t> ElfBuilder::build() const {
  return image::write_elf32(spec());
}

void put_vector_table(std::vector<uint8_t>& code, uint32_t initial_sp, uint32_t reset) {
  store_le(std::span(code).first<4>(), initial_sp);
  store_le(std::span(code).subspan(4).first<4>(), reset);
}

std::vector<uint8_t> demo_resource_table() {
  RscTableBuilder rsc;
  rsc.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0);
  rsc.add_trace(0x80a00400, 0x400, "cm33_trace");
  return rsc.build();
}

std::vector<uint8_t> normal_world_resource_table() {
  RscTableBuilder rsc;
  rsc.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0);
  rsc.add_trace(0x81201000, 0x400, "cm33_trace");
  return rsc.build();
}

std::vector<uint8_t> make_firmware(size_t code_size, const std::vector<uint8_t>& rsc_table) {
  ElfBuilder b;
  std::vector<uint8_t> code(code_size < 64 ? 64 : code_size);
  for (size_t i = 0; i < code.size(); ++i) code[i] = static_cast<uint8_t>(i * 7 + (i >> 8));
  // The initial SP at the top of the data region.
  b.add_code(0x80100000, code, 0x80E00000, /*isr_vector_and_text=*/true);
  // The STM32MP25 layout leaves 9 MiB for the code; a bigger code segment pushes the data and
  // resource-table segments up (1 MiB aligned) so that segments never overlap.
  uint32_t data_addr = 0x80A00000, rsc_addr = 0x81200000;
  const uint64_t code_end = uint64_t{0x80100000} + code.size();
  if (code_end > data_addr) {
    data_addr = static_cast<uint32_t>((code_end + 0xFFFFF) & ~uint64_t{0xFFFFF});
    rsc_addr = data_addr + 0x100000;
  }
  std::vector<uint8_t> data(0x100, 0xA5);
  const size_t dseg =
      b.add_segment({.paddr = data_addr, .data = data, .memsz = 0x1000, .flags = 6});
  b.add_section({.name = ".data", .flags = 3, .segment = dseg, .offset = 0, .size = 0x100});
  if (!rsc_table.empty()) {
    b.add_resource_table(rsc_addr, rsc_table);
  }
  return b.build();
}

}  // namespace rproctee::test
