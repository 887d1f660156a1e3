// Whole-file reads and atomic writes (temporary file in the same directory, then rename).
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/file_input.hpp"
#include "common/mapped_file.hpp"
#include "common/result.hpp"

namespace rproctee::cli {

/// Reads a whole regular file of at most `max_size` bytes (common/file_input.hpp). Error code:
/// ITEM_NOT_FOUND (cannot open), BAD_PARAMETERS (not a regular file, too large) or GENERIC.
Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_size = kMaxImageFile);

/// Writes the concatenation of `parts` to `path` atomically with permissions `mode`: readers
/// see either the old file or the complete new one, never a partial file.
Status write_file_atomic(const std::string& path, std::span<const std::span<const uint8_t>> parts,
                         mode_t mode = 0644);
Status write_file_atomic(const std::string& path, std::span<const uint8_t> data,
                         mode_t mode = 0644);

/// Writes to stdout (binary-safe).
Status write_stdout(std::span<const uint8_t> data);

}  // namespace rproctee::cli
