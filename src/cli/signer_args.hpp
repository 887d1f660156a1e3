// The reference signer's command-line semantics, shared by `sign`, `digest` and the
// `sign_rproc_fw.py` personality: options, Python-style integers, platform TLVs (numeric ids
// or ST's names), TLV order, key type.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/mapped_file.hpp"
#include "common/result.hpp"
#include "crypto/keys.hpp"
#include "image/builder.hpp"

namespace rproctee::cli {

/// The options as given.
struct SignerArgs {
  std::vector<std::string> inputs;
  std::string out;
  std::string key;
  std::optional<std::string> key_type;
  std::optional<std::string> key_pwd;
  std::optional<std::string> key_info;
  std::vector<std::pair<std::string, std::string>> plat_tlvs;
  std::optional<std::string> enc_key;
  std::string tlv_order = "auto";
  std::optional<std::string> pkcs11_module;
};

/// Registers --in --out --key --key_type --key_pwd --key_info --plat-tlv --enc_key
/// --tlv-order --pkcs11-module (with hyphen/underscore spellings of each). --key is a file or
/// a pkcs11: URI.
void add_signer_options(CLI::App& app, SignerArgs& args, std::string_view key_help);

/// Python's int(text, base) for base 0 (0x/0o/0b prefixes, decimal without leading zeros) or
/// base 16 (optional 0x prefix): surrounding whitespace, a sign, and single underscores between
/// digits are accepted, as Python does. Values are bounded by 64 bits.
Result<int64_t> parse_python_int(std::string_view text, int base);

/// Decodes the --plat-tlv pairs like the reference signers: ID is a Python integer in
/// 0x10000..0x1ffff or ST's name BOOTADDR / BOOTSEC; VALUE starting with "0x" is a 4-byte
/// little-endian integer, anything else its UTF-8 bytes. A repeated ID keeps its first position
/// and takes the last value (a Python dict). With a name in use, numeric ids that collide with
/// the names are refused, as ST's signer does. `uses_names` reports whether a name was used.
Result<std::vector<image::PlatformTlv>> parse_platform_tlvs(
    const std::vector<std::pair<std::string, std::string>>& pairs, bool& uses_names);

/// The TLV order: "upstream", "st", or "auto" (ST's order when ST-only features are used:
/// a named platform TLV or --enc_key; the upstream order otherwise).
Result<image::TlvOrder> resolve_tlv_order(std::string_view order, bool uses_names, bool encrypts);

/// --key_type must agree with the key when given ("RSA" / "ECC", any case).
Status check_key_type(const std::optional<std::string>& key_type, const crypto::PublicKey& key,
                      std::string_view key_path);

/// Everything but the images and the signature size: SIGNTYPE, PKEYINFO, platform TLVs, AES
/// key, order. Reads --key_info and --enc_key. Usage problems are returned with code
/// BAD_PARAMETERS and `usage` set.
struct ResolvedSignerArgs {
  image::BuildParams params;           // images left empty
  std::vector<MappedFile> input_data;  // the --in files, mapped
};
Result<ResolvedSignerArgs> resolve_signer_args(const SignerArgs& args, const crypto::PublicKey& key,
                                               bool& usage);

/// What `sign` and `digest` check before building: image::check_loadable, unless `force` (the
/// error then ends with `force_hint`); and in the upstream TLV order, the meaning ST's TA would
/// give 0x10001/0x10002, as a warning on stderr only (upstream gives them none).
Status check_for_ta(const image::BuildParams& params, bool force, std::string_view force_hint,
                    std::string_view prog);

}  // namespace rproctee::cli
