// libFuzzer target fuzz_inspect: image::inspect_file on any file (signed image or ELF).
// The body lives in fuzz_entry_points.cpp (also replayed by tests/fuzz).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rproctee::fuzz::fuzz_inspect_one(std::span<const uint8_t>(data, size));
  return 0;
}
