// The hardware layout of a virtual SoC, read from a device tree with the same bindings as
// Linux: reserved-memory carveouts, remote-processor nodes (v16 `st,stm32mp*-tee` +
// `st,proc-id`, or v22 `st,rproc-tee = <&tee id>`), memory-region, mboxes, dma-ranges. What
// both worlds may know; no secret is in it (the secure world's settings are
// platform/secure_config.hpp, read only by the machine).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "dt/device_tree.hpp"
#include "dt/peripheral_map.hpp"

namespace rproctee::dt {

/// A reserved-memory carveout.
struct Region {
  std::string name;  // node name without the unit address ("cm33-firmware")
  uint64_t pa = 0;
  uint64_t size = 0;
};

/// One dma-ranges entry: the processor sees [da, da + size) at [pa, pa + size).
struct DmaRange {
  uint64_t da = 0, pa = 0, size = 0;
};

/// One mailbox channel ("vq0" -> IPCC channel 0).
struct MailboxChannel {
  std::string name;
  uint64_t controller = 0;  // base address of the mailbox controller
  uint32_t channel = 0;
  uint32_t controller_channels = 6;  // the controller's channel count (rproctee,channels)
};

enum class ProcessorMode { kTee, kElf };

/// A remote processor.
struct Processor {
  std::string name;        // node name ("m33")
  std::string path;        // node path ("/m33"), for messages
  std::string device_dir;  // its platform device under /sys/devices ("platform/m33")
  std::string compatible;  // first compatible string
  ProcessorMode mode = ProcessorMode::kElf;
  uint32_t id = 0;              // st,proc-id / the id in st,rproc-tee (TEE mode); index otherwise
  std::vector<size_t> regions;  // indices into Layout::regions, memory-region order
  std::vector<DmaRange> dma_ranges;  // empty: da == pa
  std::vector<MailboxChannel> mailboxes;
  /// NVIC inputs of the IPCC's RX-occupied and TX-free lines as the core sees them
  /// (rproctee,ipcc-interrupts); empty: the firmware can only poll.
  std::vector<uint32_t> ipcc_irqs;
  uint32_t watchdog_base = 0;  // the core's IWDG (rproctee,watchdog = <&iwdg>); 0: none
  uint32_t boot_address = 0;   // default vector table (da) when there is no BOOTADDR

  /// Translates [da, da + size) to a physical address with dma-ranges (identity without).
  /// ACCESS_DENIED when the range is not inside one dma-range.
  Result<uint64_t> da_to_pa(uint64_t da, uint64_t size) const;
  /// The device address at which the processor sees physical address `pa`.
  uint64_t pa_to_da(uint64_t pa) const;
};

struct Layout {
  std::string source;
  std::string model;
  std::vector<Region> regions;
  std::vector<Processor> processors;
  /// The peripherals the remote cores address (dt/peripheral_map.hpp); empty in a tree
  /// without a peripheral map.
  PeripheralMap peripherals;

  const Processor* processor(uint32_t id, ProcessorMode mode = ProcessorMode::kTee) const;
  /// The region of `processor` holding [pa, pa + size), or nullopt.
  std::optional<size_t> region_of(const Processor& processor, uint64_t pa, uint64_t size) const;
  /// The index of the region whose reserved-memory node is `node` in `tree`, or nullopt.
  std::optional<size_t> region_of_node(const DeviceTree& tree, int node) const;
};

/// Reads the layout from a device tree. BAD_FORMAT with the node path and property. Regions
/// must be disjoint and must not wrap around the address space.
Result<Layout> parse_layout(const DeviceTree& tree);

/// The compatible string of the node that holds the secure world's settings: never in a
/// normal-world device tree.
inline constexpr std::string_view kSecureWorldCompatible = "rproctee,secure-world";

/// The tree as the normal world gets it (as a bootloader hands Linux its device tree): the
/// same blob without the secure-world node.
Result<std::vector<uint8_t>> normal_world_blob(const DeviceTree& tree);

}  // namespace rproctee::dt
