// Building blocks of forged signatures, shared by the offline forgery tests
// (tests/security/signature_forgery_test.cpp) and the TA's (tests/tee/ta_attacks_test.cpp):
// signing exactly the prefix a header announces, the raw RSA private operation on any
// EMSA-PKCS1-v1_5 block, DigestInfo encodings, big-endian arithmetic for values around the
// RSA modulus and the P-256 group order.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "crypto/sha256.hpp"
#include "support/image_crafting.hpp"

namespace rproctee::test::forgery {

using Bytes = std::vector<uint8_t>;

/// The parts one after the other.
Bytes cat(std::initializer_list<std::span<const uint8_t>> parts);

// ---- Signed prefixes -------------------------------------------------------------------------

/// The bytes the signature of `raw` covers (header || TLV area) when its header says
/// sign_len = `sign_len`.
Bytes signed_prefix(RawImage raw, uint32_t sign_len);

/// SHA-256 of signed_prefix(raw, sign_len).
crypto::Digest signed_digest(const RawImage& raw, uint32_t sign_len);

/// `raw` assembled with `signature` stored verbatim and the header's sign_len = its size.
Bytes with_signature(RawImage raw, Bytes signature);

/// Varies a platform TLV (0x10010) until `key` produces a signature over the header with
/// sign_len = `sign_len` that `accept` likes; returns that image and signature.
std::pair<RawImage, Bytes> find_signature(RawImage raw, const TestKey& key, uint32_t sign_len,
                                          const std::function<bool(const Bytes&)>& accept);

// ---- Big-endian numbers ----------------------------------------------------------------------

/// a + b in the same width; nullopt when it carries out.
std::optional<Bytes> add_be(const Bytes& a, const Bytes& b);
/// a - b in the same width (a >= b).
Bytes sub_be(const Bytes& a, const Bytes& b);
/// `value` as a big-endian number of `width` >= 1 bytes.
Bytes be_small(size_t width, uint8_t value);

// ---- RSA (EMSA-PKCS1-v1_5) -------------------------------------------------------------------

/// s = block^d mod n with the private key: the raw RSA operation, no padding.
Bytes rsa_private_raw(const TestKey& key, std::span<const uint8_t> block);
/// The RSA modulus, big-endian, exactly k (the signature size) bytes.
Bytes rsa_modulus(const TestKey& key);
/// 00 01 FF..FF 00 || tail, with as many FF bytes as fit in k.
Bytes type1_block(size_t k, const Bytes& tail);
/// SHA-1 of `data` (a DigestInfo of the wrong hash).
Bytes sha1(std::span<const uint8_t> data);

/// DigestInfo prefixes (the hash follows them): SHA-256 as the standard says, its variants
/// (no NULL parameters, long-form lengths), and SHA-1.
extern const Bytes kSha256Info;
extern const Bytes kSha256InfoNoNull;
extern const Bytes kSha256InfoLongSequence;
extern const Bytes kSha256InfoLongOctets;
extern const Bytes kSha1Info;

// ---- ECDSA P-256 -----------------------------------------------------------------------------

/// n, the order of the P-256 group (32 bytes, big-endian).
extern const Bytes kP256Order;

}  // namespace rproctee::test::forgery
