// `rproctee verify`: replays every check of the trusted application that needs no platform.
// Exit 0 authentic, 1 not authentic or malformed, 2 usage.
#include <iostream>

#include "cli/command.hpp"
#include "cli/file_io.hpp"
#include "cli/render.hpp"
#include "crypto/sha256.hpp"
#include "image/verify.hpp"

namespace rproctee::cli {

namespace {

std::string_view digest_text(image::DigestStatus s) {
  switch (s) {
    case image::DigestStatus::kMatch:
      return "ok";
    case image::DigestStatus::kMismatch:
      return "MISMATCH";
    case image::DigestStatus::kNotChecked:
      return "not checked";
  }
  return "";
}

json segment_json(const image::SegmentReport& s, size_t index) {
  json j = phdr_json(s.phdr);
  j.update({{"index", index},
            {"address", s.phdr.paddr},
            {"size", s.phdr.memsz},
            {"digest", digest_text(s.digest)},
            {"encrypted", s.encrypted},
            {"decrypted", s.decrypted}});
  return j;
}

json image_json(const image::ImageReport& img, size_t index) {
  json segs = json::array();
  for (size_t i = 0; i < img.segments.size(); ++i) segs.push_back(segment_json(img.segments[i], i));
  const auto& rsc = img.rsc_location;
  json table = rsc && img.rsc_table ? rsc_table_json(*img.rsc_table) : json(nullptr);
  return {{"index", index + 1},
          {"type", image::image_type_name(img.type)},
          {"size", img.size},
          {"entry", or_null(img.entry)},
          {"segments", segs},
          {"resource_table",
           {{"present", rsc.has_value()},
            {"address", rsc ? json(rsc->address) : json(nullptr)},
            {"size", rsc ? json(rsc->size) : json(nullptr)},
            {"encrypted", rsc ? json(img.rsc_encrypted) : json(nullptr)},
            {"table", table}}}};
}

/// Schema 1: every key is always present (null where verification stopped before it).
json report_json(const std::string& path, const image::VerifyReport& r,
                 const std::vector<std::string>& key_paths, const image::VerifyOptions& opts) {
  json j = {{"schema", kJsonSchema},   {"file", path},         {"authentic", r.authentic()},
            {"check", r.check},        {"key", nullptr},       {"sign_type", nullptr},
            {"encrypted", nullptr},    {"boot_addr", nullptr}, {"boot_sec", nullptr},
            {"platform_tlvs", nullptr}};
  j.update(error_json(r.error));
  if (r.key_index) {
    const auto& key = opts.keys[*r.key_index].key();
    j["key"] = {{"path", key_paths[*r.key_index]},
                {"fingerprint", key.fingerprint()},
                {"algorithm", key.describe()}};
  }
  if (r.tlvs) {
    j["sign_type"] = image::sign_type_name(r.tlvs->sign_type);
    j["encrypted"] = r.tlvs->encrypted;
    j["boot_addr"] = or_null(r.tlvs->boot_addr);
    j["boot_sec"] = or_null(r.tlvs->boot_sec);
    json plat = json::array();
    for (const auto& t : r.tlvs->platform) plat.push_back(tlv_json(t));
    j["platform_tlvs"] = plat;
  }
  json images = json::array();
  for (size_t i = 0; i < r.images.size(); ++i) images.push_back(image_json(r.images[i], i));
  j["images"] = images;
  return j;
}

void print_report(const std::string& path, const image::VerifyReport& r,
                  const std::vector<std::string>& key_paths, const image::VerifyOptions& opts) {
  std::cout << fmt::format("{}: {}\n", path, r.authentic() ? "AUTHENTIC" : "NOT AUTHENTIC");
  if (r.key_index) {
    const auto& key = opts.keys[*r.key_index].key();
    std::cout << fmt::format("  key: {} {} ({})\n", key.describe(), key.fingerprint(),
                             key_paths[*r.key_index]);
  }
  if (r.tlvs && r.tlvs->boot_addr)
    std::cout << fmt::format("  BOOTADDR: {}\n", hex32(*r.tlvs->boot_addr));
  if (r.tlvs && r.tlvs->boot_sec) std::cout << fmt::format("  BOOTSEC: {}\n", *r.tlvs->boot_sec);
  for (size_t i = 0; i < r.images.size(); ++i) {
    const auto& img = r.images[i];
    std::cout << fmt::format("  image {}: {}, {} bytes{}\n", i + 1,
                             image::image_type_name(img.type), img.size,
                             img.entry ? ", entry " + hex32(*img.entry) : "");
    for (const auto& s : img.segments)
      std::cout << fmt::format("    {:<9} paddr {} filesz {:#08x} memsz {:#08x} {}  digest {}{}\n",
                               image::phdr_type_name(s.phdr.type), hex32(s.phdr.paddr),
                               s.phdr.filesz, s.phdr.memsz, image::phdr_flags_string(s.phdr.flags),
                               digest_text(s.digest),
                               s.decrypted   ? " (decrypted)"
                               : s.encrypted ? " (encrypted)"
                                             : "");
    if (img.rsc_location) {
      std::cout << fmt::format("    resource table at {} ({:#x} bytes){}\n",
                               hex32(img.rsc_location->address), img.rsc_location->size,
                               img.rsc_encrypted ? ": encrypted, give --enc_key to check it" : "");
      if (img.rsc_table)
        for (const auto& line : rsc_entry_lines(*img.rsc_table))
          std::cout << "      " << line << "\n";
    }
  }
  if (!r.authentic()) {
    std::cout << fmt::format("  failed check: {}\n  reason: {}\n  the TA would return {} ({})\n",
                             r.check, r.error.message, tee_code_name(r.error.code),
                             tee_code_hex(r.error.code));
  }
}

}  // namespace

int verify_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Verify a signed remote-processor image offline: header, signature with the given "
      "key(s), TLVs, every ELF, the program headers against the signed table, every "
      "segment digest, BOOTADDR and the resource table, as the trusted application "
      "does. Exit 0 authentic, 1 not authentic or malformed, 2 usage.",
      prog);
  std::string path;
  std::vector<std::string> key_paths;
  std::optional<std::string> enc_key;
  bool as_json = false;
  app.add_option("image", path, "Signed image")->required()->check(CLI::ExistingFile);
  app.add_option("--key", key_paths, "Trusted public key, PEM or DER (any may match)")
      ->required()
      ->check(CLI::ExistingFile)
      ->type_name("PUB");
  app.add_option("--enc_key,--enc-key", enc_key,
                 "Raw AES key: decrypt ENC_ELF segments after their digest and check the "
                 "plaintext resource table")
      ->check(CLI::ExistingFile)
      ->type_name("FILE");
  app.add_flag("--json", as_json, "Print the result as JSON on stdout");
  if (auto code = parse_args(app, std::move(argv))) return *code;

  image::VerifyOptions opts;
  for (const auto& kp : key_paths) {
    auto key = crypto::PublicKey::load_file(kp);
    if (!key) return print_error(prog, key.error()), kExitFailure;
    auto verifier = crypto::Verifier::create(*std::move(key));
    if (!verifier) return print_error(prog, std::move(verifier).error().context(kp)), kExitFailure;
    opts.keys.push_back(*std::move(verifier));
  }
  if (enc_key) {
    auto aes = read_file(*enc_key, kMaxAesKeyFile);
    if (!aes) return print_error(prog, aes.error()), kExitFailure;
    opts.aes_key = *std::move(aes);
  }
  auto file = map_regular_file(path, kMaxImageFile);
  if (!file) return print_error(prog, file.error()), kExitFailure;

  const image::VerifyReport report = image::verify_signed_image(*file, opts);
  if (as_json) {
    std::cout << report_json(path, report, key_paths, opts).dump(2) << "\n";
  } else {
    print_report(path, report, key_paths, opts);
  }
  return report.authentic() ? kExitOk : kExitFailure;
}

}  // namespace rproctee::cli
