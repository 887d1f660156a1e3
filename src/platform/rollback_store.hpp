// Anti-rollback counters (H12): the highest accepted security version per remote processor,
// persisted by the machine in a file it owns, integrity-protected with HMAC-SHA256 under a
// device key kept next to it (the stand-in for a hardware unique key). A file that fails its
// check, or is missing once the key exists, is never trusted: loading fails closed with
// CORRUPT_OBJECT. (Deleting both resets the counters, as wiping a secure element would.)
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace rproctee::platform {

class RollbackStore {
 public:
  /// Uses `directory`/rollback.bin and `directory`/device.key (created 0600 when missing).
  /// An empty directory name keeps the counters in memory only.
  static Result<RollbackStore> open(const std::string& directory);

  RollbackStore(RollbackStore&& o) noexcept;
  RollbackStore& operator=(RollbackStore&&) = delete;

  /// The stored version for `processor` (0 when never set).
  Result<uint32_t> read(uint32_t processor) const;
  /// Raises the stored version (never lowers it) and writes the file atomically.
  Status commit(uint32_t processor, uint32_t version);

 private:
  RollbackStore() = default;
  Status save() const;
  std::string directory_;
  std::vector<uint8_t> key_;
  std::map<uint32_t, uint32_t> versions_;
  std::string corrupt_;  // non-empty: why the file cannot be trusted
  mutable std::mutex mutex_;
};

}  // namespace rproctee::platform
