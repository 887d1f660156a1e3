// Whole-file reads and atomic writes (temporary file in the same directory, then rename).
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/file_input.hpp"
#include "common/mapped_file.hpp"
#include "common/result.hpp"

namespace rproctee::cli {

/// Reads a whole regular file of at most `max_size` bytes (common/file_input.hpp). Error code:
/// ITEM_NOT_FOUND (cannot open), BAD_PARAMETERS (not a regular file, too large) or GENERIC.
Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_size = kMaxImageFile);

/// A file written under a temporary name next to `path` and renamed onto it by commit():
/// readers see either the old file or the complete new one, never a partial file. Ranges may be
/// written in any order, one of them on a background thread (the bulk of a signed image is
/// written while it is hashed). Destroying it uncommitted removes the temporary file.
class AtomicFileWriter {
 public:
  /// Error code: GENERIC, naming `path`.
  static Result<std::unique_ptr<AtomicFileWriter>> create(const std::string& path, mode_t mode);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  /// Writes the concatenation of `parts` at `offset`.
  Status write(uint64_t offset, std::span<const std::span<const uint8_t>> parts);
  /// Writes the concatenation of `parts` at `offset` on a background thread, then starts the
  /// kernel's writeback of them (sync_file_range): ext4 flushes a file renamed over another in
  /// the rename itself, and this way that work also overlaps the caller's. At most one at a time;
  /// the parts must stay alive until commit() or destruction. Its error is commit()'s.
  void write_in_background(uint64_t offset, std::vector<std::span<const uint8_t>> parts);
  /// Waits for the background write, sets the permissions (`mode` less the process's umask, as
  /// a file created by open(2)) and renames the file onto `path`.
  Status commit();

 private:
  AtomicFileWriter(std::string path, std::string temporary, int fd, mode_t mode);
  Status wait_for_background();

  std::string path_, temporary_;
  int fd_;
  mode_t mode_;
  bool committed_ = false;
  std::thread background_;
  Status background_status_;
};

/// Writes the concatenation of `parts` to `path` atomically with permissions `mode` less the
/// umask: readers see either the old file or the complete new one, never a partial file.
Status write_file_atomic(const std::string& path, std::span<const std::span<const uint8_t>> parts,
                         mode_t mode = 0644);
Status write_file_atomic(const std::string& path, std::span<const uint8_t> data,
                         mode_t mode = 0644);

/// Writes to stdout (binary-safe).
Status write_stdout(std::span<const uint8_t> data);

}  // namespace rproctee::cli
