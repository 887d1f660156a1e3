// Offline / HSM signing in two steps:
//   `rproctee digest`: the same inputs as `sign`, a public key instead of the private one;
//     writes the exact bytes to be signed (or their SHA-256) and a JSON manifest of the inputs.
//   `rproctee stitch`: manifest + a signature made elsewhere (raw, or DER for ECDSA) -> the
//     final image, verified with the public key before it is written.
#include <fstream>
#include <iostream>

#include "cli/command.hpp"
#include "cli/file_io.hpp"
#include "cli/key_source.hpp"
#include "cli/render.hpp"
#include "cli/signer_args.hpp"
#include "common/byte_reader.hpp"
#include "crypto/ecdsa_p256.hpp"
#include "crypto/sha256.hpp"
#include "crypto/signature.hpp"
#include "image/builder.hpp"
#include "image/container.hpp"
#include "image/format.hpp"
#include "image/tlv.hpp"
#include "image/verify.hpp"

namespace rproctee::cli {

namespace {

constexpr std::string_view kManifestFormat = "rproctee-signing-request";

Result<std::vector<uint8_t>> from_hex(const std::string& hex, std::string_view field) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0)
    return make_error(TeeCode::kBadFormat, "manifest field {} has an odd number of hex digits",
                      field);
  std::vector<uint8_t> out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return make_error(TeeCode::kBadFormat, "manifest field {} is not hex", field);
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

json manifest_json(const SignerArgs& args, const image::BuildParams& p,
                   const std::vector<MappedFile>& inputs, const crypto::PublicKey& key,
                   const image::UnsignedImage& u) {
  json in = json::array();
  for (size_t i = 0; i < inputs.size(); ++i)
    in.push_back({{"path", args.inputs[i]},
                  {"size", inputs[i].size()},
                  {"sha256", crypto::to_hex(crypto::Sha256::of(inputs[i]))}});
  json plat = json::array();
  for (const auto& t : p.platform)
    plat.push_back({{"type", t.type}, {"value", crypto::to_hex(t.value)}});
  const auto tbs = u.to_be_signed();
  return {{"format", kManifestFormat},
          {"version", 1},
          {"inputs", in},
          {"key", {{"algorithm", key.describe()}, {"fingerprint", key.fingerprint()}}},
          {"sign_type", p.sign_type},
          {"signature_size", p.signature_size},
          {"tlv_order", p.order == image::TlvOrder::kSt ? "st" : "upstream"},
          {"key_info", p.key_info ? json(crypto::to_hex(*p.key_info)) : json(nullptr)},
          {"platform_tlvs", plat},
          {"encrypted", p.enc_key.has_value()},
          {"to_be_signed", crypto::to_hex(tbs)},
          {"to_be_signed_sha256", crypto::to_hex(crypto::Sha256::of(tbs))}};
}

/// The per-segment IVs stored in the ENCTABLE of to-be-signed bytes.
Result<std::vector<std::array<uint8_t, 16>>> ivs_from_tbs(std::span<const uint8_t> tbs) {
  RPROCTEE_ASSIGN(const image::ImageHeader h, image::decode_header(tbs));
  if (tbs.size() != image::kHeaderSize + round_up8(h.tlv_len))
    return make_error(TeeCode::kBadFormat, "manifest to_be_signed is {} bytes, its header says {}",
                      tbs.size(), image::kHeaderSize + round_up8(h.tlv_len));
  std::vector<image::Tlv> tlvs;
  RPROCTEE_CHECK(image::walk_tlvs(tbs.subspan(image::kHeaderSize), h.tlv_len, tlvs));
  for (const auto& t : tlvs)
    if (t.type == image::tlv::kEncTable) return image::load_ivs_from_table(t.value);
  return make_error(TeeCode::kNoData, "manifest says encrypted but has no ENCTABLE");
}

/// Rebuilds the build parameters recorded by `digest`.
Result<image::BuildParams> params_from_manifest(const json& m, const std::string& manifest_path,
                                                std::vector<MappedFile>& storage) {
  image::BuildParams p;
  p.sign_type = m.at("sign_type").get<uint8_t>();
  p.signature_size = m.at("signature_size").get<uint32_t>();
  p.order = m.at("tlv_order").get<std::string>() == "st" ? image::TlvOrder::kSt
                                                         : image::TlvOrder::kUpstream;
  if (!m.at("key_info").is_null()) {
    RPROCTEE_ASSIGN(p.key_info, from_hex(m.at("key_info").get<std::string>(), "key_info"));
  }
  for (const auto& t : m.at("platform_tlvs")) {
    RPROCTEE_ASSIGN(auto value, from_hex(t.at("value").get<std::string>(), "platform_tlvs"));
    p.platform.push_back(image::PlatformTlv{t.at("type").get<uint32_t>(), std::move(value)});
  }
  const auto dir = std::filesystem::path(manifest_path).parent_path();
  for (const auto& in : m.at("inputs")) {
    std::string path = in.at("path").get<std::string>();
    if (!std::filesystem::exists(path) && std::filesystem::exists(dir / path))
      path = (dir / path).string();
    RPROCTEE_ASSIGN(auto data, map_regular_file(path, kMaxImageFile));
    const std::string actual = crypto::to_hex(crypto::Sha256::of(data));
    if (actual != in.at("sha256").get<std::string>())
      return make_error(TeeCode::kSecurity, "{} changed since `rproctee digest` (SHA-256 {} vs {})",
                        path, actual, in.at("sha256").get<std::string>());
    storage.push_back(std::move(data));
    p.images.push_back(image::InputImage{path, storage.back()});
  }
  return p;
}

}  // namespace

