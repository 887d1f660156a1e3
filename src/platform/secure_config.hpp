// The secure world's settings of a platform, from the `rproctee,secure-world` node of its
// device tree (OP-TEE's own device tree on a board): trusted keys, the firmware-encryption key,
// which regions the firewall assigns to the secure side while a firmware is loaded,
// anti-rollback, and what a core dump may hold. Only the machine process reads them; the normal
// world gets the tree without that node (dt::normal_world_blob).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/keys.hpp"
#include "crypto/secret_bytes.hpp"
#include "dt/device_tree.hpp"
#include "dt/layout.hpp"

namespace rproctee::platform {

/// A public key the secure world trusts.
struct TrustedKey {
  std::string name;
  crypto::PublicKey key;
  bool development = false;  // a published development key (OP-TEE's, ST's, rproctee's)
};

/// What GET_COREDUMP may hand to the normal world (security.md: a dump holds only what the
/// normal world could already read, unless the platform allows more). In every policy the
/// bytes of an encrypted image's segments, decrypted at LOAD, are absent.
enum class CoredumpPolicy {
  kNormalWorld,  // "normal-world" (default): the non-secure regions and the registers
  kFull,         // "full": every region in clear; development only, refused by --production
  kSealed,       // "sealed": non-secure regions in clear, the firewalled ones encrypted to
                 // the provisioned `coredump-key` (image/sealed_core.hpp)
};

/// The device-tree spelling: "normal-world", "full", "sealed".
std::string_view coredump_policy_name(CoredumpPolicy policy);

/// The secure settings of one TEE-controlled processor.
struct SecureProcessor {
  uint32_t id = 0;                     // the processor's TEE id (dt::Processor::id)
  std::vector<size_t> secure_regions;  // firewalled while loaded (indices into Layout::regions)
  bool anti_rollback = false;
  uint32_t rollback_tlv = 0x10003;  // platform TLV carrying the security version
  CoredumpPolicy coredump = CoredumpPolicy::kNormalWorld;
  std::optional<crypto::PublicKey> coredump_key;  // the debug key of kSealed (RSA or P-256)

  bool is_secure(size_t region_index) const;
};

struct SecureConfig {
  std::vector<TrustedKey> keys;
  std::optional<crypto::SecretBytes> aes_key;  // ST encrypted firmware (locked, not dumped)
  std::vector<SecureProcessor> processors;     // one per TEE-controlled processor

  const SecureProcessor* processor(uint32_t id) const;
};

/// Reads the secure-world node of `tree` for the processors of `layout`. Every TEE-controlled
/// processor needs an entry (its firewall would be unknown). BAD_FORMAT with the node path.
Result<SecureConfig> parse_secure_config(const dt::DeviceTree& tree, const dt::Layout& layout);

/// The secure world's whole view of a platform: the hardware layout, the secure settings, and
/// the device tree it hands to the normal world.
struct Description {
  dt::Layout layout;
  SecureConfig secure;
  std::vector<uint8_t> normal_world_dtb;

  const std::string& source() const { return layout.source; }
};

Result<Description> load_description(const dt::DeviceTree& tree);
/// A preset by name, or a user's .dtb/.dts (dt/presets.hpp), read whole.
Result<Description> load_preset(std::string_view name);
Result<Description> load_device_tree_file(const std::string& path);

/// The firewall policy (H14): may the normal world map this region? Never for a region a
/// TEE-controlled processor lists as secure; always for the others (IPC memory, vrings,
/// buffers, and every region of an ELF-mode processor, which the normal world loads itself).
bool exported_to_normal_world(const Description& description, size_t region);

/// Adds a trusted key (the CLI's --trust): development use only.
Status trust_key(SecureConfig& config, crypto::PublicKey key, std::string name);

/// True for OP-TEE's and ST's published development keys and the project's own.
bool is_published_development_key(const crypto::PublicKey& key);

/// --production: refuses a description that trusts a published development key (attack 18) or
/// lets a processor dump its firewalled memories in clear (coredump = "full").
Status check_production(const Description& description);

}  // namespace rproctee::platform
