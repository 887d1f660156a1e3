#include "platform/secure_config.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "crypto/aes_cbc.hpp"
#include "crypto/signature.hpp"
#include "dt/presets.hpp"

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

class Parser {
 public:
  Parser(const dt::DeviceTree& t, const dt::Layout& layout) : t_(t), layout_(layout) {}

  Result<SecureConfig> run() {
    const auto nodes = t_.find_compatible(dt::kSecureWorldCompatible);
    if (nodes.size() > 1)
      return make_error(TeeCode::kBadFormat, "{}: {} \"{}\" nodes, expected one", t_.source(),
                        nodes.size(), dt::kSecureWorldCompatible);
    if (!nodes.empty()) {
      const int sw = nodes[0];
      if (t_.has(sw, "firmware-encryption-key")) {
        const auto key = *t_.raw(sw, "firmware-encryption-key");
        RPROCTEE_CHECK(crypto::check_aes_key(key, t_.path(sw) + " firmware-encryption-key"));
        RPROCTEE_ASSIGN(c_.aes_key, crypto::SecretBytes::copy_of(key));
      }
      for (int child : t_.subnodes(sw)) {
        if (t_.name(child) == "trusted-keys") {
          for (int k : t_.subnodes(child)) RPROCTEE_CHECK(trusted_key(k));
        } else if (t_.has(child, "rproc-id")) {
          RPROCTEE_CHECK(secure_processor(child));
        }
      }
    }
    for (const dt::Processor& p : layout_.processors)
      if (p.mode == dt::ProcessorMode::kTee && !c_.processor(p.id))
        return make_error(TeeCode::kBadFormat,
                          "{}: {}: processor {} (id {}) is TEE-controlled but the secure-world "
                          "node has no entry with rproc-id = <{}> (its firewall is unknown)",
                          t_.source(), p.path, p.name, p.id, p.id);
    return std::move(c_);
  }

 private:
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
    c_.keys.push_back(TrustedKey{t_.name(node), std::move(key), dev});
    return {};
  }

  Status secure_processor(int node) {
    SecureProcessor s;
    RPROCTEE_ASSIGN(s.id, t_.u32(node, "rproc-id"));
    const dt::Processor* p = layout_.processor(s.id, dt::ProcessorMode::kTee);
    if (!p)
      return t_.error(node, "rproc-id",
                      fmt::format("is {}, but no TEE-controlled processor has that id", s.id));
    if (c_.processor(s.id))
      return t_.error(node, "rproc-id", fmt::format("repeats processor id {}", s.id));
    if (t_.has(node, "secure-regions")) {
      RPROCTEE_ASSIGN(const auto phandles, t_.cells(node, "secure-regions"));
      for (uint32_t ph : phandles) {
        RPROCTEE_ASSIGN(const int rn, t_.by_phandle(ph, t_.path(node) + " secure-regions"));
        const auto ri = layout_.region_of_node(t_, rn);
        if (!ri || std::find(p->regions.begin(), p->regions.end(), *ri) == p->regions.end())
          return t_.error(
              node, "secure-regions",
              fmt::format("lists {}, which is not a memory-region of {}", t_.path(rn), p->name));
        s.secure_regions.push_back(*ri);
      }
    }
    RPROCTEE_CHECK(coredump_policy(node, s));
    s.anti_rollback = t_.has(node, "anti-rollback");
    if (t_.has(node, "rollback-tlv")) {
      RPROCTEE_ASSIGN(s.rollback_tlv, t_.u32(node, "rollback-tlv"));
      if (s.rollback_tlv < 0x10000 || s.rollback_tlv > 0x1FFFF)
        return t_.error(
            node, "rollback-tlv",
            fmt::format("is {:#x}, not a platform TLV (0x10000..0x1ffff)", s.rollback_tlv));
    }
    c_.processors.push_back(std::move(s));
    return {};
  }

  /// `coredump = "normal-world" | "full" | "sealed"` and, for "sealed", `coredump-key`.
  Status coredump_policy(int node, SecureProcessor& s) {
    if (t_.has(node, "coredump")) {
      RPROCTEE_ASSIGN(const std::string policy, t_.string(node, "coredump"));
      if (policy == "full") {
        s.coredump = CoredumpPolicy::kFull;
      } else if (policy == "sealed") {
        s.coredump = CoredumpPolicy::kSealed;
      } else if (policy != "normal-world") {
        return t_.error(node, "coredump",
                        fmt::format("is \"{}\": expected \"normal-world\", \"full\" or "
                                    "\"sealed\"",
                                    policy));
      }
    }
    const bool sealed = s.coredump == CoredumpPolicy::kSealed;
    if (!t_.has(node, "coredump-key")) {
      if (sealed)
        return t_.error(node, "coredump-key",
                        "is missing: coredump = \"sealed\" needs the debug public key the "
                        "firewalled regions are sealed to (PEM or DER, RSA >= 2048 or P-256)");
      return {};
    }
    if (!sealed)
      return t_.error(node, "coredump-key",
                      fmt::format("is set but coredump is \"{}\": only \"sealed\" uses it",
                                  coredump_policy_name(s.coredump)));
    RPROCTEE_ASSIGN(auto key, crypto::PublicKey::from_bytes(*t_.raw(node, "coredump-key"),
                                                            t_.path(node) + " coredump-key"));
    if (key.algorithm() == crypto::KeyAlgorithm::kRsa && key.bits() < 2048)
      return t_.error(
          node, "coredump-key",
          fmt::format("is {}: an RSA debug key needs at least 2048 bits", key.describe()));
    s.coredump_key = std::move(key);
    return {};
  }

  const dt::DeviceTree& t_;
  const dt::Layout& layout_;
  SecureConfig c_;
};

}  // namespace

