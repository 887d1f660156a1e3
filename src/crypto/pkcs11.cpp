#include "crypto/pkcs11.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "common/file_input.hpp"
#include "crypto/ecdsa_p256.hpp"
#include "crypto/p11_kit_library.hpp"
#include "crypto/pkcs11_module.hpp"
#include "crypto/rsa_pkcs1.hpp"

namespace rproctee::crypto::pkcs11 {

namespace {

/// DER of the P-256 curve's OID (CKA_EC_PARAMS of a P-256 key).
constexpr uint8_t kP256Oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

/// A parsed RFC 7512 URI (p11-kit's parser), freed with the object.
class Uri {
 public:
  static Result<Uri> parse(std::string_view text) {
    RPROCTEE_ASSIGN(const P11KitLibrary* lib, p11_kit_library());
    Uri uri;
    uri.lib_ = lib;
    uri.text_ = redacted(text);
    uri.uri_ = lib->uri_new();
    const int r = lib->uri_parse(std::string(text).c_str(), P11_KIT_URI_FOR_ANY, uri.uri_);
    if (r != P11_KIT_URI_OK)
      return make_error(TeeCode::kBadParameters, "{} is not a PKCS#11 URI (RFC 7512): {}",
                        uri.text_, lib->uri_message(r));
    return uri;
  }
  Uri() = default;
  Uri(Uri&& other) noexcept
      : lib_(other.lib_), uri_(std::exchange(other.uri_, nullptr)), text_(other.text_) {}
  Uri& operator=(Uri&&) = delete;
  ~Uri() {
    if (uri_) lib_->uri_free(uri_);
  }

  const std::string& text() const { return text_; }
  const char* pin_value() const { return lib_->uri_get_pin_value(uri_); }
  const char* pin_source() const { return lib_->uri_get_pin_source(uri_); }
  const char* module_path() const { return lib_->uri_get_module_path(uri_); }
  bool matches(const CK_TOKEN_INFO& token) const {
    return lib_->uri_match_token_info(uri_, &token) != 0;
  }
  /// The object attributes the URI names (object=, id=, type=).
  std::vector<CK_ATTRIBUTE> attributes() const {
    CK_ULONG n = 0;
    CK_ATTRIBUTE* a = lib_->uri_get_attributes(uri_, &n);
    return {a, a + n};
  }
  std::optional<CK_OBJECT_CLASS> object_class() const {
    for (const CK_ATTRIBUTE& a : attributes())
      if (a.type == CKA_CLASS && a.ulValueLen == sizeof(CK_OBJECT_CLASS))
        return *static_cast<const CK_OBJECT_CLASS*>(a.pValue);
    return std::nullopt;
  }

