#include "cli/machine_options.hpp"

#include <fmt/format.h>

#include <iostream>

#include "cli/file_io.hpp"
#include "crypto/aes_cbc.hpp"
#include "dt/presets.hpp"

namespace rproctee::cli {

void add_machine_options(CLI::App& app, MachineArgs& a) {
  std::string names;
  for (const auto& p : dt::presets())
    names += fmt::format("{}{}", names.empty() ? "" : ", ", p.name);
  app.add_option("--platform", a.platform, "Platform preset: " + names)->capture_default_str();
  app.add_option("--dtb", a.dtb, "Your own platform description (.dtb, or .dts compiled with dtc)")
      ->check(CLI::ExistingFile)
      ->excludes(app.get_option("--platform"));
  app.add_option("--trust", a.trust,
                 "Also trust this public key (development and CI; warns on stderr)")
      ->check(CLI::ExistingFile)
      ->type_name("PUB.pem");
  app.add_option("--enc-key,--enc_key", a.enc_key,
                 "AES key for encrypted firmware (development and CI; warns on stderr)")
      ->check(CLI::ExistingFile)
      ->type_name("FILE");
  app.add_flag("--production", a.production,
               "Refuse to start when a published development key is trusted");
  app.add_option("--state-dir", a.state_dir,
                 "Where the secure world keeps its anti-rollback counters (default: in memory)")
      ->type_name("DIR");
  app.add_option("--core", a.core,
                 "Remote core model: emulated (the firmware runs on an emulated Cortex-M) or held "
                 "(hold-boot and reset only; no instruction runs)")
      ->check(CLI::IsMember({"emulated", "held"}))
      ->capture_default_str();
}

Result<platform::Description> load_machine_description(const MachineArgs& a,
                                                       std::string_view prog) {
  RPROCTEE_ASSIGN(
      auto d, a.dtb ? platform::load_device_tree_file(*a.dtb) : platform::load_preset(a.platform));
  for (const std::string& path : a.trust) {
    RPROCTEE_ASSIGN(auto key, crypto::PublicKey::load_file(path));
    std::cerr << fmt::format(
        "{}: warning: trusting {} ({} {}) from the command line: development use only\n", prog,
        path, key.describe(), key.fingerprint().substr(0, 16));
    RPROCTEE_CHECK(platform::trust_key(d.secure, std::move(key), path));
  }
  if (a.enc_key) {
    RPROCTEE_ASSIGN(auto key, read_file(*a.enc_key));
    RPROCTEE_CHECK(crypto::check_aes_key(key, *a.enc_key));
    std::cerr << fmt::format("{}: warning: firmware decryption key from {}: development use only\n",
                             prog, *a.enc_key);
    d.secure.aes_key = std::move(key);
  }
  if (a.production) RPROCTEE_CHECK(platform::check_production(d));
  return d;
}

}  // namespace rproctee::cli
