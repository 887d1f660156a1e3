#include "cli/machine_options.hpp"

#include <fmt/format.h>

#include <iostream>

#include "cli/file_io.hpp"
#include "common/scope_guard.hpp"
#include "crypto/aes_cbc.hpp"
#include "crypto/secret_bytes.hpp"
#include "dt/presets.hpp"
#include "machine/client_limits.hpp"

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
               "Refuse to start with development settings: a published development key "
               "trusted, no key, coredump = \"full\", --gdb or --debug");
  app.add_option("--state-dir", a.state_dir,
                 "Where the secure world keeps its anti-rollback counters (default: in memory)")
      ->type_name("DIR");
  app.add_option("--core", a.core,
                 "Remote core model: emulated (the firmware runs on an emulated Cortex-M) or held "
                 "(hold-boot and reset only; no instruction runs)")
      ->check(CLI::IsMember({"emulated", "held"}))
      ->capture_default_str();
  app.add_option("--client-limits", a.client_limits,
                 [] {
                   // Spaces after the commas: the man page may break the line there.
                   std::string defaults = machine::format_client_limits({});
                   for (size_t at = 0; (at = defaults.find(',', at)) != std::string::npos; at += 2)
                     defaults.insert(at + 1, " ");
                   return "What TEE clients may hold: any subset of KEY=N,... (the defaults: " +
                          defaults + ")";
                 }())
      ->type_name("KEY=N,...");
  app.add_flag("--debug", a.debug,
               "Keep the machine dumpable (core dumps, ptrace): it holds key material, so by "
               "default it is not");
  app.add_option("--unmodelled", a.unmodelled,
                 "An access to a peripheral nothing models: fault (a bus fault: the core crashes "
                 "and the message names the peripheral) or ignore (reads as zero, writes are "
                 "dropped, one warning per peripheral)")
      ->check(CLI::IsMember({"fault", "ignore"}))
      ->capture_default_str();
  auto* gdb = app.add_option("--gdb", a.gdb_port,
                             "Serve the GDB remote protocol for each emulated core on "
                             "127.0.0.1: processor 0 on PORT, the next on PORT+1 (as QEMU's "
                             "-gdb tcp::PORT)")
                  ->type_name("PORT")
                  ->check(CLI::Range(1, 65535));
  app.add_flag("--gdb-wait", a.gdb_wait,
               "With --gdb: each start of a core halts at its reset vector until a debugger "
               "attaches and continues")
      ->needs(gdb);
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
    RPROCTEE_ASSIGN(auto key, read_regular_file(*a.enc_key, kMaxAesKeyFile, "AES key"));
    ScopeGuard cleanse([&key] { crypto::cleanse(key); });
    RPROCTEE_CHECK(crypto::check_aes_key(key, *a.enc_key));
    std::cerr << fmt::format("{}: warning: firmware decryption key from {}: development use only\n",
                             prog, *a.enc_key);
    RPROCTEE_ASSIGN(d.secure.aes_key, crypto::SecretBytes::copy_of(key));
  }
  if (a.production) {
    RPROCTEE_CHECK(platform::check_production(d));
    // Development aids that hand the secure world to whoever asks: TCP on 127.0.0.1 cannot
    // tell who connects, and a dumpable process gives its keys to ptrace and core files.
    if (a.gdb_port)
      return make_error(TeeCode::kSecurity,
                        "--gdb serves every memory of the cores, firewalled ones included, to any "
                        "local process that connects to 127.0.0.1:{}: refusing to start in "
                        "production mode",
                        *a.gdb_port);
    if (a.debug)
      return make_error(TeeCode::kSecurity,
                        "--debug leaves the machine's keys to core dumps and ptrace: refusing to "
                        "start in production mode");
  }
  for (const platform::SecureProcessor& s : d.secure.processors)
    if (s.coredump == platform::CoredumpPolicy::kFull)
      std::cerr << fmt::format(
          "{}: warning: processor id {} has coredump = \"full\": its core dumps hand the "
          "firewalled memories to the normal world: development use only\n",
          prog, s.id);
  return d;
}

}  // namespace rproctee::cli