 private:
  const P11KitLibrary* lib_ = nullptr;
  P11KitUri* uri_ = nullptr;
  std::string text_;
};

/// The token's label (PKCS#11 pads it with spaces).
std::string token_label(const CK_TOKEN_INFO& info) {
  std::string label(reinterpret_cast<const char*>(info.label), sizeof info.label);
  while (!label.empty() && label.back() == ' ') label.pop_back();
  return label;
}

struct Token {
  CK_SLOT_ID slot = 0;
  CK_TOKEN_INFO info{};
};

/// The one token of the module the URI matches.
Result<Token> find_token(const Module& module, const Uri& uri) {
  RPROCTEE_ASSIGN(const auto slots, module.slots());
  std::vector<Token> matching;
  std::string seen;
  for (CK_SLOT_ID slot : slots) {
    Token t{slot, {}};
    if (module.functions()->C_GetTokenInfo(slot, &t.info) != CKR_OK) continue;
    if (!(t.info.flags & CKF_TOKEN_INITIALIZED)) continue;  // SoftHSM's spare slot
    seen += (seen.empty() ? "" : ", ") + token_label(t.info);
    if (uri.matches(t.info)) matching.push_back(t);
  }
  if (matching.empty())
    return make_error(TeeCode::kItemNotFound, "no token of {} matches {} (tokens: {})",
                      module.path(), uri.text(), seen.empty() ? "none" : seen);
  if (matching.size() > 1)
    return make_error(TeeCode::kBadParameters,
                      "{} matches {} tokens of {} ({}): name one with token=", uri.text(),
                      matching.size(), module.path(), seen);
  return matching.front();
}

/// RFC 7512 pin-source: a file (a path or a file: URI) holding the PIN.
Result<std::string> read_pin_source(const std::string& source) {
  std::string path = source;
  if (path.starts_with("file://"))
    path = path.substr(7);
  else if (path.starts_with("file:"))
    path = path.substr(5);
  else if (path.find(':') != std::string::npos && path.front() != '/')
    return make_error(TeeCode::kBadParameters,
                      "pin-source {} is neither a file path nor a file: URI", source);
  RPROCTEE_ASSIGN(auto bytes, read_regular_file(path, kMaxPinFile, "PIN file"));
  std::string pin(bytes.begin(), bytes.end());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
  return pin;
}

/// Logs in when the token wants it, with the PIN from the URI, its pin-source, or the user.
Status log_in(Session& session, const Token& token, const Uri& uri, const Options& options) {
  if (!(token.info.flags & CKF_LOGIN_REQUIRED)) return {};
  std::string pin;
  if (const char* value = uri.pin_value()) {
    pin = value;
  } else if (const char* source = uri.pin_source()) {
    RPROCTEE_ASSIGN(pin, read_pin_source(source));
  } else if (!(token.info.flags & CKF_PROTECTED_AUTHENTICATION_PATH)) {
    if (!options.ask_pin)
      return make_error(TeeCode::kAccessDenied,
                        "token {} needs a PIN: add pin-value or pin-source to {}",
                        token_label(token.info), uri.text());
    RPROCTEE_ASSIGN(pin, options.ask_pin(token_label(token.info)));
  }
  Status s = session.login(pin, (token.info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0);
  OPENSSL_cleanse(pin.data(), pin.size());
  if (!s) return std::move(s).error().context(fmt::format("token {}", token_label(token.info)));
  return {};
}

/// The one object of class `cls` the URI names.
Result<CK_OBJECT_HANDLE> find_object(Session& session, const Uri& uri, CK_OBJECT_CLASS cls,
                                     const Token& token) {
  std::vector<CK_ATTRIBUTE> match;
  for (const CK_ATTRIBUTE& a : uri.attributes())
    if (a.type != CKA_CLASS) match.push_back(a);
  match.push_back({CKA_CLASS, &cls, sizeof cls});
  RPROCTEE_ASSIGN(const auto found, session.find(match));
  const char* kind = cls == CKO_PRIVATE_KEY ? "private key" : "public key";
  if (found.empty())
    return make_error(TeeCode::kItemNotFound, "token {} has no {} matching {}",
                      token_label(token.info), kind, uri.text());
  if (found.size() > 1)
    return make_error(TeeCode::kBadParameters,
                      "{} {}s of token {} match {}: name one with object= or id=", found.size(),
                      kind, token_label(token.info), uri.text());
  return found.front();
}

/// An attribute that must be there.
Result<std::vector<uint8_t>> required(Session& session, CK_OBJECT_HANDLE object,
                                      CK_ATTRIBUTE_TYPE type, std::string_view name) {
  RPROCTEE_ASSIGN(auto value, session.attribute(object, type));
  if (!value || value->empty())
    return make_error(TeeCode::kBadFormat, "the key object has no readable {}", name);
  return *std::move(value);
}

using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;

/// A public key from its components, through its SubjectPublicKeyInfo.
Result<PublicKey> public_key_from(const char* type, OSSL_PARAM_BLD* bld, const std::string& uri) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
    return make_error(TeeCode::kBadFormat, "the {} public key of {} is malformed", type, uri);
  PkeyPtr key(raw);
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) return make_error(TeeCode::kBadFormat, "cannot encode the public key of {}", uri);
  std::vector<uint8_t> spki(der, der + len);
  OPENSSL_free(der);
  return PublicKey::from_bytes(spki, uri);
}

Result<PublicKey> rsa_public(Session& session, CK_OBJECT_HANDLE object, const std::string& uri) {
  RPROCTEE_ASSIGN(const auto n, required(session, object, CKA_MODULUS, "CKA_MODULUS"));
  RPROCTEE_ASSIGN(const auto e,
                  required(session, object, CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT"));
  BignumPtr bn_n(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
  BignumPtr bn_e(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
    return make_error(TeeCode::kOutOfMemory, "RSA public key of {}", uri);
  return public_key_from("RSA", bld.get(), uri);
}

Result<PublicKey> ec_public(Session& session, CK_OBJECT_HANDLE object, const std::string& uri) {
  RPROCTEE_ASSIGN(const auto params, required(session, object, CKA_EC_PARAMS, "CKA_EC_PARAMS"));
  if (!std::equal(params.begin(), params.end(), std::begin(kP256Oid), std::end(kP256Oid)))
    return make_error(TeeCode::kNotSupported, "{} is an EC key on another curve than P-256", uri);
  RPROCTEE_ASSIGN(auto point, required(session, object, CKA_EC_POINT, "CKA_EC_POINT"));
  // PKCS#11 wraps the point in a DER OCTET STRING; some tokens give it bare.
  if (point.size() == 67 && point[0] == 0x04 && point[1] == 65)
    point.erase(point.begin(), point.begin() + 2);
  if (point.size() != 65 || point[0] != 0x04)
    return make_error(TeeCode::kBadFormat, "the EC point of {} is not an uncompressed P-256 point",
                      uri);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size()))
    return make_error(TeeCode::kOutOfMemory, "EC public key of {}", uri);
  return public_key_from("EC", bld.get(), uri);
}

Result<CK_KEY_TYPE> key_type(Session& session, CK_OBJECT_HANDLE object, const std::string& uri) {
  RPROCTEE_ASSIGN(const auto type, required(session, object, CKA_KEY_TYPE, "CKA_KEY_TYPE"));
  CK_KEY_TYPE t = 0;
  if (type.size() != sizeof t)
    return make_error(TeeCode::kBadFormat, "CKA_KEY_TYPE of {} has {} bytes", uri, type.size());
  std::memcpy(&t, type.data(), sizeof t);
  if (t != CKK_RSA && t != CKK_EC)
    return make_error(TeeCode::kNotSupported, "{} is neither an RSA nor an EC key (type {:#x})",
                      uri, t);
  return t;
}

/// The public half of `object` (of class `cls`), as the token holds it.
Result<PublicKey> public_of(Session& session, CK_OBJECT_HANDLE object, const std::string& uri) {
  RPROCTEE_ASSIGN(const CK_KEY_TYPE type, key_type(session, object, uri));
  return type == CKK_RSA ? rsa_public(session, object, uri) : ec_public(session, object, uri);
}

/// The public-key object of the same key as `private_key` (same CKA_ID, else same label).
Result<std::optional<CK_OBJECT_HANDLE>> matching_public_object(Session& session,
                                                               CK_OBJECT_HANDLE private_key) {
  CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
  for (CK_ATTRIBUTE_TYPE link : {CKA_ID, CKA_LABEL}) {
    RPROCTEE_ASSIGN(auto value, session.attribute(private_key, link));
    if (!value || value->empty()) continue;
    CK_ATTRIBUTE match[] = {{CKA_CLASS, &cls, sizeof cls}, {link, value->data(), value->size()}};
    RPROCTEE_ASSIGN(const auto found, session.find(match));
    if (found.size() == 1) return std::optional<CK_OBJECT_HANDLE>(found.front());
  }
  return std::optional<CK_OBJECT_HANDLE>();
}

/// Where the module comes from: the option, the URI, the environment.
Result<std::string> module_path(const Uri& uri, const Options& options) {
  if (options.module) return *options.module;
  if (const char* path = uri.module_path()) return std::string(path);
  if (const char* env = std::getenv("PKCS11_MODULE"); env && *env) return std::string(env);
  return make_error(TeeCode::kBadParameters,
                    "no PKCS#11 module for {}: give --pkcs11-module PATH, module-path= in the "
                    "URI, or $PKCS11_MODULE",
                    uri.text());
}

/// A token session on the URI's token, and the token.
struct Opened {
  std::unique_ptr<Session> session;
  Token token;
};

Result<Opened> open_token(const Uri& uri, const Options& options) {
  RPROCTEE_ASSIGN(const std::string path, module_path(uri, options));
  RPROCTEE_ASSIGN(auto module, Module::load(path));
  RPROCTEE_ASSIGN(const Token token, find_token(*module, uri));
  RPROCTEE_ASSIGN(auto session, Session::open(std::move(module), token.slot));
  return Opened{std::move(session), token};
}

/// A private key in a token: the session stays open (and logged in) while the key lives.
class TokenKey final : public SigningKey {
 public:
  TokenKey(std::unique_ptr<Session> session, CK_OBJECT_HANDLE key, PublicKey public_key,
           std::string uri)
      : session_(std::move(session)),
        key_(key),
        public_(std::move(public_key)),
        uri_(std::move(uri)) {}

  const PublicKey& public_key() const override { return public_; }

  Result<std::vector<uint8_t>> sign(std::span<const uint8_t, 32> digest) const override {
    const bool rsa = public_.algorithm() == KeyAlgorithm::kRsa;
    // RSA: the token pads and exponentiates DigestInfo || digest (deterministic, as a key
    // file gives); ECDSA: the token signs the digest and answers r||s.
    const std::vector<uint8_t> input =
        rsa ? sha256_digest_info(digest) : std::vector<uint8_t>(digest.begin(), digest.end());
    auto signature = session_->sign(key_, rsa ? CKM_RSA_PKCS : CKM_ECDSA, input);
    if (!signature) return std::move(signature).error().context(uri_);
    if (signature->size() != public_.signature_size())
      return make_error(TeeCode::kBadFormat, "{}: the token gave a {}-byte signature, {} wants {}",
                        uri_, signature->size(), public_.describe(), public_.signature_size());
    // A token whose public-key object is not the private key's would sign images that fail
    // on the board: check before anything is written.
    const Status ok = rsa ? rsa_pkcs1_sha256_verify(public_, digest, *signature)
                          : ecdsa_p256_verify(public_, digest, *signature);
    if (!ok)
      return make_error(TeeCode::kSecurity,
                        "{}: the token's signature does not verify with its public key {} ({})",
                        uri_, public_.fingerprint().substr(0, 16), ok.error().message);
    return signature;
  }

 private:
  std::unique_ptr<Session> session_;
  CK_OBJECT_HANDLE key_;
  PublicKey public_;
  std::string uri_;
};

}  // namespace

bool is_uri(std::string_view key) {
  return key.starts_with("pkcs11:");
}

std::string redacted(std::string_view uri) {
  std::string out(uri);
  const size_t at = out.find("pin-value=");
  if (at == std::string::npos) return out;
  const size_t end = out.find_first_of(";&", at);
  out.replace(at, (end == std::string::npos ? out.size() : end) - at, "pin-value=(hidden)");
  return out;
}

Result<std::shared_ptr<const SigningKey>> open_private_key(std::string_view text,
                                                           const Options& options) {
  RPROCTEE_ASSIGN(const Uri uri, Uri::parse(text));
  if (auto cls = uri.object_class(); cls && *cls != CKO_PRIVATE_KEY)
    return make_error(TeeCode::kBadParameters, "{} names no private key (type=private)",
                      uri.text());
  RPROCTEE_ASSIGN(Opened t, open_token(uri, options));
  RPROCTEE_CHECK(log_in(*t.session, t.token, uri, options));
  RPROCTEE_ASSIGN(const CK_OBJECT_HANDLE key,
                  find_object(*t.session, uri, CKO_PRIVATE_KEY, t.token));
  RPROCTEE_ASSIGN(const auto public_object, matching_public_object(*t.session, key));
  RPROCTEE_ASSIGN(PublicKey pub, public_of(*t.session, public_object.value_or(key), uri.text()));
  return std::shared_ptr<const SigningKey>(
      std::make_shared<TokenKey>(std::move(t.session), key, std::move(pub), uri.text()));
}

Result<PublicKey> load_public_key(std::string_view text, const Options& options) {
  RPROCTEE_ASSIGN(const Uri uri, Uri::parse(text));
  RPROCTEE_ASSIGN(Opened t, open_token(uri, options));
  const auto cls = uri.object_class();
  if (!cls || *cls == CKO_PUBLIC_KEY) {
    auto object = find_object(*t.session, uri, CKO_PUBLIC_KEY, t.token);
    if (object) return public_of(*t.session, *object, uri.text());
    if (cls) return std::move(object).error();
  }
  // No public-key object: the private key's public half (RSA), after a login if needed.
  RPROCTEE_CHECK(log_in(*t.session, t.token, uri, options));
  RPROCTEE_ASSIGN(const CK_OBJECT_HANDLE key,
                  find_object(*t.session, uri, CKO_PRIVATE_KEY, t.token));
  RPROCTEE_ASSIGN(const auto public_object, matching_public_object(*t.session, key));
  return public_of(*t.session, public_object.value_or(key), uri.text());
}

}  // namespace rproctee::crypto::pkcs11
