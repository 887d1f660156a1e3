#include "dt/layout.hpp"

#include "dt/platform_device.hpp"

extern "C" {
#include <libfdt.h>
}

#include <string.h>

#include <algorithm>
#include <set>

namespace rproctee::dt {

namespace {

const std::set<std::string_view> kTeeCompatibles = {"st,stm32mp1-m4-tee", "st,stm32mp2-m33-tee"};
const std::set<std::string_view> kProcessorCompatibles = {"st,stm32mp1-m4", "st,stm32mp1-m4-tee",
                                                          "st,stm32mp2-m33", "st,stm32mp2-m33-tee",
                                                          "rproctee,remoteproc"};

constexpr uint32_t kMailboxIrqContext = 0x100;
constexpr uint32_t kDefaultIpccChannels = 6, kMaxIpccChannels = 16;

std::string base_name(const std::string& node_name) {
  return node_name.substr(0, node_name.find('@'));
}

class Parser {
 public:
  explicit Parser(const DeviceTree& t) : t_(t) { d_.source = t.source(); }

  Result<Layout> run() {
    if (auto root = t_.node("/")) {
      if (auto model = t_.string(*root, "model")) d_.model = *model;
    }
    std::vector<int> nodes;
    for (std::string_view c : kProcessorCompatibles)
      for (int n : t_.find_compatible(c))
        if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
    std::sort(nodes.begin(), nodes.end());
    if (nodes.empty())
      return make_error(TeeCode::kBadFormat,
                        "{}: no remote-processor node (compatible "
                        "\"st,stm32mp2-m33\", \"st,stm32mp1-m4\", their -tee forms, or "
                        "\"rproctee,remoteproc\")",
                        t_.source());
    for (int n : nodes) RPROCTEE_CHECK(processor(n));
    RPROCTEE_CHECK(check_regions_disjoint());
    RPROCTEE_ASSIGN(d_.peripherals, parse_peripheral_map(t_));
    return std::move(d_);
  }

 private:
  Result<size_t> region(int node) {
    for (size_t i = 0; i < region_nodes_.size(); ++i)
      if (region_nodes_[i] == node) return i;
    RPROCTEE_ASSIGN(const auto reg, t_.reg(node));
    if (reg.size() != 1 || reg[0].second == 0)
      return t_.error(node, "reg", "must be exactly one non-empty (address, size) pair");
    if (reg[0].second > UINT64_MAX - reg[0].first)
      return t_.error(node, "reg",
                      fmt::format("[{:#x}, +{:#x}) wraps around the address space", reg[0].first,
                                  reg[0].second));
    d_.regions.push_back(Region{base_name(t_.name(node)), reg[0].first, reg[0].second});
    region_nodes_.push_back(node);
    return d_.regions.size() - 1;
  }

  Status processor(int node) {
    Processor p;
    p.name = t_.name(node);
    p.path = t_.path(node);
    p.device_dir = platform_device_dir(t_, node);
    const auto compatibles = t_.strings(node, "compatible");
    p.compatible = compatibles.empty() ? "" : compatibles[0];
    const bool v16 = std::any_of(compatibles.begin(), compatibles.end(),
                                 [](const std::string& c) { return kTeeCompatibles.count(c) > 0; });
    if (t_.has(node, "st,rproc-tee")) {
      RPROCTEE_ASSIGN(const auto c, t_.cells(node, "st,rproc-tee"));
      if (c.size() != 2)
        return t_.error(node, "st,rproc-tee",
                        fmt::format("has {} cells, expected <&tee id>", c.size()));
      RPROCTEE_ASSIGN(const int tee, t_.by_phandle(c[0], t_.path(node) + " st,rproc-tee"));
      const auto tee_compat = t_.strings(tee, "compatible");
      if (std::find(tee_compat.begin(), tee_compat.end(), "linaro,optee-tz") == tee_compat.end())
        return t_.error(
            node, "st,rproc-tee",
            fmt::format("points at {}, which is not a \"linaro,optee-tz\" node", t_.path(tee)));
      p.mode = ProcessorMode::kTee;
      p.id = c[1];
    } else if (v16) {
      p.mode = ProcessorMode::kTee;
      RPROCTEE_ASSIGN(p.id, t_.u32(node, "st,proc-id"));
    } else {
      p.mode = ProcessorMode::kElf;
      p.id = static_cast<uint32_t>(d_.processors.size());
    }
    if (p.mode == ProcessorMode::kTee && d_.processor(p.id))
      return t_.error(node, t_.has(node, "st,rproc-tee") ? "st,rproc-tee" : "st,proc-id",
                      fmt::format("repeats processor id {}", p.id));

    RPROCTEE_ASSIGN(const auto phandles, t_.cells(node, "memory-region"));
    for (uint32_t ph : phandles) {
      RPROCTEE_ASSIGN(const int rn, t_.by_phandle(ph, t_.path(node) + " memory-region"));
      RPROCTEE_ASSIGN(const size_t ri, region(rn));
      p.regions.push_back(ri);
    }
    if (t_.has(node, "dma-ranges")) RPROCTEE_CHECK(dma_ranges(node, p));
    RPROCTEE_CHECK(mailboxes(node, p));
    RPROCTEE_CHECK(core_peripherals(node, p));
    if (t_.has(node, "rproctee,boot-address")) {
      RPROCTEE_ASSIGN(p.boot_address, t_.u32(node, "rproctee,boot-address"));
    } else if (!p.regions.empty()) {
      p.boot_address = static_cast<uint32_t>(d_.regions[p.regions[0]].pa);
    }
    d_.processors.push_back(std::move(p));
    processor_nodes_.push_back(node);
    return {};
  }

