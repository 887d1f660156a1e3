// libFuzzer: the gdb server's packet layer and request handling (fuzz_gdb_packet_entry.hpp).
#include <cstddef>
#include <cstdint>

#include "fuzz_gdb_packet_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rproctee::fuzz::fuzz_gdb_packet_one({data, size});
  return 0;
}
