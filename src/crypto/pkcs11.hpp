// Keys in a PKCS#11 token (an HSM, a smart card, SoftHSM) named by RFC 7512 URIs, e.g.
// "pkcs11:token=fw-signing;object=release-key;pin-source=file:/run/secrets/pin". The token's
// module (its .so) is loaded at run time; the private key never leaves the token: it signs the
// digest (CKM_RSA_PKCS over the SHA-256 DigestInfo, CKM_ECDSA over the SHA-256 digest), and
// each signature is checked with the key's public half before it is used.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "crypto/keys.hpp"
#include "crypto/signature.hpp"

namespace rproctee::crypto::pkcs11 {

/// True for "pkcs11:..." (a key named by URI rather than a file).
bool is_uri(std::string_view key);

/// The URI with any pin-value hidden, for messages.
std::string redacted(std::string_view uri);

struct Options {
  /// The module: --pkcs11-module; else the URI's module-path; else $PKCS11_MODULE.
  std::optional<std::string> module;
  /// Asked for the user PIN when the URI has neither pin-value nor pin-source and the token
  /// wants one (the argument names the token); nullopt: no way to ask.
  std::function<Result<std::string>(const std::string& token)> ask_pin;
};

/// The private key the URI names (one private-key object of one token), logged in and ready to
/// sign. Errors say which token, object or PIN was the problem, with the PKCS#11 code.
Result<std::shared_ptr<const SigningKey>> open_private_key(std::string_view uri,
                                                           const Options& options);

/// The public key the URI names: its public-key object, or for RSA the public half of its
/// private-key object (no PIN needed unless the token hides its objects).
Result<PublicKey> load_public_key(std::string_view uri, const Options& options);

}  // namespace rproctee::crypto::pkcs11
