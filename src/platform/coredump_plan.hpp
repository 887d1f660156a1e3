// What a core dump of one processor holds under its coredump policy (secure_config.hpp): each
// memory region of the processor goes to the open part (in clear), to the sealed part
// (encrypted to the debug key), or nowhere (absent: no PT_LOAD, not zero-filled). The ranges
// holding plaintext an encrypted image was decrypted to are cut out of every region, whatever
// the policy.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "image/core_file.hpp"
#include "platform/secure_config.hpp"
#include "soc/soc.hpp"

namespace rproctee::platform {

/// [pa, pa + size): physical memory of a processor.
struct PaRange {
  uint64_t pa = 0;
  uint64_t size = 0;
};

struct CoredumpPlan {
  std::vector<image::CoreSegment> open;    // the core file's PT_LOADs
  std::vector<image::CoreSegment> sealed;  // the sealed section's regions (policy "sealed")
};

/// The plan for `processor` (its secure settings `secure`), whose memories live in `soc`.
/// `decrypted`: ranges holding decrypted segments since the last RELEASE.
CoredumpPlan plan_coredump(const Description& description, const dt::Processor& processor,
                           const SecureProcessor& secure, soc::Soc& soc,
                           std::span<const PaRange> decrypted);

}  // namespace rproctee::platform
