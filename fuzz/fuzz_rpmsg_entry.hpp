// fuzz_rpmsg: the rpmsg host's view of what the firmware writes. The input is the device
// side's half of the shared memory: vring0's and vring1's used rings and the RX buffers (the
// bytes of every header and payload, name-service records included), written over a started
// device before each of a few vring interrupts. The host must read nothing outside the vrings
// and buffers (ASan), never loop without bound, and keep its counters consistent.
#pragma once

#include <cstdint>
#include <span>

namespace rproctee::fuzz {

void fuzz_rpmsg_one(std::span<const uint8_t> data);

}  // namespace rproctee::fuzz
