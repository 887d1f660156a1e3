// Small helpers of the robustness tests (header-only: only *_test.cpp files join the suite).
//
//   walk_seed() / walk_steps(default)  RPROCTEE_WALK_SEED / RPROCTEE_WALK_STEPS or the default
//   open_descriptors()                 entries of /proc/self/fd (descriptor-leak checks)
//   LoadedSegments / code_holds_exactly
//                                      a running (or crashed, not yet stopped) processor holds
//                                      the signed image's read-only segments byte for byte, and
//                                      zeros outside every segment of the image
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "image/elf32.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"

namespace rproctee::test {

/// An unsigned number from the environment variable `name`, or `fallback` when it is unset or
/// not a number.
inline uint64_t env_number(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(value, &end, 0);
  return (end && *end == '\0') ? n : fallback;
}

inline uint32_t walk_seed(uint32_t fallback) {
  return static_cast<uint32_t>(env_number("RPROCTEE_WALK_SEED", fallback));
}

/// The default number of steps: `release` in an optimised build, fewer under ASan or -O0.
inline uint32_t walk_steps(uint32_t release, uint32_t slow) {
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
  (void)release;
  const uint32_t fallback = slow;
#else
  (void)slow;
  const uint32_t fallback = release;
#endif
  return static_cast<uint32_t>(env_number("RPROCTEE_WALK_STEPS", fallback));
}

/// How many descriptors the process has open (the directory iterator's own one included, the
/// same at every call).
inline size_t open_descriptors() {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

/// One PT_LOAD segment of a signed image as memory holds it after loading.
struct LoadedSegment {
  uint64_t pa = 0;
  std::vector<uint8_t> bytes;  // file bytes then zeros up to p_memsz
  bool writable = false;       // PF_W: the firmware (or the host) changes it while running
};

inline std::vector<LoadedSegment> loaded_segments(std::span<const uint8_t> signed_image) {
  std::vector<LoadedSegment> out;
  for (const auto& elf : decompose(signed_image).images) {
    auto view = image::Elf32View::parse(elf, "image");
    if (!view) continue;
    for (const image::Elf32Phdr& p : view->phdrs()) {
      if (p.type != image::elf::kPtLoad || p.memsz == 0) continue;
      LoadedSegment s;
      s.pa = p.paddr;
      s.bytes.assign(elf.begin() + p.offset, elf.begin() + p.offset + p.filesz);
      s.bytes.resize(p.memsz, 0);
      s.writable = (p.flags & image::elf::kPfW) != 0;
      out.push_back(std::move(s));
    }
  }
  return out;
}

/// What running firmware may change is its writable segments (data, bss, stack, the resource
/// table and trace buffer) and the host's vring and buffer regions. Everything else of
/// processor `id` is fixed while it runs: the read-only segments hold exactly the signed bytes,
/// and every byte outside the image's segments is zero, in every region but the vdev ones.
/// Returns an empty string when that holds, else what differs.
inline std::string code_holds_exactly(MachineUnderTest& m, std::span<const uint8_t> signed_image,
                                      uint32_t id = 0) {
  const auto segments = loaded_segments(signed_image);
  if (segments.empty()) return "the image has no loadable segment";
  const auto* p = m.machine().description().layout.processor(id);
  for (size_t ri : p->regions) {
    const auto& region = m.machine().soc().region(ri);
    const auto actual = region.all();
    for (const LoadedSegment& s : segments) {
      if (s.writable || s.pa < region.base() || s.pa - region.base() >= region.size()) continue;
      const auto at = actual.subspan(static_cast<size_t>(s.pa - region.base()), s.bytes.size());
      if (!std::equal(at.begin(), at.end(), s.bytes.begin()))
        return fmt::format("read-only segment at {:#x} ({} bytes) differs from the signed image",
                           s.pa, s.bytes.size());
    }
    if (region.name().rfind("vdev", 0) == 0) continue;  // vrings and buffers: the host's
    for (const auto& [offset, length] : region.data_extents())
      for (uint64_t i = offset; i < offset + length; ++i) {
        const uint64_t pa = region.base() + i;
        bool inside = false;
        for (const LoadedSegment& s : segments)
          inside = inside || (pa >= s.pa && pa - s.pa < s.bytes.size());
        if (!inside && actual[static_cast<size_t>(i)] != 0)
          return fmt::format("byte at {:#x} in {} is {:#04x} outside every segment", pa,
                             region.name(), actual[static_cast<size_t>(i)]);
      }
  }
  return {};
}

}  // namespace rproctee::test
