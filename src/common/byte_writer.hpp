// Little-endian byte appender: the one encoder of every little-endian structure we write
// (signed images, core files, machine-link messages, resource-table patches in tests), and
// store_le for a field of a structure that already exists in memory (a resource table in use,
// an rpmsg buffer).
#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <vector>

namespace rproctee {

/// Stores `value` little-endian into exactly sizeof(T) bytes: the counterpart of load_le, for
/// a field of a buffer that already exists (a parameter, a table being patched).
template <typename T>
constexpr void store_le(std::span<uint8_t, sizeof(T)> out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

/// Writes `value` little-endian at `offset` of `out`; false (nothing written) when the field
/// does not fit inside `out`.
template <std::unsigned_integral T>
bool store_le(std::span<uint8_t> out, size_t offset, T value) {
  if (offset > out.size() || out.size() - offset < sizeof(T)) return false;
  for (size_t i = 0; i < sizeof(T); ++i)
    out[offset + i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
  return true;
}

/// Appends little-endian integers and raw bytes to a growing buffer.
class ByteWriter {
 public:
  void u8(uint8_t v) { buf_.push_back(v); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void bytes(std::span<const uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  void zeros(size_t n) { buf_.insert(buf_.end(), n, 0); }
  /// Pads with zeros up to a multiple of `alignment`.
  void align(size_t alignment) { zeros((alignment - buf_.size() % alignment) % alignment); }

  size_t size() const { return buf_.size(); }
  std::vector<uint8_t>& buffer() { return buf_; }
  std::vector<uint8_t> take() { return std::move(buf_); }

  /// Overwrites a u32 already written at `offset`.
  void patch_u32(size_t offset, uint32_t v) { store_le(buf_, offset, v); }

 private:
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) buf_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> buf_;
};

}  // namespace rproctee
