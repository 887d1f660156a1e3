// libFuzzer target fuzz_elf32: a plain ELF: parse, sections, plan_unsigned, boot address, resource
// table. The body lives in fuzz_entry_points.cpp (also replayed by tests/fuzz).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rproctee::fuzz::fuzz_elf32_one(std::span<const uint8_t>(data, size));
  return 0;
}
