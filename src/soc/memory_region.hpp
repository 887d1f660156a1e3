// A simulated memory region: one memfd, mapped by every process allowed to see it. The only
// way code touches simulated memory (OpenAMP's metal_io discipline): bounds-checked by offset.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace rproctee::soc {

/// One physically contiguous region of the SoC, backed by a memfd.
class MemoryRegion {
 public:
  /// Creates a zero-filled region of `size` bytes (rounded up to 4 KiB) at physical `base`.
  static Result<MemoryRegion> create(std::string name, uint64_t base, uint64_t size);
  /// Maps a region received from another process (the memfd of `create`).
  static Result<MemoryRegion> attach(std::string name, uint64_t base, uint64_t size, int fd);

  MemoryRegion(MemoryRegion&& other) noexcept;
  MemoryRegion& operator=(MemoryRegion&& other) noexcept;
  MemoryRegion(const MemoryRegion&) = delete;
  MemoryRegion& operator=(const MemoryRegion&) = delete;
  ~MemoryRegion();

  const std::string& name() const { return name_; }
  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  /// The memfd, for passing to another process (SCM_RIGHTS) or to the CPU emulator.
  int fd() const { return fd_; }

  /// True when [pa, pa + len) lies inside the region.
  bool contains(uint64_t pa, uint64_t len) const;
  /// The bytes of [pa, pa + len); error ACCESS_DENIED when outside the region.
  Result<std::span<uint8_t>> bytes(uint64_t pa, uint64_t len);
  Result<std::span<const uint8_t>> bytes(uint64_t pa, uint64_t len) const;
  /// The whole mapping.
  std::span<uint8_t> all() { return {data_, static_cast<size_t>(size_)}; }
  std::span<const uint8_t> all() const { return {data_, static_cast<size_t>(size_)}; }

  /// Makes every page resident, so that loading firmware does not take a page fault per page.
  /// Costs the zeroing of the whole region at once, and the next wipe() gives the pages back:
  /// only benchmarks that want resident memories ask for it.
  void populate();

  /// Fills the whole region with zeros by giving its pages back to the kernel
  /// (FALLOC_FL_PUNCH_HOLE: every mapping reads zeros afterwards); memset of the pages that
  /// hold data where the kernel refuses.
  void wipe();
  /// True when every byte is zero (only pages that hold data are read).
  bool is_zero() const;
  /// The [offset, offset + length) ranges that may hold non-zero bytes; the rest are holes,
  /// which read as zero without being touched (SEEK_DATA / SEEK_HOLE on the memfd).
  std::vector<std::pair<uint64_t, uint64_t>> data_extents() const;

 private:
  MemoryRegion() = default;
  void release();
  std::string name_;
  uint64_t base_ = 0;
  uint64_t size_ = 0;
  int fd_ = -1;
  uint8_t* data_ = nullptr;
};

}  // namespace rproctee::soc
