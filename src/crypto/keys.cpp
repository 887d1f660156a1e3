#include "crypto/keys.hpp"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "crypto/sha256.hpp"

namespace rproctee::crypto {

namespace {

using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, OsslDeleter<OSSL_DECODER_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free>>;

bool looks_encrypted(std::span<const uint8_t> data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find("ENCRYPTED") != std::string_view::npos;
}

// Refuses to prompt on a terminal when no passphrase was given.
int no_passphrase(char*, int, int, void*) { return -1; }

Result<PkeyPtr> decode(std::span<const uint8_t> data, int selection, std::string_view source,
                       const std::optional<std::string>& passphrase) {
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr ctx(OSSL_DECODER_CTX_new_for_pkey(&raw, nullptr, nullptr, nullptr, selection,
                                                  nullptr, nullptr));
  if (!ctx) return make_error(TeeCode::kOutOfMemory, "{}: cannot create a key decoder", source);
  if (passphrase) {
    OSSL_DECODER_CTX_set_passphrase(ctx.get(),
                                    reinterpret_cast<const unsigned char*>(passphrase->data()),
                                    passphrase->size());
  } else {
    OSSL_DECODER_CTX_set_pem_password_cb(ctx.get(), no_passphrase, nullptr);
  }
  const unsigned char* p = data.data();
  size_t len = data.size();
  if (OSSL_DECODER_from_data(ctx.get(), &p, &len) != 1 || raw == nullptr) {
    openssl_error();  // drop the decoder's noise; the message below says what to do
    if (looks_encrypted(data))
      return passphrase ? make_error(TeeCode::kBadParameters,
                                     "{}: cannot decrypt the key: wrong passphrase", source)
                        : make_error(TeeCode::kBadParameters,
                                     "{}: the key is encrypted: give its passphrase (--key_pwd)",
                                     source);
    return make_error(TeeCode::kBadFormat, "{}: not a PEM or DER {} key", source,
                      selection == EVP_PKEY_PUBLIC_KEY ? "public" : "private");
  }
  return PkeyPtr(raw);
}

}  // namespace

std::string_view key_algorithm_name(KeyAlgorithm alg) {
  return alg == KeyAlgorithm::kRsa ? "RSA" : "ECDSA P-256";
}

Result<std::vector<uint8_t>> read_small_file(const std::string& path, size_t max_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(TeeCode::kItemNotFound, "cannot open {}: {}", path, std::strerror(errno));
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() > max_size)
    return make_error(TeeCode::kBadParameters, "{} is {} bytes, more than the {}-byte limit", path,
                      data.size(), max_size);
  return data;
}

Result<PublicKey> PublicKey::from_pkey(SharedPkey key, std::string_view source) {
  PublicKey k;
  k.key_ = std::move(key);
  EVP_PKEY* p = k.key_.get();
  switch (EVP_PKEY_get_base_id(p)) {
    case EVP_PKEY_RSA:
      k.alg_ = KeyAlgorithm::kRsa;
      k.bits_ = static_cast<uint32_t>(EVP_PKEY_get_bits(p));
      break;
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t glen = 0;
      EVP_PKEY_get_utf8_string_param(p, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen);
      if (std::string_view(group) != "prime256v1")
        return make_error(TeeCode::kNotSupported,
                          "{}: EC key on curve {}: only P-256 (prime256v1) is supported", source,
                          glen ? group : "(unnamed)");
      PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, p, nullptr));
      if (!ctx || EVP_PKEY_public_check(ctx.get()) != 1) {
        openssl_error();
        return make_error(TeeCode::kBadFormat, "{}: the EC public point is not valid on P-256",
                          source);
      }
      k.alg_ = KeyAlgorithm::kEcdsaP256;
      k.bits_ = 256;
      break;
    }
    default:
      return make_error(TeeCode::kNotSupported, "{}: {} keys are not supported (RSA or P-256)",
                        source, EVP_PKEY_get0_type_name(p) ? EVP_PKEY_get0_type_name(p) : "this");
  }
  k.fingerprint_ = to_hex(Sha256::of(k.spki_der()));
  return k;
}

Result<PublicKey> PublicKey::from_bytes(std::span<const uint8_t> data, std::string_view source) {
  auto pub = decode(data, EVP_PKEY_PUBLIC_KEY, source, std::nullopt);
  if (!pub) {
    // A private key file also carries the public key.
    auto priv = decode(data, EVP_PKEY_KEYPAIR, source, std::nullopt);
    if (!priv) return std::move(pub).error();
    pub = std::move(priv);
  }
  return from_pkey(share(std::move(*pub)), source);
}

Result<PublicKey> PublicKey::load_file(const std::string& path) {
  RPROCTEE_ASSIGN(auto data, read_small_file(path, 1 << 20));
  return from_bytes(data, path);
}

size_t PublicKey::signature_size() const {
  return alg_ == KeyAlgorithm::kRsa ? (bits_ + 7) / 8 : 64;
}

std::string PublicKey::describe() const {
  return alg_ == KeyAlgorithm::kRsa ? fmt::format("RSA-{}", bits_) : "ECDSA P-256";
}

std::vector<uint8_t> PublicKey::spki_der() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_.get(), &der);
  if (len <= 0) return {};
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::string PublicKey::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::pair<std::vector<uint8_t>, std::vector<uint8_t>> PublicKey::components() const {
  auto get = [&](const char* name, int pad) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), name, &bn);
    BignumPtr owned(bn);
    const int n = pad ? pad : BN_num_bytes(bn);
    std::vector<uint8_t> out(static_cast<size_t>(n));
    BN_bn2binpad(bn, out.data(), n);
    return out;
  };
  if (alg_ == KeyAlgorithm::kRsa)
    return {get(OSSL_PKEY_PARAM_RSA_N, 0), get(OSSL_PKEY_PARAM_RSA_E, 0)};
  return {get(OSSL_PKEY_PARAM_EC_PUB_X, 32), get(OSSL_PKEY_PARAM_EC_PUB_Y, 32)};
}

Result<PrivateKey> PrivateKey::from_bytes(std::span<const uint8_t> data, std::string_view source,
                                          const std::optional<std::string>& passphrase) {
  RPROCTEE_ASSIGN(auto key, decode(data, EVP_PKEY_KEYPAIR, source, passphrase));
  PrivateKey k;
  k.key_ = share(std::move(key));
  RPROCTEE_ASSIGN(k.public_, PublicKey::from_pkey(k.key_, source));
  return k;
}

Result<PrivateKey> PrivateKey::load_file(const std::string& path,
                                         const std::optional<std::string>& passphrase) {
  RPROCTEE_ASSIGN(auto data, read_small_file(path, 1 << 20));
  return from_bytes(data, path, passphrase);
}

Result<PrivateKey> PrivateKey::generate(KeySpec spec) {
  EVP_PKEY* raw = nullptr;
  switch (spec) {
    case KeySpec::kRsa2048: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}); break;
    case KeySpec::kRsa3072: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072}); break;
    case KeySpec::kRsa4096: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096}); break;
    case KeySpec::kP256: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
  }
  if (!raw) return make_error(TeeCode::kGeneric, "key generation failed: {}", openssl_error());
  PrivateKey k;
  k.key_ = share(PkeyPtr(raw));
  RPROCTEE_ASSIGN(k.public_, PublicKey::from_pkey(k.key_, "generated key"));
  return k;
}

std::string PrivateKey::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace rproctee::crypto
