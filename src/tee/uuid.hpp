// A TA UUID in the TEEC_UUID layout (timeLow, timeMid, timeHiAndVersion, clockSeqAndNode[8]).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rproctee::tee {

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

/// The remoteproc TA (OP-TEE ta/remoteproc, Linux remoteproc_tee).
inline constexpr Uuid kRemoteprocTaUuid{
    0x80a4c275, 0x0a47, 0x4905, {0x82, 0x85, 0x14, 0x86, 0xa9, 0x77, 0x1a, 0x08}};
/// The platform pseudo-TA (OP-TEE remoteproc PTA).
inline constexpr Uuid kRemoteprocPtaUuid{
    0x54af4a68, 0x19be, 0x40d7, {0xbb, 0xe6, 0x89, 0x50, 0x35, 0x0a, 0x87, 0x44}};

}  // namespace rproctee::tee
