// fuzz_gdb_packet: what a debugger sends the gdb server (soc/gdb_packet.hpp,
// soc/gdb_request.hpp, soc/gdb_session.hpp). The input is the TCP byte stream: framed into
// packets, each parsed and answered against a small in-memory core (registers, 4 KiB of RAM,
// points). Nothing may crash, read out of bounds or loop; every answer re-encodes to a packet
// that decodes back to itself.
#pragma once

#include <cstdint>
#include <span>

namespace rproctee::fuzz {

void fuzz_gdb_packet_one(std::span<const uint8_t> data);

}  // namespace rproctee::fuzz
