#include "support/test_keys.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "support/test_data.hpp"

namespace rproctee::test {

TestKey key_pair(const crypto::PrivateKey& priv) {
  auto signer = crypto::Signer::create(priv);
  auto verifier = crypto::Verifier::create(priv.public_key());
  if (!signer) throw std::runtime_error("test key unusable: " + signer.error().message);
  if (!verifier) throw std::runtime_error("test key unusable: " + verifier.error().message);
  return TestKey{priv, *signer, *verifier};
}

TestKey load_key_pair(const std::filesystem::path& path) {
  auto priv = crypto::PrivateKey::load_file(path.string(), std::nullopt);
  if (!priv) throw std::runtime_error(priv.error().message);
  return key_pair(*priv);
}

const TestKey& test_key(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<TestKey>> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[name];
  if (!slot)
    slot = std::make_unique<TestKey>(load_key_pair(vectors_dir() / "keys" / (name + ".pem")));
  return *slot;
}

const TestKey& attacker_p256() {
  static const TestKey key = [] {
    auto priv = crypto::PrivateKey::generate(crypto::KeySpec::kP256);
    if (!priv) throw std::runtime_error(priv.error().message);
    return key_pair(*priv);
  }();
  return key;
}

}  // namespace rproctee::test
