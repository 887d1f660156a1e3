// The only way untrusted bytes are read: a span plus checked little-endian loads at offsets.
// Every out-of-range access becomes an Error naming what was read, where, and the limit.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rproctee {

/// True when [offset, offset + size) lies inside [0, limit); never overflows.
constexpr bool range_fits(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

/// Rounds up to a multiple of 8 in 64 bits (cannot wrap for 32-bit inputs).
constexpr uint64_t round_up8(uint64_t value) {
  return (value + 7) & ~uint64_t{7};
}

/// Loads a little-endian integer from exactly sizeof(T) bytes; the caller guarantees the size.
template <typename T>
constexpr T load_le(std::span<const uint8_t, sizeof(T)> bytes) {
  T value = 0;
  for (size_t i = sizeof(T); i-- > 0;) value = static_cast<T>((value << 8) | bytes[i]);
  return value;
}

/// A bounds-checked view of untrusted bytes. `what` names the buffer in error messages
/// ("image 1", "resource table") and `code` is the TEE code an out-of-range read reports.
class ByteReader {
 public:
  ByteReader(std::span<const uint8_t> data, std::string_view what, TeeCode code)
      : data_(data), what_(what), code_(code) {}

  std::span<const uint8_t> data() const { return data_; }
  uint64_t size() const { return data_.size(); }
  std::string_view what() const { return what_; }

  /// True when [offset, offset + size) is inside the buffer.
  bool contains(uint64_t offset, uint64_t size) const {
    return range_fits(offset, size, data_.size());
  }

  /// The `size` bytes at `offset`, or an error naming `field`.
  Result<std::span<const uint8_t>> bytes(uint64_t offset, uint64_t size,
                                         std::string_view field) const {
    if (!contains(offset, size)) return out_of_range(offset, size, field);
    return data_.subspan(static_cast<size_t>(offset), static_cast<size_t>(size));
  }

  Result<uint8_t> u8(uint64_t offset, std::string_view field) const {
    return load<uint8_t>(offset, field);
  }
  Result<uint16_t> u16(uint64_t offset, std::string_view field) const {
    return load<uint16_t>(offset, field);
  }
  Result<uint32_t> u32(uint64_t offset, std::string_view field) const {
    return load<uint32_t>(offset, field);
  }

  /// A sub-reader over [offset, offset + size), named `what`.
  Result<ByteReader> sub(uint64_t offset, uint64_t size, std::string_view what) const {
    RPROCTEE_ASSIGN(auto span, bytes(offset, size, what));
    return ByteReader(span, what, code_);
  }

 private:
  template <typename T>
  Result<T> load(uint64_t offset, std::string_view field) const {
    if (!contains(offset, sizeof(T))) return out_of_range(offset, sizeof(T), field);
    return load_le<T>(data_.subspan(static_cast<size_t>(offset)).template first<sizeof(T)>());
  }

  Error out_of_range(uint64_t offset, uint64_t size, std::string_view field) const {
    return make_error(code_,
                      "{}: {} at offset {:#x} ({} bytes) ends past the end of the {}-byte {}",
                      what_, field, offset, size, data_.size(), what_);
  }

  std::span<const uint8_t> data_;
  std::string what_;
  TeeCode code_;
};

}  // namespace rproctee
