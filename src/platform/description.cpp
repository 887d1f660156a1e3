#include "platform/description.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "crypto/aes_cbc.hpp"
#include "crypto/signature.hpp"

namespace rproctee::platform {

namespace {

// SHA-256 of the SubjectPublicKeyInfo of published development keys.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kDevelopmentKeys = {{
    {"cac7bcfaf8674a57e5eaa8ef1a7c9b67af1fd5562a06440d88d5e3c632e88c48",
     "OP-TEE default (RSA-4096)"},
    {"3a21983aeeda3a503f4d3de2ff6fedbaa8b4389ab6ef7261cbdb1de85434fcc3", "ST default (RSA-2048)"},
    {"e770db6bf5541d05cb634ff21bb3785f2cf20fa84b7cd3e0b17e4374716db23c",
     "rproctee development (RSA-3072)"},
}};

const std::set<std::string_view> kTeeCompatibles = {"st,stm32mp1-m4-tee", "st,stm32mp2-m33-tee"};
const std::set<std::string_view> kProcessorCompatibles = {"st,stm32mp1-m4", "st,stm32mp1-m4-tee",
                                                          "st,stm32mp2-m33", "st,stm32mp2-m33-tee",
                                                          "rproctee,remoteproc"};

std::string base_name(const std::string& node_name) {
  return node_name.substr(0, node_name.find('@'));
}

class Parser {
 public:
  explicit Parser(const DeviceTree& t) : t_(t) { d_.source = t.source(); }

  Result<Description> run() {
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
    RPROCTEE_CHECK(secure_world());
    return std::move(d_);
  }

 private:
  Result<size_t> region(int node) {
    for (size_t i = 0; i < region_nodes_.size(); ++i)
      if (region_nodes_[i] == node) return i;
    RPROCTEE_ASSIGN(const auto reg, t_.reg(node));
    if (reg.size() != 1 || reg[0].second == 0)
      return t_.error(node, "reg", "must be exactly one non-empty (address, size) pair");
    d_.regions.push_back(Region{base_name(t_.name(node)), reg[0].first, reg[0].second});
    region_nodes_.push_back(node);
    return d_.regions.size() - 1;
  }

  Status processor(int node) {
    Processor p;
    p.name = t_.name(node);
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
    for (size_t i = 0; i < c.size(); i += entry)
      p.dma_ranges.push_back(DmaRange{combine_cells(c, i, child),
                                      combine_cells(c, i + child, parent),
                                      combine_cells(c, i + child + parent, size)});
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
      // The STM32 IPCC has six channels per direction (HWCFGR.CHANNELS).
      if (c[i + 1] >= 6)
        return t_.error(node, "mboxes",
                        fmt::format("channel {} of mailbox {} does not exist (the IPCC has 0..5)",
                                    c[i + 1], k));
      p.mailboxes.push_back(
          MailboxChannel{k < names.size() ? names[k] : fmt::format("mbox{}", k), base, c[i + 1]});
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
        if (a.pa < b.pa + b.size && b.pa < a.pa + a.size)
          return t_.error(
              region_nodes_[k], "reg",
              fmt::format("[{:#x}, {:#x}) overlaps {} [{:#x}, {:#x})", b.pa, b.pa + b.size,
                          t_.path(region_nodes_[i]), a.pa, a.pa + a.size));
      }
    return {};
  }

  Status secure_world() {
    const auto nodes = t_.find_compatible("rproctee,secure-world");
    if (nodes.size() > 1)
      return make_error(TeeCode::kBadFormat, "{}: {} \"rproctee,secure-world\" nodes, expected one",
                        t_.source(), nodes.size());
    std::set<uint32_t> configured;
    if (!nodes.empty()) {
      const int sw = nodes[0];
      if (t_.has(sw, "firmware-encryption-key")) {
        const auto key = *t_.raw(sw, "firmware-encryption-key");
        RPROCTEE_CHECK(crypto::check_aes_key(key, t_.path(sw) + " firmware-encryption-key"));
        d_.aes_key = std::vector<uint8_t>(key.begin(), key.end());
      }
      for (int child : t_.subnodes(sw)) {
        if (t_.name(child) == "trusted-keys") {
          for (int k : t_.subnodes(child)) RPROCTEE_CHECK(trusted_key(k));
        } else if (t_.has(child, "rproc-id")) {
          RPROCTEE_ASSIGN(const uint32_t id, secure_processor(child));
          configured.insert(id);
        }
      }
    }
    for (size_t i = 0; i < d_.processors.size(); ++i) {
      const Processor& p = d_.processors[i];
      if (p.mode == ProcessorMode::kTee && !configured.count(p.id))
        return make_error(TeeCode::kBadFormat,
                          "{}: {}: processor {} (id {}) is TEE-controlled but the secure-world "
                          "node has no entry with rproc-id = <{}> (its firewall is unknown)",
                          t_.source(), t_.path(processor_nodes_[i]), p.name, p.id, p.id);
    }
    return {};
  }

  Status trusted_key(int node) {
    RPROCTEE_ASSIGN(const std::string algorithm, t_.string(node, "algorithm"));
    if (algorithm != "rsa-pkcs1-sha256" && algorithm != "ecdsa-p256-sha256")
      return t_.error(
          node, "algorithm",
          fmt::format("is \"{}\": expected \"rsa-pkcs1-sha256\" or \"ecdsa-p256-sha256\"",
                      algorithm));
    const auto bytes = t_.raw(node, "key");
    if (!bytes) return t_.error(node, "key", "is missing (PEM or DER public key bytes)");
    RPROCTEE_ASSIGN(auto key, crypto::PublicKey::from_bytes(*bytes, t_.path(node) + " key"));
    const bool rsa = key.algorithm() == crypto::KeyAlgorithm::kRsa;
    if (rsa != (algorithm == "rsa-pkcs1-sha256"))
      return t_.error(node, "algorithm",
                      fmt::format("says {} but the key is {}", algorithm, key.describe()));
    if (auto usable = crypto::Verifier::create(key); !usable)  // size rules (RSA >= 2048)
      return t_.error(node, "key", fmt::format("is unusable: {}", usable.error().message));
    const bool dev = is_published_development_key(key);
    d_.keys.push_back(TrustedKey{t_.name(node), std::move(key), dev});
    return {};
  }

  Result<uint32_t> secure_processor(int node) {
    RPROCTEE_ASSIGN(const uint32_t id, t_.u32(node, "rproc-id"));
    Processor* p = nullptr;
    for (Processor& candidate : d_.processors)
      if (candidate.mode == ProcessorMode::kTee && candidate.id == id) p = &candidate;
    if (!p)
      return t_.error(node, "rproc-id",
                      fmt::format("is {}, but no TEE-controlled processor has that id", id));
    if (t_.has(node, "secure-regions")) {
      RPROCTEE_ASSIGN(const auto phandles, t_.cells(node, "secure-regions"));
      for (uint32_t ph : phandles) {
        RPROCTEE_ASSIGN(const int rn, t_.by_phandle(ph, t_.path(node) + " secure-regions"));
        auto idx = std::find(region_nodes_.begin(), region_nodes_.end(), rn);
        const size_t ri = static_cast<size_t>(idx - region_nodes_.begin());
        if (idx == region_nodes_.end() ||
            std::find(p->regions.begin(), p->regions.end(), ri) == p->regions.end())
          return t_.error(
              node, "secure-regions",
              fmt::format("lists {}, which is not a memory-region of {}", t_.path(rn), p->name));
        p->secure_regions.push_back(ri);
      }
    }
    p->anti_rollback = t_.has(node, "anti-rollback");
    if (t_.has(node, "rollback-tlv")) {
      RPROCTEE_ASSIGN(p->rollback_tlv, t_.u32(node, "rollback-tlv"));
      if (p->rollback_tlv < 0x10000 || p->rollback_tlv > 0x1FFFF)
        return t_.error(
            node, "rollback-tlv",
            fmt::format("is {:#x}, not a platform TLV (0x10000..0x1ffff)", p->rollback_tlv));
    }
    return id;
  }

  const DeviceTree& t_;
  Description d_;
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

