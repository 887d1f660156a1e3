// The peripherals a SoC's remote core can address, as data: the children of the
// `rproctee,peripheral-map` node of the platform's device tree (platforms/*-peripherals.dtsi,
// generated from ST's CMSIS device headers). Each has its CMSIS name (the node name
// upper-cased: "uart4@40100000" is UART4), its address range, and when it is modelled the
// compatible string of its model and the remote core's NVIC inputs of its interrupt lines.
// Nothing secret: both worlds read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "dt/device_tree.hpp"

namespace rproctee::dt {

struct Peripheral {
  std::string name;   // "UART4"
  uint32_t base = 0;  // non-secure address
  uint32_t size = 0;
  std::string compatible;            // the model ("st,stm32h7-uart"); empty: not modelled
  std::vector<uint32_t> interrupts;  // NVIC inputs of its lines, line order
  std::vector<std::pair<std::string, uint32_t>> properties;  // other one-cell properties

  bool modelled() const { return !compatible.empty(); }
  bool contains(uint64_t address) const { return address >= base && address - base < size; }
  /// A one-cell property of the node (rproctee,channels, ...), or `fallback`.
  uint32_t property(std::string_view key_name, uint32_t fallback) const;
};

struct PeripheralMap {
  std::vector<Peripheral> peripherals;  // by base address, disjoint
  /// The secure alias of every peripheral is its address + this (0: none).
  uint32_t secure_alias = 0;

  /// The peripheral at `address` (either alias), and the offset into it.
  struct Hit {
    const Peripheral* peripheral = nullptr;
    uint32_t offset = 0;
    bool secure_alias = false;
  };
  std::optional<Hit> find(uint64_t address) const;
  const Peripheral* named(std::string_view name) const;
};

/// Reads the `rproctee,peripheral-map` node (an empty map when there is none). BAD_FORMAT
/// with the node path: a reg that is not one 32-bit (address, size) pair, overlapping
/// peripherals, an interrupt beyond the NVIC's 480 inputs, a secure alias that overlaps.
Result<PeripheralMap> parse_peripheral_map(const DeviceTree& tree);

}  // namespace rproctee::dt
