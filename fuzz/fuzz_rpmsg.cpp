// libFuzzer: the rpmsg host against hostile vrings and buffers (fuzz_rpmsg_entry.hpp).
#include <cstddef>
#include <cstdint>

#include "fuzz_rpmsg_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rproctee::fuzz::fuzz_rpmsg_one({data, size});
  return 0;
}
