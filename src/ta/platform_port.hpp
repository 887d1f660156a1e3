// The remoteproc TA's typed view of the platform service: each method marshals one PTA command
// (TEE_InvokeTACommand) for one processor.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "crypto/keys.hpp"
#include "crypto/sha256.hpp"
#include "tee/tee_core.hpp"

namespace rproctee::ta {

class PlatformPort {
 public:
  PlatformPort(tee::TaToTaSession& session, uint32_t processor)
      : session_(session), processor_(processor) {}

  /// VERIFY_DIGEST with every provisioned key; returns the algorithm of the key that matched.
  Result<crypto::KeyAlgorithm> verify_digest(const crypto::Digest& digest,
                                             std::span<const uint8_t> signature);
  /// LOAD_SEGMENT_SHA256: copy, hash the destination, compare; decrypt after when `iv` is set.
  Status load_segment(std::span<const uint8_t> bytes, uint64_t da,
                      const std::array<uint8_t, 32>& digest,
                      const std::optional<std::array<uint8_t, 16>>& iv);
  Result<uint64_t> da_to_pa(uint64_t da, uint64_t size);
  Status start(uint32_t boot_address, bool secure_boot);
  Status stop();
  Status release();
  Status decrypt(std::span<uint8_t> data, const std::array<uint8_t, 16>& iv);
  /// (stored version, anti-rollback enabled).
  Result<std::pair<uint32_t, bool>> rollback_read();
  Status rollback_commit(uint32_t version);
  /// COREDUMP into `out`; SHORT_BUFFER with `needed` set when too small.
  TeeCode coredump(std::span<uint8_t> out, size_t& needed);

 private:
  Status call(uint32_t command, tee::TaParams& params, std::string_view what);
  tee::TaToTaSession& session_;
  uint32_t processor_;
};

}  // namespace rproctee::ta