  Status dma_ranges(int node, Processor& p) {
    const uint32_t child = t_.address_cells(node), parent = t_.address_cells(t_.parent(node)),
                   size = t_.size_cells(node);
    RPROCTEE_ASSIGN(const auto c, t_.cells(node, "dma-ranges"));
    const uint32_t entry = child + parent + size;
    if (child > 2 || parent > 2 || size > 2 || c.empty() || c.size() % entry != 0)
      return t_.error(node, "dma-ranges",
                      fmt::format("has {} cells: expected entries of {} child + {} parent "
                                  "+ {} size cells",
                                  c.size(), child, parent, size));
    for (size_t i = 0; i < c.size(); i += entry) {
      const DmaRange r{combine_cells(c, i, child), combine_cells(c, i + child, parent),
                       combine_cells(c, i + child + parent, size)};
      // Every translation is then overflow-free: neither side of a range wraps.
      if (r.size == 0 || r.size > UINT64_MAX - r.da || r.size > UINT64_MAX - r.pa)
        return t_.error(node, "dma-ranges",
                        fmt::format("entry {} (da {:#x}, pa {:#x}, size {:#x}) is empty or wraps "
                                    "around the address space",
                                    i / entry, r.da, r.pa, r.size));
      p.dma_ranges.push_back(r);
    }
    return {};
  }

  Status mailboxes(int node, Processor& p) {
    if (!t_.has(node, "mboxes")) return {};
    RPROCTEE_ASSIGN(const auto c, t_.cells(node, "mboxes"));
    const auto names = t_.strings(node, "mbox-names");
    for (size_t i = 0; i < c.size(); i += 2) {
      if (i + 1 >= c.size())
        return t_.error(node, "mboxes", "ends in the middle of a <&mailbox channel> pair");
      RPROCTEE_ASSIGN(const int mb, t_.by_phandle(c[i], t_.path(node) + " mboxes"));
      uint64_t base = 0;
      if (auto reg = t_.reg(mb)) base = (*reg)[0].first;
      const size_t k = i / 2;
      // The cell is the channel, with bit 8 set to have the client notified in interrupt
      // context (ST's binding: <&ipcc1 0x100> is channel 0).
      const uint32_t channel = c[i + 1] & ~kMailboxIrqContext;
      // The STM32 IPCC has 6 (STM32MP15) or 16 (STM32MP2) channels per direction.
      uint32_t channels = kDefaultIpccChannels;
      if (t_.has(mb, "rproctee,channels")) {
        RPROCTEE_ASSIGN(channels, t_.u32(mb, "rproctee,channels"));
        if (channels == 0 || channels > kMaxIpccChannels)
          return t_.error(
              mb, "rproctee,channels",
              fmt::format("is {}: the IPCC has 1..{} channels", channels, kMaxIpccChannels));
      }
      if (channel >= channels)
        return t_.error(node, "mboxes",
                        fmt::format("channel {} of mailbox {} does not exist (the IPCC has "
                                    "0..{})",
                                    channel, k, channels - 1));
      p.mailboxes.push_back(MailboxChannel{k < names.size() ? names[k] : fmt::format("mbox{}", k),
                                           base, channel, channels});
    }
    return {};
  }

  // What the remote core itself sees: the NVIC inputs of its IPCC lines and its watchdog.
  Status core_peripherals(int node, Processor& p) {
    if (t_.has(node, "rproctee,ipcc-interrupts")) {
      RPROCTEE_ASSIGN(const auto irqs, t_.cells(node, "rproctee,ipcc-interrupts"));
      if (irqs.size() != 2 || irqs[0] >= 480 || irqs[1] >= 480 || irqs[0] == irqs[1])
        return t_.error(node, "rproctee,ipcc-interrupts",
                        "must be <rx-occupied tx-free>: two distinct NVIC inputs below 480");
      p.ipcc_irqs = {irqs[0], irqs[1]};
    }
    if (t_.has(node, "rproctee,watchdog")) {
      RPROCTEE_ASSIGN(const uint32_t ph, t_.u32(node, "rproctee,watchdog"));
      RPROCTEE_ASSIGN(const int wd, t_.by_phandle(ph, t_.path(node) + " rproctee,watchdog"));
      RPROCTEE_ASSIGN(const auto reg, t_.reg(wd));
      if (reg.empty() || reg[0].first % 0x1000 || reg[0].first > 0xFFFFF000)
        return t_.error(wd, "reg", "the watchdog needs a 4 KiB aligned 32-bit base address");
      p.watchdog_base = static_cast<uint32_t>(reg[0].first);
    }
    return {};
  }

