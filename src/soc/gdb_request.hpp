// A GDB remote protocol packet's payload, parsed: which command, with its numbers and data
// checked. The session (soc/gdb_session.hpp) carries it out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rproctee::soc::gdb {

struct Request {
  enum class Kind {
    kUnsupported,    ///< answered with an empty packet, as the protocol asks
    kSupported,      ///< qSupported
    kXferFeatures,   ///< qXfer:features:read:ANNEX:OFFSET,LENGTH
    kAttached,       ///< qAttached
    kCurrentThread,  ///< qC
    kThreadListFirst,
    kThreadListNext,  ///< qfThreadInfo / qsThreadInfo
    kSetThread,       ///< Hg / Hc
    kThreadAlive,     ///< T
    kStopReason,      ///< ?
    kReadRegisters,
    kWriteRegisters,  ///< g / G
    kReadRegister,
    kWriteRegister,  ///< p / P
    kReadMemory,
    kWriteMemory,  ///< m / M and X
    kContinue,
    kStep,       ///< c, C, s, S, vCont;...
    kContQuery,  ///< vCont?
    kInsertPoint,
    kRemovePoint,  ///< Z / z
    kDetach,
    kKill,  ///< D / k
  };
  /// Z/z types.
  enum PointType {
    kSoftwareBreakpoint = 0,
    kHardwareBreakpoint,
    kWriteWatch,
    kReadWatch,
    kAccessWatch
  };
  Kind kind = Kind::kUnsupported;
  uint64_t address = 0;       ///< m/M/X/Z/z/c/s address, qXfer offset
  uint64_t length = 0;        ///< m/M/X length, Z/z kind (size), qXfer length
  uint32_t reg = 0;           ///< p/P register number
  int point = 0;              ///< Z/z type
  bool has_address = false;   ///< c/s with a resume address
  std::string annex;          ///< qXfer annex
  std::vector<uint8_t> data;  ///< G/P/M/X bytes
};

/// Parses one (unescaped-checksummed) payload. nullopt: malformed, answer "E01".
std::optional<Request> parse_request(std::string_view payload);

}  // namespace rproctee::soc::gdb
