// libFuzzer target fuzz_resource_table: image::parse_resource_table on the whole input.
// The body lives in fuzz_entry_points.cpp (also replayed by tests/fuzz).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rproctee::fuzz::fuzz_resource_table_one(std::span<const uint8_t>(data, size));
  return 0;
}
