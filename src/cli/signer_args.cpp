#include "cli/signer_args.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "cli/file_io.hpp"
#include "cli/key_source.hpp"
#include "crypto/aes_cbc.hpp"
#include "image/format.hpp"

namespace rproctee::cli {

namespace {

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

Error bad_int(std::string_view text, int base) {
  return make_error(TeeCode::kBadParameters, "invalid literal for int() with base {}: '{}'", base,
                    text);
}

}  // namespace

Result<int64_t> parse_python_int(std::string_view text, int base) {
  std::string_view s = text;
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int radix = base == 0 ? 10 : base;
  bool prefixed = false;
  if (s.size() >= 2 && s[0] == '0') {
    const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
    const int pr = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (pr != 0 && (base == 0 || base == pr)) {
      radix = pr;
      prefixed = true;
      s.remove_prefix(2);
    }
  }
  if (s.empty()) return bad_int(text, base);
  // Python: an underscore may follow a base prefix, and otherwise only sits between digits.
  if (s.front() == '_' && !prefixed) return bad_int(text, base);
  if (prefixed && s.front() == '_') s.remove_prefix(1);
  if (s.empty() || s.back() == '_') return bad_int(text, base);
  uint64_t value = 0;
  bool any_nonzero = false;
  char prev = '\0';
  for (char c : s) {
    if (c == '_') {
      if (prev == '_') return bad_int(text, base);
      prev = c;
      continue;
    }
    const int d = digit_value(c);
    if (d >= radix) return bad_int(text, base);
    if (value > (UINT64_MAX >> 4))
      return make_error(TeeCode::kBadParameters, "integer '{}' is too large", text);
    value = value * static_cast<uint64_t>(radix) + static_cast<uint64_t>(d);
    any_nonzero |= d != 0;
    prev = c;
  }
  // Base 0 refuses leading zeros in decimal ("010"), but accepts "0", "00", "0_0".
  if (base == 0 && !prefixed && s.size() > 1 && s[0] == '0' && any_nonzero)
    return bad_int(text, base);
  if (value > static_cast<uint64_t>(INT64_MAX))
    return make_error(TeeCode::kBadParameters, "integer '{}' is too large", text);
  const auto v = static_cast<int64_t>(value);
  return negative ? -v : v;
}

void add_signer_options(CLI::App& app, SignerArgs& a, std::string_view key_help) {
  app.add_option("--in", a.inputs, "Input firmware ELF file (images in this order)")
      ->required()
      ->check(CLI::ExistingFile)
      ->type_name("ELF");
  app.add_option("--key", a.key, std::string(key_help))
      ->required()
      ->check(key_file_or_uri())
      ->type_name("KEY");
  app.add_option("--key_type,--key-type", a.key_type,
                 "RSA or ECC; detected from the key when omitted (a conflict is an error)")
      ->type_name("TYPE");
  app.add_option("--key_pwd,--key-pwd", a.key_pwd, "Passphrase of an encrypted private key")
      ->type_name("PW");
  app.add_option("--key_info,--key-info", a.key_info,
                 "File whose bytes go into the PKEYINFO TLV (a hint to select a key)")
      ->check(CLI::ExistingFile)
      ->type_name("FILE");
  app.add_option("--plat-tlv,--plat_tlv", a.plat_tlvs,
                 "Platform TLV: ID (0x10000..0x1ffff, or BOOTADDR / BOOTSEC) and VALUE ('0x..' = "
                 "32-bit integer, else a string)")
      ->type_name("ID VALUE");
  app.add_option("--enc_key,--enc-key", a.enc_key,
                 "Raw AES key (16/24/32 bytes): encrypt every PT_LOAD segment (ST's ENC_ELF)")
      ->check(CLI::ExistingFile)
      ->type_name("FILE");
  app.add_option("--tlv-order,--tlv_order", a.tlv_order,
                 "TLV order of the reference signer to reproduce: upstream (OP-TEE), st (ST), or "
                 "auto (st when a named TLV or --enc_key is used)")
      ->check(CLI::IsMember({"auto", "upstream", "st"}))
      ->capture_default_str();
  add_pkcs11_module_option(app, a.pkcs11_module);
}

Result<std::vector<image::PlatformTlv>> parse_platform_tlvs(
    const std::vector<std::pair<std::string, std::string>>& pairs, bool& uses_names) {
  const auto usage = TeeCode::kBadParameters;
  uses_names = std::any_of(pairs.begin(), pairs.end(), [](const auto& p) {
    return p.first == "BOOTADDR" || p.first == "BOOTSEC";
  });
  std::vector<image::PlatformTlv> out;
  for (const auto& [id_text, value_text] : pairs) {
    uint32_t id = 0;
    if (id_text == "BOOTADDR") {
      id = image::tlv::kBootAddr;
    } else if (id_text == "BOOTSEC") {
      id = image::tlv::kBootSec;
    } else {
      auto parsed_id = parse_python_int(id_text, 0);
      if (!parsed_id) return std::move(parsed_id).error().context("--plat-tlv ID");
      const int64_t parsed = *parsed_id;
      if (parsed < image::tlv::kPlatformFirst || parsed > image::tlv::kPlatformLast)
        return make_error(usage, "--plat-tlv ID {} is not in the platform range 0x10000..0x1ffff",
                          id_text);
      id = static_cast<uint32_t>(parsed);
      if (uses_names && (id == image::tlv::kBootAddr || id == image::tlv::kBootSec))
        return make_error(usage, "--plat-tlv ID {} collides with the named TLV {}: use the name",
                          id_text, id == image::tlv::kBootAddr ? "BOOTADDR" : "BOOTSEC");
    }
    std::vector<uint8_t> value;
    if (value_text.rfind("0x", 0) == 0) {
      auto parsed_value = parse_python_int(value_text.substr(2), 16);
      if (!parsed_value) return std::move(parsed_value).error().context("--plat-tlv VALUE");
      const int64_t v = *parsed_value;
      if (v < 0 || v > 0xFFFFFFFF)
        return make_error(usage, "--plat-tlv {} value {} does not fit in 32 bits", id_text,
                          value_text);
      for (int b = 0; b < 4; ++b)
        value.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * b)));
    } else {
      value.assign(value_text.begin(), value_text.end());
    }
    auto existing =
        std::find_if(out.begin(), out.end(), [&](const auto& t) { return t.type == id; });
    if (existing != out.end()) {
      existing->value = std::move(value);  // dict update: first position, last value
    } else {
      out.push_back(image::PlatformTlv{id, std::move(value)});
    }
  }
  return out;
}

