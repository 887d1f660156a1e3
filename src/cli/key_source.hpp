// Where `sign`, `digest`, `stitch` and `pubkey` take a key from: a file (PEM or DER), or a key
// in a PKCS#11 token named by an RFC 7512 URI ("pkcs11:token=...;object=...", see
// crypto/pkcs11.hpp). The token's module is --pkcs11-module, the URI's module-path, or
// $PKCS11_MODULE; a PIN the URI does not give (pin-value, pin-source) is asked on the terminal.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "common/result.hpp"
#include "crypto/keys.hpp"
#include "crypto/signature.hpp"

namespace rproctee::cli {

/// --key's check: an existing file or a pkcs11: URI.
CLI::Validator key_file_or_uri();

/// Adds --pkcs11-module PATH.
void add_pkcs11_module_option(CLI::App& app, std::optional<std::string>& module);

/// A signer for a private key file (with its passphrase) or a token's private key.
Result<crypto::Signer> load_signer(const std::string& key,
                                   const std::optional<std::string>& key_pwd,
                                   const std::optional<std::string>& module);

/// A public key from a file (public or private key) or a token.
Result<crypto::PublicKey> load_public_key(const std::string& key,
                                          const std::optional<std::string>& module);

/// Asks for a token's PIN on the controlling terminal, without echo. ACCESS_DENIED when there
/// is no terminal to ask on.
Result<std::string> ask_pin_on_terminal(const std::string& token);

}  // namespace rproctee::cli