bool Processor::is_secure(size_t region_index) const {
  return std::find(secure_regions.begin(), secure_regions.end(), region_index) !=
         secure_regions.end();
}

const Processor* Description::processor(uint32_t id, ProcessorMode mode) const {
  for (const Processor& p : processors)
    if (p.mode == mode && p.id == id) return &p;
  return nullptr;
}

std::optional<size_t> Description::region_of(const Processor& p, uint64_t pa, uint64_t size) const {
  for (size_t ri : p.regions) {
    const Region& r = regions[ri];
    if (pa >= r.pa && pa - r.pa <= r.size && size <= r.size - (pa - r.pa)) return ri;
  }
  return std::nullopt;
}

Result<Description> parse_description(const DeviceTree& tree) {
  return Parser(tree).run();
}

bool exported_to_normal_world(const Description& d, size_t region) {
  for (const Processor& p : d.processors) {
    if (std::find(p.regions.begin(), p.regions.end(), region) == p.regions.end()) continue;
    if (p.mode == ProcessorMode::kTee && p.is_secure(region)) return false;
  }
  return true;
}

Status trust_key(Description& d, crypto::PublicKey key, std::string name) {
  RPROCTEE_CHECK(crypto::Verifier::create(key));
  const bool dev = is_published_development_key(key);
  d.keys.push_back(TrustedKey{std::move(name), std::move(key), dev});
  return {};
}

bool is_published_development_key(const crypto::PublicKey& key) {
  return std::any_of(kDevelopmentKeys.begin(), kDevelopmentKeys.end(),
                     [&](const auto& k) { return k.first == key.fingerprint(); });
}

Status check_production(const Description& d) {
  for (const TrustedKey& k : d.keys)
    if (k.development) {
      std::string_view which = "a published development key";
      for (const auto& [fp, name] : kDevelopmentKeys)
        if (fp == k.key.fingerprint()) which = name;
      return make_error(TeeCode::kSecurity,
                        "{}: trusted key \"{}\" is the {} key, published with its private "
                        "half: refusing to start in production mode",
                        d.source, k.name, which);
    }
  if (d.keys.empty())
    return make_error(TeeCode::kSecurity, "{}: no trusted key: nothing could ever be loaded",
                      d.source);
  return {};
}

}  // namespace rproctee::platform