Result<image::TlvOrder> resolve_tlv_order(std::string_view order, bool uses_names, bool encrypts) {
  if (order == "upstream") {
    if (uses_names)
      return make_error(
          TeeCode::kBadParameters,
          "the upstream signer has no named TLVs: use 0x10001/0x10002 or --tlv-order st");
    return image::TlvOrder::kUpstream;
  }
  if (order == "st") return image::TlvOrder::kSt;
  return uses_names || encrypts ? image::TlvOrder::kSt : image::TlvOrder::kUpstream;
}

Status check_key_type(const std::optional<std::string>& key_type, const crypto::PublicKey& key,
                      std::string_view key_path) {
  if (!key_type) return {};
  std::string t = *key_type;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::toupper(c); });
  if (t != "RSA" && t != "ECC")
    return make_error(TeeCode::kBadParameters, "--key_type {} is neither RSA nor ECC", *key_type);
  const bool rsa = key.algorithm() == crypto::KeyAlgorithm::kRsa;
  if ((t == "RSA") != rsa)
    return make_error(TeeCode::kBadParameters, "--key_type {} but {} is an {} key", *key_type,
                      key_path, key.describe());
  return {};
}

Result<ResolvedSignerArgs> resolve_signer_args(const SignerArgs& args, const crypto::PublicKey& key,
                                               bool& usage) {
  usage = true;
  RPROCTEE_CHECK(check_key_type(args.key_type, key, args.key));
  bool uses_names = false;
  ResolvedSignerArgs r;
  RPROCTEE_ASSIGN(r.params.platform, parse_platform_tlvs(args.plat_tlvs, uses_names));
  RPROCTEE_ASSIGN(r.params.order,
                  resolve_tlv_order(args.tlv_order, uses_names, args.enc_key.has_value()));
  usage = false;
  r.params.sign_type = key.algorithm() == crypto::KeyAlgorithm::kRsa
                           ? static_cast<uint8_t>(image::SignType::kRsaPkcs1Sha256)
                           : static_cast<uint8_t>(image::SignType::kEcdsaP256Sha256);
  r.params.signature_size = static_cast<uint32_t>(key.signature_size());
  if (args.key_info) {
    RPROCTEE_ASSIGN(r.params.key_info, read_file(*args.key_info, kMaxKeyFile));
  }
  if (args.enc_key) {
    RPROCTEE_ASSIGN(r.params.enc_key, read_file(*args.enc_key, kMaxAesKeyFile));
    RPROCTEE_CHECK(crypto::check_aes_key(*r.params.enc_key, *args.enc_key));
  }
  r.input_data.reserve(args.inputs.size());
  for (const std::string& path : args.inputs) {
    RPROCTEE_ASSIGN(auto data, map_regular_file(path, kMaxImageFile));
    r.input_data.push_back(std::move(data));
  }
  for (size_t i = 0; i < args.inputs.size(); ++i)
    r.params.images.push_back(image::InputImage{args.inputs[i], r.input_data[i]});
  return r;
}

Status check_for_ta(const image::BuildParams& params, bool force, std::string_view force_hint,
                    std::string_view prog) {
  if (!force)
    if (auto lint = image::check_loadable(params); !lint) {
      Error e = std::move(lint).error();
      e.message += fmt::format(" ({})", force_hint);
      return e;
    }
  if (params.order == image::TlvOrder::kUpstream)
    if (auto st = image::check_st_boot_tlvs(params); !st)
      std::cerr << fmt::format(
          "{}: warning: {} (upstream order: signed as given, but ST's TA would refuse this "
          "image)\n",
          prog, st.error().message);
  return {};
}

}  // namespace rproctee::cli
