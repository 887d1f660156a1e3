// A validated flattened device tree (libfdt) with checked property accessors. Every error
// names the node path, the property and the values, so a mistake in a user's .dts is easy to
// find.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace rproctee::dt {

class DeviceTree {
 public:
  /// Takes a .dtb blob; checks its whole structure (fdt_check_full) first. BAD_FORMAT.
  static Result<DeviceTree> from_blob(std::vector<uint8_t> blob, std::string source);
  DeviceTree(DeviceTree&&) = default;
  DeviceTree& operator=(DeviceTree&&) = default;
  /// Zeroes the blob: a secure-world node may hold a key.
  ~DeviceTree();

  const std::string& source() const { return source_; }
  /// The validated blob.
  std::span<const uint8_t> blob() const { return blob_; }
  /// Offset of the node at `path`, or nullopt.
  std::optional<int> node(std::string_view path) const;
  /// Nodes whose "compatible" list contains `compatible`, in tree order.
  std::vector<int> find_compatible(std::string_view compatible) const;
  std::vector<int> subnodes(int node) const;
  int parent(int node) const;
  /// The node's name ("cm33-firmware@80100000") and full path ("/reserved-memory/cm33-...").
  std::string name(int node) const;
  std::string path(int node) const;

  bool has(int node, std::string_view property) const;
  /// The names of the node's properties, in tree order.
  std::vector<std::string> property_names(int node) const;
  std::optional<std::span<const uint8_t>> raw(int node, std::string_view property) const;
  /// The property as big-endian u32 cells (its length must be a multiple of 4).
  Result<std::vector<uint32_t>> cells(int node, std::string_view property) const;
  /// A one-cell property.
  Result<uint32_t> u32(int node, std::string_view property) const;
  /// A NUL-terminated string property.
  Result<std::string> string(int node, std::string_view property) const;
  /// A string-list property (empty when absent).
  std::vector<std::string> strings(int node, std::string_view property) const;
  /// The node a phandle refers to.
  Result<int> by_phandle(uint32_t phandle, std::string_view context) const;
  /// #address-cells / #size-cells of `node` (defaults 2 / 1 as the specification says).
  uint32_t address_cells(int node) const;
  uint32_t size_cells(int node) const;
  /// "reg" of a node whose parent uses 1- or 2-cell addresses: (address, size) pairs.
  Result<std::vector<std::pair<uint64_t, uint64_t>>> reg(int node) const;

  /// An error about `property` of `node`.
  Error error(int node, std::string_view property, std::string_view what) const;

 private:
  const void* fdt() const { return blob_.data(); }
  DeviceTree() = default;
  void index_nodes();
  std::vector<uint8_t> blob_;
  std::string source_;
  std::vector<std::pair<int, int>> parents_;        // (node, its parent; -1 for the root)
  std::vector<std::pair<uint32_t, int>> phandles_;  // (phandle, node), by phandle
};

/// Reads `count` cells starting at `index` as one number (1 or 2 cells).
uint64_t combine_cells(std::span<const uint32_t> cells, size_t index, uint32_t count);

}  // namespace rproctee::dt
