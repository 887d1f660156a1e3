#include "soc/register_file.hpp"

#include <algorithm>

namespace rproctee::soc {

namespace {
constexpr uint32_t kSemMutex = 1u << 0, kSemCidShift = 4, kSemCidMask = 7u << kSemCidShift;
}  // namespace

uint32_t RegisterFile::read32(uint32_t offset) {
  return has(offset) ? on_read(offset, at(offset)) : 0;
}

void RegisterFile::write_masked(uint32_t offset, uint32_t value, uint32_t mask) {
  if (!has(offset)) return;
  at(offset) = on_write(offset, at(offset), value & mask, mask);
  after_write(offset);
}

void RegisterFile::reset() {
  std::fill(regs_.begin(), regs_.end(), 0u);
  for (const auto& [offset, value] : reset_values_)
    if (has(offset)) at(offset) = value;
}

void RegisterFile::set_reset_values(std::vector<std::pair<uint32_t, uint32_t>> values) {
  reset_values_ = std::move(values);
  reset();
}

uint32_t rif_semaphore_write(uint32_t current, uint32_t value, uint32_t cid) {
  const bool taken = current & kSemMutex;
  const uint32_t owner = (current & kSemCidMask) >> kSemCidShift;
  if (value & kSemMutex) return taken ? current : kSemMutex | (cid << kSemCidShift);
  return taken && owner == cid ? 0 : current;
}

}  // namespace rproctee::soc