int digest_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Prepare an image for signing by an HSM or another machine: writes the exact "
      "bytes to be signed (header || TLVs) or their SHA-256, and a JSON manifest for "
      "`rproctee stitch`. Prints the SHA-256 in hex on stdout.",
      prog);
  SignerArgs args;
  std::string manifest;
  bool sha_only = false;
  bool force = false;
  add_signer_options(app, args,
                     "Public key of the signing key (sets algorithm and signature size): a file, "
                     "or the key in a PKCS#11 token ('pkcs11:token=...;object=...')");
  app.add_option("--out", args.out, "Where to write the to-be-signed bytes (or the digest)")
      ->required()
      ->type_name("FILE");
  app.add_option("--manifest", manifest, "JSON manifest to write for `stitch`")
      ->required()
      ->type_name("FILE");
  app.add_flag("--sha256", sha_only, "Write the 32-byte SHA-256 instead of the bytes themselves");
  app.add_flag("--force", force, "Prepare even when the TA would reject the image");
  if (auto code = parse_args(app, std::move(argv))) return *code;

  auto key = load_public_key(args.key, args.pkcs11_module);
  if (!key) return print_error(prog, key.error()), kExitFailure;
  bool usage = false;
  auto resolved = resolve_signer_args(args, *key, usage);
  if (!resolved) {
    if (usage) return usage_error(prog, resolved.error().message);
    return print_error(prog, resolved.error()), kExitFailure;
  }
  const image::BuildParams& params = resolved->params;
  if (auto s = check_for_ta(
          params, force,
          "the trusted application would reject this image; --force prepares it anyway", prog);
      !s)
    return print_error(prog, s.error()), kExitFailure;
  auto u = image::build_unsigned(params);
  if (!u) return print_error(prog, u.error()), kExitFailure;
  const auto tbs = u->to_be_signed();
  const auto digest = crypto::Sha256::of(tbs);
  const std::string m = manifest_json(args, params, resolved->input_data, *key, *u).dump(2) + "\n";
  const std::span<const uint8_t> out_bytes = sha_only ? std::span<const uint8_t>(digest) : tbs;
  if (auto s = write_file_atomic(args.out, out_bytes); !s)
    return print_error(prog, s.error()), kExitFailure;
  if (auto s = write_file_atomic(manifest,
                                 std::span(reinterpret_cast<const uint8_t*>(m.data()), m.size()));
      !s)
    return print_error(prog, s.error()), kExitFailure;
  std::cout << crypto::to_hex(digest) << "\n";
  return kExitOk;
}

