// Whole-file reads and atomic writes (temporary file in the same directory, then rename).
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace rproctee::cli {

/// Reads a whole file. Error code: ITEM_NOT_FOUND (cannot open) or GENERIC (read error).
Result<std::vector<uint8_t>> read_file(const std::string& path);

/// Writes the concatenation of `parts` to `path` atomically with permissions `mode`: readers
/// see either the old file or the complete new one, never a partial file.
Status write_file_atomic(const std::string& path, std::span<const std::span<const uint8_t>> parts,
                         mode_t mode = 0644);
Status write_file_atomic(const std::string& path, std::span<const uint8_t> data,
                         mode_t mode = 0644);

/// Writes to stdout (binary-safe).
Status write_stdout(std::span<const uint8_t> data);

}  // namespace rproctee::cli
