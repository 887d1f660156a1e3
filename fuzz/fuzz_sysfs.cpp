// libFuzzer: the sysfs/debugfs write parser on a real normal world (fuzz_sysfs_entry.hpp).
#include <cstddef>
#include <cstdint>

#include "fuzz_sysfs_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rproctee::fuzz::fuzz_sysfs_one({data, size});
  return 0;
}
