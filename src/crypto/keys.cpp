#include "crypto/keys.hpp"

#include "common/file_input.hpp"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
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
int no_passphrase(char*, int, int, void*) {
  return -1;
}

// What the bytes say about themselves, to narrow OpenSSL's decoder search. Without a key type,
// OSSL_DECODER_CTX_new_for_pkey chains the decoders of every key type the providers know (the
// input type and structure hardly change its cost); with one, only that type's decoders.
struct DecodeHint {
  const char* input_type = nullptr;  // "PEM" or "DER"
  const char* key_type = nullptr;    // "RSA" or "EC"; nullptr: unknown, no narrowing
};

// The key type named by the AlgorithmIdentifier at the start of a PKCS#8 PrivateKeyInfo or a
// SubjectPublicKeyInfo (within its first 32 bytes). Only a hint: a wrong guess costs a retry.
const char* key_type_of_der(std::span<const uint8_t> der) {
  static constexpr uint8_t kRsaEncryption[] = {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                               0xF7, 0x0D, 0x01, 0x01, 0x01};
  static constexpr uint8_t kIdEcPublicKey[] = {0x06, 0x07, 0x2A, 0x86, 0x48,
                                               0xCE, 0x3D, 0x02, 0x01};
  const auto head = der.first(std::min<size_t>(der.size(), 32));
  const auto contains = [&](std::span<const uint8_t> oid) {
    return std::search(head.begin(), head.end(), oid.begin(), oid.end()) != head.end();
  };
  if (contains(kRsaEncryption)) return "RSA";
  if (contains(kIdEcPublicKey)) return "EC";
  return nullptr;
}

// The first bytes of a PEM block's DER (its base64 body up to the first header or blank line
// is enough for the AlgorithmIdentifier).
std::vector<uint8_t> pem_body_head(std::string_view body) {
  std::string b64;
  for (const char c : body) {
    if (c == '-' || c == ':') break;  // end line, or a header (encrypted PEM): no hint
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64 += c;
    if (b64.size() == 64) break;  // 48 bytes of DER
  }
  b64.resize(b64.size() / 4 * 4);
  std::vector<uint8_t> der(b64.size() / 4 * 3);
  const int n = EVP_DecodeBlock(der.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  der.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return der;
}

DecodeHint decode_hint(std::span<const uint8_t> data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  static constexpr std::string_view kBegin = "-----BEGIN ";
  const size_t begin = text.find(kBegin);
  if (begin == std::string_view::npos) return {"DER", key_type_of_der(data)};
  const size_t label_start = begin + kBegin.size();
  const size_t label_end = text.find("-----", label_start);
  if (label_end == std::string_view::npos) return {"PEM", nullptr};
  const std::string_view label = text.substr(label_start, label_end - label_start);
  if (label == "RSA PRIVATE KEY" || label == "RSA PUBLIC KEY") return {"PEM", "RSA"};
  if (label == "EC PRIVATE KEY") return {"PEM", "EC"};
  if (label == "PRIVATE KEY" || label == "PUBLIC KEY")
    return {"PEM", key_type_of_der(pem_body_head(text.substr(label_end + 5)))};
  return {"PEM", nullptr};  // ENCRYPTED PRIVATE KEY (type known after decryption), others
}

// Appends a DER TLV (definite length, short or long form).
void der_append(std::vector<uint8_t>& out, uint8_t tag, std::span<const uint8_t> content) {
  out.push_back(tag);
  size_t len = content.size();
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
  } else {
    uint8_t octets[sizeof(size_t)];
    size_t n = 0;
    for (; len != 0; len >>= 8) octets[n++] = static_cast<uint8_t>(len);
    out.push_back(static_cast<uint8_t>(0x80 | n));
    while (n != 0) out.push_back(octets[--n]);
  }
  out.insert(out.end(), content.begin(), content.end());
}

// A non-negative BIGNUM parameter of the key as a DER INTEGER.
std::optional<std::vector<uint8_t>> der_integer_param(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return std::nullopt;
  BignumPtr bn(raw);
  if (BN_is_negative(bn.get())) return std::nullopt;
  // Big-endian magnitude with a leading zero when the top bit is set (and "00" for zero).
  std::vector<uint8_t> magnitude(static_cast<size_t>(BN_num_bytes(bn.get())) + 1, 0);
  BN_bn2bin(bn.get(), magnitude.data() + 1);
  const bool pad = magnitude.size() == 1 || (magnitude[1] & 0x80) != 0;
  std::vector<uint8_t> out;
  der_append(out, 0x02, std::span(magnitude).subspan(pad ? 0 : 1));
  return out;
}

