#include "soc/memory_region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace rproctee::soc {

namespace {
constexpr uint64_t kPage = 4096;
uint64_t page_round(uint64_t v) {
  return (v + kPage - 1) & ~(kPage - 1);
}
}  // namespace

Result<MemoryRegion> MemoryRegion::create(std::string name, uint64_t base, uint64_t size) {
  if (size == 0 || size > (uint64_t{1} << 32))
    return make_error(TeeCode::kBadParameters, "region {}: size {:#x} is not in (0, 4 GiB]", name,
                      size);
  const int fd = ::memfd_create(("rproctee:" + name).c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return make_error(TeeCode::kOutOfMemory, "region {}: memfd_create failed: {}", name,
                      std::strerror(errno));
  if (::ftruncate(fd, static_cast<off_t>(page_round(size))) != 0) {
    const int e = errno;
    ::close(fd);
    return make_error(TeeCode::kOutOfMemory, "region {}: cannot size the memfd to {:#x}: {}", name,
                      size, std::strerror(e));
  }
  // The size is fixed for the life of the region: no process can shrink it under another.
  ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  auto r = attach(std::move(name), base, size, fd);
  if (!r) ::close(fd);
  return r;
}

Result<MemoryRegion> MemoryRegion::attach(std::string name, uint64_t base, uint64_t size, int fd) {
  void* p = ::mmap(nullptr, page_round(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    return make_error(TeeCode::kOutOfMemory, "region {}: mmap of {:#x} bytes failed: {}", name,
                      size, std::strerror(errno));
  MemoryRegion r;
  r.name_ = std::move(name);
  r.base_ = base;
  r.size_ = size;
  r.fd_ = fd;
  r.data_ = static_cast<uint8_t*>(p);
  return r;
}

MemoryRegion::MemoryRegion(MemoryRegion&& o) noexcept {
  *this = std::move(o);
}

MemoryRegion& MemoryRegion::operator=(MemoryRegion&& o) noexcept {
  if (this != &o) {
    release();
    name_ = std::move(o.name_);
    base_ = o.base_;
    size_ = o.size_;
    fd_ = std::exchange(o.fd_, -1);
    data_ = std::exchange(o.data_, nullptr);
  }
  return *this;
}

MemoryRegion::~MemoryRegion() {
  release();
}

void MemoryRegion::release() {
  if (data_) ::munmap(data_, page_round(size_));
  if (fd_ >= 0) ::close(fd_);
  data_ = nullptr;
  fd_ = -1;
}

bool MemoryRegion::contains(uint64_t pa, uint64_t len) const {
  return pa >= base_ && pa - base_ <= size_ && len <= size_ - (pa - base_);
}

Result<std::span<uint8_t>> MemoryRegion::bytes(uint64_t pa, uint64_t len) {
  if (!contains(pa, len))
    return make_error(TeeCode::kAccessDenied, "[{:#x}, {:#x}) is outside region {} [{:#x}, {:#x})",
                      pa, pa + len, name_, base_, base_ + size_);
  return std::span<uint8_t>(data_ + (pa - base_), static_cast<size_t>(len));
}

Result<std::span<const uint8_t>> MemoryRegion::bytes(uint64_t pa, uint64_t len) const {
  auto r = const_cast<MemoryRegion*>(this)->bytes(pa, len);
  if (!r) return std::move(r).error();
  return std::span<const uint8_t>(*r);
}

void MemoryRegion::populate() {
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif
  const size_t len = static_cast<size_t>(page_round(size_));
  if (::madvise(data_, len, MADV_POPULATE_WRITE) == 0) return;
  for (size_t off = 0; off < len; off += kPage) {  // older kernels: touch each page
    volatile uint8_t* p = data_ + off;
    *p = *p;
  }
}

void MemoryRegion::wipe() {
  // The pages go back to the kernel: a hole in a memfd reads as zero through every mapping of
  // it, in every process, and a later write faults in a fresh zeroed page. Pages never
  // written are holes already (a fresh memfd holds none), so this costs nothing for them.
  if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                  static_cast<off_t>(page_round(size_))) == 0)
    return;
  // No hole punching here (EOPNOTSUPP, a seal): zero in place the pages that hold data.
  for (const auto& [offset, length] : data_extents())
    std::memset(data_ + offset, 0, static_cast<size_t>(length));
}

std::vector<std::pair<uint64_t, uint64_t>> MemoryRegion::data_extents() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  const auto end = static_cast<off_t>(size_);
  off_t pos = 0;
  while (pos < end) {
    const off_t data = ::lseek(fd_, pos, SEEK_DATA);
    if (data < 0 || data >= end) break;  // ENXIO: only holes remain
    off_t hole = ::lseek(fd_, data, SEEK_HOLE);
    if (hole < 0 || hole > end) hole = end;
    out.emplace_back(static_cast<uint64_t>(data), static_cast<uint64_t>(hole - data));
    pos = hole;
  }
  return out;
}

bool MemoryRegion::is_zero() const {
  for (const auto& [offset, length] : data_extents()) {
    const auto bytes = all().subspan(static_cast<size_t>(offset), static_cast<size_t>(length));
    if (!std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; })) return false;
  }
  return true;
}

}  // namespace rproctee::soc
