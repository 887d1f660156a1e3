// A regular file mapped read-only instead of read into a heap buffer: the offline commands hash
// and write firmware straight from the page cache (issue 12). Opened and checked exactly as
// read_regular_file does (common/file_input.hpp: regular file, size limit, same messages).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rproctee {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  operator std::span<const uint8_t>() const { return bytes(); }  // NOLINT: a view, implicitly
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

/// `path` mapped read-only (and prefaulted), with the checks and errors of read_regular_file.
/// The mapping is private: a later change of the file may or may not show. A file truncated
/// while mapped would raise SIGBUS on access; the process then ends with exit 1 and the message
/// "error: an input file shrank while being read" instead of a crash.
Result<MappedFile> map_regular_file(const std::string& path, uint64_t max_size,
                                    std::string_view what = "file");

}  // namespace rproctee
