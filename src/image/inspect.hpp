// Key-less decoding of a signed image or a plain ELF for `rproctee inspect`: decodes as much
// as it can and records where and why it stopped. Nothing here is trusted or verified.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "image/container.hpp"
#include "image/elf32.hpp"
#include "image/load_plan.hpp"
#include "image/resource_table.hpp"
#include "image/signed_tlvs.hpp"
#include "image/tlv.hpp"

namespace rproctee::image {

/// The initial stack pointer and reset vector of a Cortex-M vector table.
struct VectorTable {
  uint32_t address = 0;
  std::string source;  // "BOOTADDR", "section .isr_vector", "first PT_LOAD segment"
  std::optional<uint32_t> initial_sp;
  std::optional<uint32_t> reset_pc;
  bool encrypted = false;  // bytes are ciphertext
};

/// One ELF (an image of a signed file, or the whole file).
struct InspectedElf {
  std::string name;
  std::optional<Elf32View> view;
  std::vector<Elf32Section> sections;
  std::optional<RscLocation> rsc_location;
  std::optional<ResourceTable> rsc_table;
  std::optional<VectorTable> vectors;
  std::vector<Error> problems;  // what could not be decoded, in order
};

/// Everything `inspect` shows.
struct Inspection {
  enum class Kind { kSignedImage, kElf, kUnknown } kind = Kind::kUnknown;
  uint64_t file_size = 0;
  std::optional<ImageHeader> header;
  std::optional<ContainerLayout> layout;
  std::span<const uint8_t> signature;
  std::vector<Tlv> tlvs;
  std::optional<SignedTlvs> decoded;
  std::vector<SegmentEntry> table;  // HASHTABLE / ENCTABLE entries, as far as decodable
  bool encrypted = false;
  std::vector<InspectedElf> images;
  /// Where decoding of the container stopped, and why (absent when everything decoded).
  std::optional<std::string> stopped_at;
  std::optional<Error> stop_reason;
};

/// Decodes `file` (a signed image, or a plain ELF) without any key.
Inspection inspect_file(std::span<const uint8_t> file);

}  // namespace rproctee::image
