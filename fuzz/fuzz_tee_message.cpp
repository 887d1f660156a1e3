// libFuzzer target fuzz_tee_message: a TEE client's message as the machine receives it. The
// body lives in fuzz_tee_message_entry.cpp (also replayed by tests/fuzz).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_tee_message_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rproctee::fuzz::fuzz_tee_message_one(std::span<const uint8_t>(data, size));
  return 0;
}