  Status check_regions_disjoint() const {
    for (size_t i = 0; i < d_.regions.size(); ++i)
      for (size_t k = i + 1; k < d_.regions.size(); ++k) {
        const Region& a = d_.regions[i];
        const Region& b = d_.regions[k];
        // Overflow-free: every region was checked not to wrap when it was read.
        if (a.pa < b.pa + b.size && b.pa < a.pa + a.size)
          return t_.error(
              region_nodes_[k], "reg",
              fmt::format("[{:#x}, {:#x}) overlaps {} [{:#x}, {:#x})", b.pa, b.pa + b.size,
                          t_.path(region_nodes_[i]), a.pa, a.pa + a.size));
      }
    return {};
  }

  const DeviceTree& t_;
  Layout d_;
  std::vector<int> region_nodes_;
  std::vector<int> processor_nodes_;
};

}  // namespace

Result<uint64_t> Processor::da_to_pa(uint64_t da, uint64_t size) const {
  if (dma_ranges.empty()) return da;
  for (const DmaRange& r : dma_ranges)
    if (da >= r.da && da - r.da <= r.size && size <= r.size - (da - r.da))
      return r.pa + (da - r.da);
  return make_error(TeeCode::kAccessDenied,
                    "{}: device address range [{:#x}, {:#x}) is not inside one dma-range", name, da,
                    da + size);
}

uint64_t Processor::pa_to_da(uint64_t pa) const {
  for (const DmaRange& r : dma_ranges)
    if (pa >= r.pa && pa - r.pa < r.size) return r.da + (pa - r.pa);
  return pa;
}

const Processor* Layout::processor(uint32_t id, ProcessorMode mode) const {
  for (const Processor& p : processors)
    if (p.mode == mode && p.id == id) return &p;
  return nullptr;
}

std::optional<size_t> Layout::region_of(const Processor& p, uint64_t pa, uint64_t size) const {
  for (size_t ri : p.regions) {
    const Region& r = regions[ri];
    if (pa >= r.pa && pa - r.pa <= r.size && size <= r.size - (pa - r.pa)) return ri;
  }
  return std::nullopt;
}

std::optional<size_t> Layout::region_of_node(const DeviceTree& tree, int node) const {
  auto reg = tree.reg(node);
  if (!reg || reg->size() != 1) return std::nullopt;
  const std::string name = base_name(tree.name(node));
  for (size_t i = 0; i < regions.size(); ++i)
    if (regions[i].pa == (*reg)[0].first && regions[i].name == name) return i;
  return std::nullopt;
}

Result<Layout> parse_layout(const DeviceTree& tree) {
  return Parser(tree).run();
}

Result<std::vector<uint8_t>> normal_world_blob(const DeviceTree& tree) {
  std::vector<uint8_t> blob(tree.blob().begin(), tree.blob().end());
  // Deleting a node shifts the offsets after it: look it up again after each deletion.
  const std::string compatible(kSecureWorldCompatible);
  for (;;) {
    const int node = fdt_node_offset_by_compatible(blob.data(), -1, compatible.c_str());
    if (node == -FDT_ERR_NOTFOUND) break;
    if (node == 0)  // deleting the root would leave the normal world nothing
      return make_error(
          TeeCode::kBadFormat,
          "{}: the root node is compatible with \"{}\": the secure-world node must be "
          "a node of its own",
          tree.source(), compatible);
    if (node < 0 || fdt_del_node(blob.data(), node) != 0)
      return make_error(TeeCode::kBadFormat, "{}: cannot remove the secure-world node",
                        tree.source());
  }
  if (fdt_pack(blob.data()) != 0)
    return make_error(TeeCode::kBadFormat, "{}: cannot pack the normal-world tree", tree.source());
  // What the deletion moved down leaves the secure node's old bytes past the new end: zero them
  // before they become spare capacity. Through void*: the macro's cast from uint8_t* trips
  // clang's -Wcast-align (the fuzz build).
  const size_t size = fdt_totalsize(static_cast<const void*>(blob.data()));
  ::explicit_bzero(blob.data() + size, blob.size() - size);
  blob.resize(size);
  return blob;
}

}  // namespace rproctee::dt