// DER encoding of a SubjectPublicKeyInfo, byte for byte what i2d_PUBKEY writes, for the two
// forms this project accepts: RSA (rsaEncryption, NULL parameters) and P-256 with a named
// curve and an uncompressed point. Anything else (nullopt) goes through i2d_PUBKEY.
std::optional<std::vector<uint8_t>> spki_der_direct(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    static constexpr uint8_t kRsaAlgorithm[] = {0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                                0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00};
    auto n = der_integer_param(key, OSSL_PKEY_PARAM_RSA_N);
    auto e = der_integer_param(key, OSSL_PKEY_PARAM_RSA_E);
    if (!n || !e) return std::nullopt;
    std::vector<uint8_t> integers = std::move(*n);
    integers.insert(integers.end(), e->begin(), e->end());
    std::vector<uint8_t> bits{0x00};  // no unused bits
    der_append(bits, 0x30, integers);
    std::vector<uint8_t> body(std::begin(kRsaAlgorithm), std::end(kRsaAlgorithm));
    der_append(body, 0x03, bits);
    std::vector<uint8_t> out;
    der_append(out, 0x30, body);
    return out;
  }
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    static constexpr uint8_t kP256Prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48,
                                              0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48,
                                              0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
    const auto text_param = [&](const char* name) {
      char value[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(key, name, value, sizeof value, &len) != 1)
        return std::string();
      return std::string(value, len);
    };
    if (text_param(OSSL_PKEY_PARAM_GROUP_NAME) != "prime256v1" ||
        text_param(OSSL_PKEY_PARAM_EC_ENCODING) != OSSL_PKEY_EC_ENCODING_GROUP ||
        text_param(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT) !=
            OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED)
      return std::nullopt;
    uint8_t point[65] = {};  // 0x04 || X || Y
    size_t len = 0;
    const int got =
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    if (got != 1 || len != sizeof point || point[0] != 0x04) return std::nullopt;
    std::vector<uint8_t> out(std::begin(kP256Prefix), std::end(kP256Prefix));
    out.insert(out.end(), std::begin(point), std::end(point));
    return out;
  }
  return std::nullopt;
}

enum class DecodeOutcome { kDecoded, kNoDecoder, kFailed };

DecodeOutcome decode_with(std::span<const uint8_t> data, const DecodeHint& hint, int selection,
                          const std::optional<std::string>& passphrase, PkeyPtr& out) {
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr ctx(OSSL_DECODER_CTX_new_for_pkey(&raw, hint.input_type, nullptr, hint.key_type,
                                                  selection, nullptr, nullptr));
  if (!ctx) return DecodeOutcome::kNoDecoder;
  if (passphrase) {
    OSSL_DECODER_CTX_set_passphrase(
        ctx.get(), reinterpret_cast<const unsigned char*>(passphrase->data()), passphrase->size());
  } else {
    OSSL_DECODER_CTX_set_pem_password_cb(ctx.get(), no_passphrase, nullptr);
  }
  const unsigned char* p = data.data();
  size_t len = data.size();
  const bool ok = OSSL_DECODER_from_data(ctx.get(), &p, &len) == 1 && raw != nullptr;
  out.reset(raw);
  return ok ? DecodeOutcome::kDecoded : DecodeOutcome::kFailed;
}

Result<PkeyPtr> decode(std::span<const uint8_t> data, int selection, std::string_view source,
                       const std::optional<std::string>& passphrase) {
  PkeyPtr key;
  // Fast path: only the decoders of the key type the input names. Any failure falls back to
  // the search over every decoder, so the accepted inputs and the errors stay those of the
  // full search.
  if (const DecodeHint hint = decode_hint(data); hint.key_type != nullptr) {
    if (decode_with(data, hint, selection, passphrase, key) == DecodeOutcome::kDecoded) return key;
    openssl_error();
  }
  switch (decode_with(data, DecodeHint{}, selection, passphrase, key)) {
    case DecodeOutcome::kDecoded:
      return key;
    case DecodeOutcome::kNoDecoder:
      return make_error(TeeCode::kOutOfMemory, "{}: cannot create a key decoder", source);
    case DecodeOutcome::kFailed:
      break;
  }
  openssl_error();  // drop the decoder's noise; the message below says what to do
  if (looks_encrypted(data))
    return passphrase
               ? make_error(TeeCode::kBadParameters, "{}: cannot decrypt the key: wrong passphrase",
                            source)
               : make_error(TeeCode::kBadParameters,
                            "{}: the key is encrypted: give its passphrase (--key_pwd)", source);
  return make_error(TeeCode::kBadFormat, "{}: not a PEM or DER {} key", source,
                    selection == EVP_PKEY_PUBLIC_KEY ? "public" : "private");
}

}  // namespace

std::string_view key_algorithm_name(KeyAlgorithm alg) {
  return alg == KeyAlgorithm::kRsa ? "RSA" : "ECDSA P-256";
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
  RPROCTEE_ASSIGN(auto data, read_regular_file(path, kMaxKeyFile, "key file"));
  return from_bytes(data, path);
}

size_t PublicKey::signature_size() const {
  return alg_ == KeyAlgorithm::kRsa ? (bits_ + 7) / 8 : 64;
}

std::string PublicKey::describe() const {
  return alg_ == KeyAlgorithm::kRsa ? fmt::format("RSA-{}", bits_) : "ECDSA P-256";
}

std::vector<uint8_t> PublicKey::spki_der() const {
  // The common forms are encoded here: i2d_PUBKEY sets up OpenSSL's encoder search (several
  // million instructions), which made the fingerprint a third of the cost of loading a key.
  if (auto der = spki_der_direct(key_.get())) return *std::move(der);
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
  RPROCTEE_ASSIGN(auto data, read_regular_file(path, kMaxKeyFile, "key file"));
  return from_bytes(data, path, passphrase);
}

Result<PrivateKey> PrivateKey::generate(KeySpec spec) {
  EVP_PKEY* raw = nullptr;
  switch (spec) {
    case KeySpec::kRsa2048:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeySpec::kRsa3072:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072});
      break;
    case KeySpec::kRsa4096:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
      break;
    case KeySpec::kP256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
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
