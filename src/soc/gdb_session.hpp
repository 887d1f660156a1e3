// One debugger connection to one core: reads packets, answers them against a DebugTarget,
// and while the core runs waits for its stop or the debugger's Ctrl-C.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "soc/debug_target.hpp"
#include "soc/gdb_packet.hpp"
#include "soc/gdb_request.hpp"

namespace rproctee::soc::gdb {

/// The stop reply for `stop`: `T05`, with `watch:ADDR;` (rwatch/awatch) for a watchpoint.
std::string stop_reply(const DebugStop& stop);

class Session {
 public:
  /// `fd`: the connected socket (not owned). `stopping`: the server shuts down.
  Session(DebugTarget& target, int fd, const std::atomic<bool>& stopping)
      : target_(target), fd_(fd), stopping_(stopping) {}
  /// Serves the connection until the debugger detaches, kills, hangs up or the server stops;
  /// the target is detached at the end in every case.
  void run();

  /// The answer to a request that does not resume the core (tests); nullopt for the resuming
  /// ones and for D/k.
  std::optional<std::string> answer(const Request& request);

 private:
  bool send(std::string_view payload);
  bool write_all(std::string_view bytes);
  /// Reads what the socket has within `timeout_ms` into the decoder; false on hang-up.
  bool receive(int timeout_ms);
  /// Runs the core until it stops (or Ctrl-C); false when the connection ended meanwhile.
  bool resume(bool step);
  std::string read_registers();
  std::string write_registers(const std::vector<uint8_t>& data);
  std::string read_memory(uint64_t address, uint64_t length);
  std::string set_point(const Request& request);

  DebugTarget& target_;
  int fd_;
  const std::atomic<bool>& stopping_;
  PacketDecoder decoder_;
  std::string last_sent_;
  DebugStop last_stop_;
};

}  // namespace rproctee::soc::gdb
