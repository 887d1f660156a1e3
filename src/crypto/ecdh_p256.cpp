#include "crypto/ecdh_p256.hpp"

#include <openssl/crypto.h>

namespace rproctee::crypto {

namespace {

Result<EcdhSecret> derive(EVP_PKEY* own, EVP_PKEY* peer) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  EcdhSecret secret{};
  size_t size = secret.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), secret.data(), &size) != 1 || size != secret.size())
    return make_error(TeeCode::kGeneric, "ECDH P-256 failed: {}", openssl_error());
  return secret;
}

Status check_p256(KeyAlgorithm algorithm, std::string_view what) {
  if (algorithm != KeyAlgorithm::kEcdsaP256)
    return make_error(TeeCode::kBadParameters, "ECDH needs a P-256 key; {} is RSA", what);
  return {};
}

}  // namespace

Result<EcdhShare> ecdh_p256_share(const PublicKey& recipient) {
  RPROCTEE_CHECK(check_p256(recipient.algorithm(), "the recipient key"));
  PkeyPtr ephemeral(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!ephemeral)
    return make_error(TeeCode::kGeneric, "P-256 key generation failed: {}", openssl_error());
  EcdhShare share;
  size_t size = 0;
  if (EVP_PKEY_get_octet_string_param(ephemeral.get(), "encoded-pub-key",
                                      share.ephemeral_point.data(), share.ephemeral_point.size(),
                                      &size) != 1 ||
      size != kP256PointSize || share.ephemeral_point[0] != 0x04)
    return make_error(TeeCode::kGeneric, "cannot encode the ephemeral P-256 point: {}",
                      openssl_error());
  RPROCTEE_ASSIGN(share.secret, derive(ephemeral.get(), recipient.get()));
  return share;
}

Result<EcdhSecret> ecdh_p256_receive(const PrivateKey& recipient,
                                     std::span<const uint8_t> ephemeral_point) {
  RPROCTEE_CHECK(check_p256(recipient.algorithm(), "the private key"));
  if (ephemeral_point.size() != kP256PointSize || ephemeral_point[0] != 0x04)
    return make_error(TeeCode::kBadFormat,
                      "the ephemeral P-256 point is {} bytes starting with {:#04x}: expected "
                      "{} bytes starting with 0x04 (uncompressed)",
                      ephemeral_point.size(), ephemeral_point.empty() ? 0 : ephemeral_point[0],
                      kP256PointSize);
  // A public key with the recipient's curve parameters and the received point (decoding
  // checks that the point is on the curve).
  PkeyPtr peer(EVP_PKEY_new());
  if (!peer || EVP_PKEY_copy_parameters(peer.get(), recipient.get()) != 1 ||
      EVP_PKEY_set1_encoded_public_key(peer.get(), ephemeral_point.data(),
                                       ephemeral_point.size()) != 1) {
    openssl_error();
    return make_error(TeeCode::kBadFormat, "the ephemeral point is not a point of P-256");
  }
  return derive(recipient.get(), peer.get());
}

}  // namespace rproctee::crypto