int stitch_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Assemble the final signed image from a `digest` manifest and a signature made "
      "elsewhere (raw; or DER for ECDSA). The result is verified with --key before it "
      "is written.",
      prog);
  std::string manifest_path, sig_path, key_path, out;
  std::optional<std::string> enc_key, pkcs11_module;
  app.add_option("--manifest", manifest_path, "Manifest written by `rproctee digest`")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--signature", sig_path, "Signature file")->required()->check(CLI::ExistingFile);
  app.add_option("--key", key_path,
                 "Public key that must verify the signature: a file, or the key in a PKCS#11 "
                 "token ('pkcs11:token=...;object=...')")
      ->required()
      ->check(key_file_or_uri())
      ->type_name("KEY");
  app.add_option("--out", out, "Signed image to write")->required();
  app.add_option("--enc_key,--enc-key", enc_key, "AES key, for a manifest of an encrypted image")
      ->check(CLI::ExistingFile);
  add_pkcs11_module_option(app, pkcs11_module);
  if (auto code = parse_args(app, std::move(argv))) return *code;

  auto fail = [&](const Error& e) { return print_error(prog, e), kExitFailure; };
  auto manifest_bytes = read_file(manifest_path);
  if (!manifest_bytes) return fail(manifest_bytes.error());
  const json m = json::parse(manifest_bytes->begin(), manifest_bytes->end(), nullptr, false);
  if (m.is_discarded() || !m.is_object() || m.value("format", "") != kManifestFormat)
    return fail(
        make_error(TeeCode::kBadFormat, "{} is not an rproctee digest manifest", manifest_path));
  auto key = load_public_key(key_path, pkcs11_module);
  if (!key) return fail(key.error());
  try {
    const std::string expected_fp = m.at("key").at("fingerprint").get<std::string>();
    if (key->fingerprint() != expected_fp)
      return fail(make_error(TeeCode::kBadParameters,
                             "the manifest was prepared for key {} but --key "
                             "is {}",
                             expected_fp, key->fingerprint()));
    std::vector<MappedFile> storage;
    storage.reserve(m.at("inputs").size());
    auto params = params_from_manifest(m, manifest_path, storage);
    if (!params) return fail(params.error());
    auto tbs_expected = from_hex(m.at("to_be_signed").get<std::string>(), "to_be_signed");
    if (!tbs_expected) return fail(tbs_expected.error());
    std::vector<uint8_t> aes;
    if (m.at("encrypted").get<bool>()) {
      if (!enc_key)
        return usage_error(prog, "the manifest is for an encrypted image: give the same --enc_key");
      auto k = read_file(*enc_key, kMaxAesKeyFile);
      if (!k) return fail(k.error());
      aes = *k;
      params->enc_key = aes;
      auto ivs = ivs_from_tbs(*tbs_expected);
      if (!ivs) return fail(ivs.error());
      params->ivs = *ivs;
    }
    auto u = image::build_unsigned(*params);
    if (!u) return fail(u.error());
    if (u->to_be_signed() != *tbs_expected)
      return fail(make_error(TeeCode::kSecurity,
                             "the rebuilt header and TLVs differ from the "
                             "manifest's to_be_signed bytes (different enc key or inputs?)"));
    auto sig = read_file(sig_path);
    if (!sig) return fail(sig.error());
    if (sig->size() != params->signature_size &&
        key->algorithm() == crypto::KeyAlgorithm::kEcdsaP256) {
      auto raw = crypto::ecdsa_der_to_raw(*sig);
      if (!raw) return fail(std::move(raw).error().context(sig_path));
      *sig = *raw;
    }
    auto file = image::assemble(*u, *sig);
    if (!file) return fail(file.error());
    auto verifier = crypto::Verifier::create(*key);
    if (!verifier) return fail(verifier.error());
    image::VerifyOptions opts;
    opts.keys.push_back(*verifier);
    if (!aes.empty()) opts.aes_key = aes;
    const auto flat = file->flatten();
    const auto report = image::verify_signed_image(flat, opts);
    if (!report.authentic())
      return fail(Error{report.error.code, fmt::format("the stitched image does not verify "
                                                       "({}): {}",
                                                       report.check, report.error.message)});
    if (auto s = write_file_atomic(out, flat); !s) return fail(s.error());
  } catch (const json::exception& e) {
    return fail(
        make_error(TeeCode::kBadFormat, "{}: malformed manifest: {}", manifest_path, e.what()));
  }
  return kExitOk;
}

}  // namespace rproctee::cli
