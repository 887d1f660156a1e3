// Anti-rollback counters (H12): the highest accepted security version per remote processor,
// persisted by the machine in a file it owns, integrity-protected with HMAC-SHA256 under a
// device key kept next to it (the stand-in for a hardware unique key). A file that fails its
// check, or is missing once the key exists, is never trusted: loading fails closed with
// CORRUPT_OBJECT. (Deleting both resets the counters, as wiping a secure element would: the
// state directory must therefore be one only the machine's user can change, checked as sshd's
// StrictModes does, and every file in it is opened relative to it without following links.)
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/secret_bytes.hpp"

namespace rproctee::platform {

class RollbackStore {
 public:
  /// Uses `directory`/rollback.bin and `directory`/device.key (created 0600 when missing; the
  /// directory is created 0700 when missing). ACCESS_DENIED for a directory (or parent) others
  /// can write to, one owned by another user, or a file in it that is a symlink or not ours;
  /// BUSY while another store (another machine) has the directory open. An empty directory
  /// name keeps the counters in memory only.
  static Result<RollbackStore> open(const std::string& directory);

  RollbackStore(RollbackStore&& o) noexcept;
  ~RollbackStore();
  RollbackStore& operator=(RollbackStore&&) = delete;

  /// The stored version for `processor` (0 when never set).
  Result<uint32_t> read(uint32_t processor) const;
  /// Raises the stored version (never lowers it) and writes the file atomically.
  Status commit(uint32_t processor, uint32_t version);

 private:
  RollbackStore() = default;
  /// This store, never trusted: `why` is named by every read and commit.
  RollbackStore distrust(std::string why);
  Status save(const std::map<uint32_t, uint32_t>& versions) const;
  std::string directory_;
  int dir_fd_ = -1;
  crypto::SecretBytes key_;
  std::map<uint32_t, uint32_t> versions_;
  std::string corrupt_;  // non-empty: why the file cannot be trusted
  mutable std::mutex mutex_;
};

}  // namespace rproctee::platform
