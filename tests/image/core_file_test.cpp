// The ELF32 core file of a remote processor, pinned byte for byte: gdb-multiarch opens these
// files next to the firmware ELF (tests/soc/demo_firmware_test.cpp), so their layout must not
// drift when the ELF writer behind them changes.
#include "image/core_file.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "crypto/sha256.hpp"
#include "image/elf32.hpp"
#include "support/image_crafting.hpp"

namespace rproctee::image {
namespace {

using test::get_u32;

/// Two segments (16 and 5 bytes) and registers r0..xPSR, orig_r0 = 0x1000 + index.
struct CoreInput {
  std::vector<uint8_t> code = std::vector<uint8_t>(16), data = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4};
  std::vector<CoreSegment> segments;
  ArmRegisters registers{};
  CoreInput() {
    for (size_t i = 0; i < code.size(); ++i) code[i] = static_cast<uint8_t>(0xC0 + i);
    segments = {{0x10000000, code}, {0x30000000, data}};
    for (size_t i = 0; i < registers.size(); ++i) registers[i] = 0x1000 + static_cast<uint32_t>(i);
  }
  std::vector<uint8_t> write() const {
    std::vector<uint8_t> out(static_cast<size_t>(coredump_size(segments)), 0xEE);
    write_coredump(segments, registers, out);
    return out;
  }
};

// ELF header (52) + PT_NOTE and two PT_LOAD headers (3 * 32) + the note (12 + 8 + 148).
constexpr uint32_t kNoteOffset = 52 + 3 * 32, kNoteSize = 168, kDataOffset = kNoteOffset + 168;

TEST(CoreFile, SizeIsHeadersNoteAndSegmentBytes) {
  const CoreInput in;
  EXPECT_EQ(coredump_size(in.segments), kDataOffset + 16u + 5u);
  EXPECT_EQ(coredump_size({}), 52u + 32u + kNoteSize);
}

TEST(CoreFile, HeaderAndProgramHeaders) {
  const auto core = CoreInput().write();
  const std::vector<uint8_t> ident = {0x7F, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(std::vector<uint8_t>(core.begin(), core.begin() + 16), ident);
  auto view = Elf32View::parse(core, "core");
  ASSERT_TRUE(view) << view.error().message;
  const Elf32Header& h = view->header();
  EXPECT_EQ(h.type, elf::kTypeCore);
  EXPECT_EQ(h.machine, elf::kMachineArm);
  EXPECT_EQ(h.version, 1u);
  EXPECT_EQ(h.entry, 0u);
  EXPECT_EQ(h.phoff, 52u);
  EXPECT_EQ(h.flags, 0x05000000u);  // EABI version 5, no float-ABI flag (as Linux writes cores)
  EXPECT_EQ(h.ehsize, 52u);
  EXPECT_EQ(h.phentsize, 32u);
  EXPECT_EQ(h.shoff, 0u);
  EXPECT_EQ(h.shentsize, 0u);
  EXPECT_EQ(h.shnum, 0u);
  EXPECT_EQ(h.shstrndx, 0u);
  ASSERT_EQ(view->phdrs().size(), 3u);
  EXPECT_EQ(view->phdrs()[0], (Elf32Phdr{elf::kPtNote, kNoteOffset, 0, 0, kNoteSize, 0, 0, 4}));
  EXPECT_EQ(view->phdrs()[1],
            (Elf32Phdr{elf::kPtLoad, kDataOffset, 0x10000000, 0x10000000, 16, 16, 7, 1}));
  EXPECT_EQ(view->phdrs()[2],
            (Elf32Phdr{elf::kPtLoad, kDataOffset + 16, 0x30000000, 0x30000000, 5, 5, 7, 1}));
}

TEST(CoreFile, PrstatusNoteCarriesTheRegisters) {
  const CoreInput in;
  const auto core = in.write();
  EXPECT_EQ(get_u32(core, kNoteOffset), 5u);        // namesz ("CORE\0")
  EXPECT_EQ(get_u32(core, kNoteOffset + 4), 148u);  // descsz: struct elf_prstatus
  EXPECT_EQ(get_u32(core, kNoteOffset + 8), 1u);    // NT_PRSTATUS
  const std::vector<uint8_t> name = {'C', 'O', 'R', 'E', 0, 0, 0, 0};
  EXPECT_EQ(std::vector<uint8_t>(core.begin() + kNoteOffset + 12, core.begin() + kNoteOffset + 20),
            name);
  const size_t desc = kNoteOffset + 20;
  EXPECT_EQ(core[desc + 12], 11u);          // pr_cursig: SIGSEGV
  EXPECT_EQ(get_u32(core, desc + 24), 1u);  // pr_pid
  for (size_t r = 0; r < in.registers.size(); ++r)
    EXPECT_EQ(get_u32(core, desc + 72 + 4 * r), in.registers[r]) << "register " << r;
  EXPECT_EQ(get_u32(core, desc + 144), 0u);  // pr_fpvalid
}

TEST(CoreFile, SegmentBytesFollowTheNote) {
  const CoreInput in;
  const auto core = in.write();
  EXPECT_EQ(std::vector<uint8_t>(core.begin() + kDataOffset, core.begin() + kDataOffset + 16),
            in.code);
  EXPECT_EQ(std::vector<uint8_t>(core.begin() + kDataOffset + 16, core.end()), in.data);
}

TEST(CoreFile, EveryByteIsPinned) {
  // The SHA-256 of the whole file as the first core-file writer (platform/coredump.cpp) wrote
  // it: every byte, padding and reserved fields included, stays the same.
  EXPECT_EQ(crypto::to_hex(crypto::Sha256::of(CoreInput().write())),
            "4184df42ed975e8c92603bdac94b39cf18dafc9e34cf118da5a6956c8db0ce25");
}

}  // namespace
}  // namespace rproctee::image
