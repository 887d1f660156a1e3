// A TA UUID in the TEEC_UUID layout (timeLow, timeMid, timeHiAndVersion, clockSeqAndNode[8]).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rproctee::protocol {

struct Uuid {
  uint32_t time_low = 0;
  uint16_t time_mid = 0;
  uint16_t time_hi_and_version = 0;
  std::array<uint8_t, 8> clock_seq_and_node{};

  /// "80a4c275-0a47-4905-8285-1486a9771a08".
  static Result<Uuid> parse(std::string_view text);
  std::string str() const;
  bool operator==(const Uuid&) const = default;
};

}  // namespace rproctee::protocol
