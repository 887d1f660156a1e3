#include "crypto/ecdsa_p256.hpp"

namespace rproctee::crypto {

namespace {

constexpr size_t kScalar = 32;

// The order n of the P-256 group.
const BIGNUM* p256_order() {
  static BIGNUM* n = [] {
    BIGNUM* bn = nullptr;
    BN_hex2bn(&bn, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    return bn;
  }();
  return n;
}

bool in_range(const BIGNUM* v) {
  return !BN_is_zero(v) && !BN_is_negative(v) && BN_cmp(v, p256_order()) < 0;
}

}  // namespace

Result<std::vector<uint8_t>> ecdsa_der_to_raw(std::span<const uint8_t> der) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) {
    openssl_error();
    return make_error(TeeCode::kBadFormat, "{}-byte signature is not a DER ECDSA signature",
                      der.size());
  }
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  if (BN_num_bytes(r) > static_cast<int>(kScalar) || BN_num_bytes(s) > static_cast<int>(kScalar))
    return make_error(TeeCode::kBadFormat, "DER ECDSA signature values are longer than 32 bytes");
  std::vector<uint8_t> raw(2 * kScalar);
  BN_bn2binpad(r, raw.data(), kScalar);
  BN_bn2binpad(s, raw.data() + kScalar, kScalar);
  return raw;
}

Result<std::vector<uint8_t>> ecdsa_raw_to_der(std::span<const uint8_t> raw) {
  if (raw.size() != 2 * kScalar)
    return make_error(TeeCode::kSignatureInvalid,
                      "ECDSA P-256 signature is {} bytes, expected 64 "
                      "(raw r||s)",
                      raw.size());
  BignumPtr r(BN_bin2bn(raw.data(), kScalar, nullptr));
  BignumPtr s(BN_bin2bn(raw.data() + kScalar, kScalar, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1)
    return make_error(TeeCode::kOutOfMemory, "out of memory");
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return make_error(TeeCode::kOutOfMemory, "out of memory");
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<std::vector<uint8_t>> ecdsa_p256_sign(const PrivateKey& key,
                                             std::span<const uint8_t, 32> digest) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1)
    return make_error(TeeCode::kGeneric, "ECDSA signing failed: {}", openssl_error());
  std::vector<uint8_t> der(len);
  if (EVP_PKEY_sign(ctx.get(), der.data(), &len, digest.data(), digest.size()) != 1)
    return make_error(TeeCode::kGeneric, "ECDSA signing failed: {}", openssl_error());
  der.resize(len);
  return ecdsa_der_to_raw(der);
}

Status ecdsa_p256_verify(const PublicKey& key, std::span<const uint8_t, 32> digest,
                         std::span<const uint8_t> signature) {
  const auto invalid = TeeCode::kSignatureInvalid;
  if (signature.size() != 2 * kScalar)
    return make_error(invalid,
                      "signature is {} bytes, an ECDSA P-256 signature is exactly 64 "
                      "(raw r||s)",
                      signature.size());
  BignumPtr r(BN_bin2bn(signature.data(), kScalar, nullptr));
  BignumPtr s(BN_bin2bn(signature.data() + kScalar, kScalar, nullptr));
  if (!r || !s) return make_error(TeeCode::kOutOfMemory, "out of memory");
  if (!in_range(r.get())) return make_error(invalid, "ECDSA r is not in [1, n-1]");
  if (!in_range(s.get())) return make_error(invalid, "ECDSA s is not in [1, n-1]");
  RPROCTEE_ASSIGN(const auto der, ecdsa_raw_to_der(signature));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1)
    return make_error(TeeCode::kGeneric, "ECDSA verifier setup failed: {}", openssl_error());
  const int ok = EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size());
  openssl_error();
  if (ok != 1)
    return make_error(invalid, "signature does not match the signed data with {} key {}",
                      key.describe(), key.fingerprint().substr(0, 16));
  return {};
}

}  // namespace rproctee::crypto