std::string_view coredump_policy_name(CoredumpPolicy policy) {
  switch (policy) {
    case CoredumpPolicy::kNormalWorld:
      return "normal-world";
    case CoredumpPolicy::kFull:
      return "full";
    case CoredumpPolicy::kSealed:
      return "sealed";
  }
  return "?";
}

bool SecureProcessor::is_secure(size_t region_index) const {
  return std::find(secure_regions.begin(), secure_regions.end(), region_index) !=
         secure_regions.end();
}

const SecureProcessor* SecureConfig::processor(uint32_t id) const {
  for (const SecureProcessor& p : processors)
    if (p.id == id) return &p;
  return nullptr;
}

Result<SecureConfig> parse_secure_config(const dt::DeviceTree& tree, const dt::Layout& layout) {
  return Parser(tree, layout).run();
}

namespace {

// Without the secure-world node the normal world must still read the same memory layout: a
// secure node holding the processors or the reserved memory would take them from it.
Status check_normal_world_view(const dt::DeviceTree& tree, const Description& d) {
  RPROCTEE_ASSIGN(const auto view, dt::DeviceTree::from_blob(d.normal_world_dtb, tree.source()));
  auto layout = dt::parse_layout(view);
  if (!layout)
    return make_error(TeeCode::kBadFormat,
                      "without its secure-world node the normal world cannot read the layout "
                      "(the secure-world node must not hold what the normal world needs): {}",
                      layout.error().message);
  bool same = layout->regions.size() == d.layout.regions.size();
  for (size_t i = 0; same && i < layout->regions.size(); ++i)
    same = layout->regions[i].pa == d.layout.regions[i].pa &&
           layout->regions[i].size == d.layout.regions[i].size;
  if (!same)
    return make_error(TeeCode::kBadFormat,
                      "{}: without its secure-world node the normal world sees {} memory regions "
                      "where the secure world sees {} (the secure-world node must not hold them)",
                      tree.source(), layout->regions.size(), d.layout.regions.size());
  return {};
}

}  // namespace

Result<Description> load_description(const dt::DeviceTree& tree) {
  Description d;
  RPROCTEE_ASSIGN(d.layout, dt::parse_layout(tree));
  RPROCTEE_ASSIGN(d.secure, parse_secure_config(tree, d.layout));
  RPROCTEE_ASSIGN(d.normal_world_dtb, dt::normal_world_blob(tree));
  RPROCTEE_CHECK(check_normal_world_view(tree, d));
  return d;
}

Result<Description> load_preset(std::string_view name) {
  RPROCTEE_ASSIGN(const auto tree, dt::load_preset(name));
  return load_description(tree);
}

Result<Description> load_device_tree_file(const std::string& path) {
  RPROCTEE_ASSIGN(const auto tree, dt::load_device_tree_file(path));
  return load_description(tree);
}

bool exported_to_normal_world(const Description& d, size_t region) {
  for (const dt::Processor& p : d.layout.processors) {
    if (std::find(p.regions.begin(), p.regions.end(), region) == p.regions.end()) continue;
    if (p.mode != dt::ProcessorMode::kTee) continue;
    const SecureProcessor* s = d.secure.processor(p.id);
    if (!s || s->is_secure(region)) return false;  // unknown firewall: keep it secure
  }
  return true;
}

Status trust_key(SecureConfig& c, crypto::PublicKey key, std::string name) {
  RPROCTEE_CHECK(crypto::Verifier::create(key));
  const bool dev = is_published_development_key(key);
  c.keys.push_back(TrustedKey{std::move(name), std::move(key), dev});
  return {};
}

bool is_published_development_key(const crypto::PublicKey& key) {
  return std::any_of(kDevelopmentKeys.begin(), kDevelopmentKeys.end(),
                     [&](const auto& k) { return k.first == key.fingerprint(); });
}

Status check_production(const Description& d) {
  for (const TrustedKey& k : d.secure.keys)
    if (k.development) {
      std::string_view which = "a published development key";
      for (const auto& [fp, name] : kDevelopmentKeys)
        if (fp == k.key.fingerprint()) which = name;
      return make_error(TeeCode::kSecurity,
                        "{}: trusted key \"{}\" is the {} key, published with its private "
                        "half: refusing to start in production mode",
                        d.source(), k.name, which);
    }
  if (d.secure.keys.empty())
    return make_error(TeeCode::kSecurity, "{}: no trusted key: nothing could ever be loaded",
                      d.source());
  for (const SecureProcessor& s : d.secure.processors)
    if (s.coredump == CoredumpPolicy::kFull) {
      const dt::Processor* p = d.layout.processor(s.id);
      return make_error(TeeCode::kSecurity,
                        "{}: processor {} (rproc-id {}) has coredump = \"full\", which hands its "
                        "firewalled memories to the normal world in core dumps: refusing to "
                        "start in production mode (use \"normal-world\", or \"sealed\" with a "
                        "coredump-key)",
                        d.source(), p ? p->name : "?", s.id);
    }
  return {};
}

}  // namespace rproctee::platform
