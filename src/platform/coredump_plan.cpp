#include "platform/coredump_plan.hpp"

#include <algorithm>
#include <utility>

namespace rproctee::platform {

namespace {

/// The parts of `region` outside every range of `cut`, as segments at device addresses.
std::vector<image::CoreSegment> pieces(const soc::MemoryRegion& region,
                                       const dt::Processor& processor, std::vector<PaRange> cut) {
  std::sort(cut.begin(), cut.end(), [](const PaRange& a, const PaRange& b) { return a.pa < b.pa; });
  const auto bytes = std::as_const(region).all();
  const uint64_t base = region.base(), end = base + bytes.size();
  std::vector<image::CoreSegment> out;
  const auto keep = [&](uint64_t from, uint64_t to) {
    if (from >= to) return;
    out.push_back(
        {static_cast<uint32_t>(processor.pa_to_da(from)),
         bytes.subspan(static_cast<size_t>(from - base), static_cast<size_t>(to - from))});
  };
  uint64_t at = base;
  for (const PaRange& c : cut) {
    const uint64_t from = std::clamp(c.pa, base, end);
    const uint64_t to = std::clamp(c.pa + c.size, base, end);
    if (from >= to) continue;  // not in this region
    keep(at, from);
    at = std::max(at, to);
  }
  keep(at, end);
  return out;
}

}  // namespace

CoredumpPlan plan_coredump(const Description& description, const dt::Processor& processor,
                           const SecureProcessor& secure, soc::Soc& soc,
                           std::span<const PaRange> decrypted) {
  CoredumpPlan plan;
  for (size_t r : processor.regions) {
    std::vector<image::CoreSegment>* part = nullptr;
    if (exported_to_normal_world(description, r) || secure.coredump == CoredumpPolicy::kFull)
      part = &plan.open;
    else if (secure.coredump == CoredumpPolicy::kSealed)
      part = &plan.sealed;
    if (!part) continue;  // firewalled, policy "normal-world": absent
    auto kept = pieces(soc.region(r), processor, {decrypted.begin(), decrypted.end()});
    part->insert(part->end(), kept.begin(), kept.end());
  }
  return plan;
}

}  // namespace rproctee::platform
