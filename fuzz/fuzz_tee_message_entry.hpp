// The machine's message boundary as a fuzz target: bytes from a TEE client, decoded as a
// request (and as a reply, which the client library decodes) and handled by a fresh Connection
// of a machine, with no file descriptors. Shared by the libFuzzer main and tests/fuzz.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rproctee::fuzz {

void fuzz_tee_message_one(std::span<const uint8_t> data);

/// Well-formed requests of every kind (the seed corpus is made of these).
std::vector<std::vector<uint8_t>> fuzz_tee_message_seeds();

}  // namespace rproctee::fuzz
