// From signed TLVs and per-image ELF views to the list of segments to load (H5, H7), the
// boot-address check, and the location of the resource table (H9). Only signed values are
// used: the ELF program headers must equal the signed ones byte for byte.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "image/elf32.hpp"
#include "image/signed_tlvs.hpp"

namespace rproctee::image {

/// Largest resource table accepted (Linux caches a copy; real tables are < 1 KiB).
inline constexpr uint32_t kMaxResourceTableSize = 64 * 1024;
/// Cortex-M vector tables (VTOR) need at least 128-byte alignment.
inline constexpr uint32_t kVectorTableAlignment = 128;

/// One PT_LOAD segment to copy, described by signed values only.
struct PlannedSegment {
  uint32_t image = 0;        // 0-based image index
  uint32_t phdr_index = 0;   // index among that image's program headers
  uint32_t table_index = 0;  // index in the signed HASHTABLE/ENCTABLE
  Elf32Phdr phdr;
  std::array<uint8_t, 32> digest{};
  std::optional<std::array<uint8_t, 16>> iv;  // encrypted segments
};

/// Which slice of the signed table belongs to each image.
struct ImageSlice {
  uint32_t first = 0;
  uint32_t count = 0;
};

/// The loading plan of a whole signed image.
struct LoadPlan {
  std::vector<ImageSlice> images;
  std::vector<PlannedSegment> loads;  // PT_LOAD entries, in table order
};

/// Splits the signed table per image by e_phnum (the counts must add up), requires every
/// image's program-header table to equal its signed slice byte for byte (SECURITY), then
/// checks every PT_LOAD: p_filesz <= p_memsz, no 32-bit wrap, file bytes inside the image,
/// AES block multiple when encrypted, and pairwise disjoint memory ranges (BAD_FORMAT).
Result<LoadPlan> plan_load(const SignedTlvs& tlvs, std::span<const Elf32View> images);

/// The boot (vector-table) address must be 128-byte aligned and its first 8 bytes (initial SP
/// and PC) inside the file bytes of a signed PT_LOAD segment. Error code: BAD_PARAMETERS.
Status check_boot_address(uint32_t address, const LoadPlan& plan);

/// The PT_LOAD segment whose file-backed bytes hold [address, address + size), if any.
const PlannedSegment* find_loaded(const LoadPlan& plan, uint64_t address, uint64_t size);

/// Where the resource table lies.
struct RscLocation {
  uint32_t image = 0;        // 0-based image index
  uint32_t load_index = 0;   // index into LoadPlan::loads
  uint32_t file_offset = 0;  // offset inside that image
  uint32_t size = 0;
  uint32_t address = 0;  // device address after loading
};

/// Finds the `.resource_table` section (exact name) of every image: at most one in total,
/// non-empty, PROGBITS, not executable (neither the section nor its signed segment), not
/// overlapping code, no larger than 64 KiB, and
/// entirely inside the file bytes of one signed PT_LOAD segment of the same image with a
/// consistent address mapping. No section table or a zero-sized section = no table.
/// Error code: BAD_FORMAT.
Result<std::optional<RscLocation>> locate_resource_table(std::span<const Elf32View> images,
                                                         const LoadPlan& plan);

}  // namespace rproctee::image

namespace rproctee::image {

/// The plan of unsigned ELF files (mainline ELF loading, and `inspect`): every PT_LOAD of
/// every image, with the same per-segment and disjointness checks as plan_load.
Result<LoadPlan> plan_unsigned(std::span<const Elf32View> images);

}  // namespace rproctee::image
