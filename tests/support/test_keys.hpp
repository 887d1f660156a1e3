// Key pairs for tests and fuzz targets: the test keys of tests/data/vectors/keys, any private
// key file, and a fresh key provisioned nowhere (the attacker's).
#pragma once

#include <filesystem>
#include <string>

#include "crypto/keys.hpp"
#include "crypto/signature.hpp"

namespace rproctee::test {

/// A private key with its signer and the verifier of its public key.
struct TestKey {
  crypto::PrivateKey priv;
  crypto::Signer signer;
  crypto::Verifier verifier;
};

/// The signer and verifier of `priv` (throws std::runtime_error when unusable).
TestKey key_pair(const crypto::PrivateKey& priv);

/// A key pair from a PEM/DER private key file without a password (throws when unreadable).
TestKey load_key_pair(const std::filesystem::path& path);

/// A test key pair from tests/data/vectors/keys ("rsa2048", "rsa3072", "rsa4096", "p256",
/// "optee_default"), loaded once.
const TestKey& test_key(const std::string& name);

/// A P-256 key pair generated once per process and provisioned nowhere: the attacker's key.
const TestKey& attacker_p256();

}  // namespace rproctee::test
