// libFuzzer target fuzz_device_tree (fuzz_local_inputs_entry.hpp says what it checks).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_local_inputs_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rproctee::fuzz::fuzz_device_tree_one(std::span<const uint8_t>(data, size));
  return 0;
}
