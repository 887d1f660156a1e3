// The platform description of a virtual SoC, read from a device tree with the same bindings
// as Linux and OP-TEE: reserved-memory carveouts, remote-processor nodes (v16
// `st,stm32mp*-tee` + `st,proc-id`, or v22 `st,rproc-tee = <&tee id>`), memory-region,
// mboxes, dma-ranges, and a `rproctee,secure-world` node with the secure side's settings
// (trusted keys, AES key, firewall assignment, anti-rollback).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/keys.hpp"
#include "platform/device_tree.hpp"

namespace rproctee::platform {

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
};

enum class ProcessorMode { kTee, kElf };

/// A remote processor.
struct Processor {
  std::string name;        // node name ("m33")
  std::string compatible;  // first compatible string
  ProcessorMode mode = ProcessorMode::kElf;
  uint32_t id = 0;              // st,proc-id / the id in st,rproc-tee (TEE mode); index otherwise
  std::vector<size_t> regions;  // indices into Description::regions, memory-region order
  std::vector<size_t> secure_regions;  // firewalled while loaded (subset of regions)
  std::vector<DmaRange> dma_ranges;    // empty: da == pa
  std::vector<MailboxChannel> mailboxes;
  /// NVIC inputs of the IPCC's RX-occupied and TX-free lines as the core sees them
  /// (rproctee,ipcc-interrupts); empty: the firmware can only poll.
  std::vector<uint32_t> ipcc_irqs;
  uint32_t watchdog_base = 0;  // the core's IWDG (rproctee,watchdog = <&iwdg>); 0: none
  uint32_t boot_address = 0;   // default vector table (da) when there is no BOOTADDR
  bool anti_rollback = false;
  uint32_t rollback_tlv = 0x10003;  // platform TLV carrying the security version

  /// Translates [da, da + size) to a physical address with dma-ranges (identity without).
  /// ACCESS_DENIED when the range is not inside one dma-range.
  Result<uint64_t> da_to_pa(uint64_t da, uint64_t size) const;
  /// The device address at which the processor sees physical address `pa`.
  uint64_t pa_to_da(uint64_t pa) const;
  bool is_secure(size_t region_index) const;
};

/// A public key the secure world trusts.
struct TrustedKey {
  std::string name;
  crypto::PublicKey key;
  bool development = false;  // a published development key (OP-TEE's, ST's, rproctee's)
};

struct Description {
  std::string source;
  std::string model;
  std::vector<Region> regions;
  std::vector<Processor> processors;
  std::vector<TrustedKey> keys;
  std::optional<std::vector<uint8_t>> aes_key;  // ST encrypted firmware

  const Processor* processor(uint32_t id, ProcessorMode mode = ProcessorMode::kTee) const;
  /// The region of `processor` holding [pa, pa + size), or nullopt.
  std::optional<size_t> region_of(const Processor& processor, uint64_t pa, uint64_t size) const;
};

/// Reads a description from a device tree. BAD_FORMAT with the node path and property.
Result<Description> parse_description(const DeviceTree& tree);

/// The firewall policy (H14): may the normal world map this region? Never for a region a
/// TEE-controlled processor lists as secure; always for the others (IPC memory, vrings,
/// buffers, and every region of an ELF-mode processor, which the normal world loads itself).
bool exported_to_normal_world(const Description& description, size_t region);

/// Adds a trusted key (the CLI's --trust): development use only.
Status trust_key(Description& description, crypto::PublicKey key, std::string name);

/// True for OP-TEE's and ST's published development keys and the project's own.
bool is_published_development_key(const crypto::PublicKey& key);

/// --production: refuses a description that trusts a published development key (attack 18).
Status check_production(const Description& description);

}  // namespace rproctee::platform
