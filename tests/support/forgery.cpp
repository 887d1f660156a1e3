#include "support/forgery.hpp"

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <stdexcept>

#include "common/byte_reader.hpp"
#include "crypto/ossl.hpp"

namespace rproctee::test::forgery {

Bytes cat(std::initializer_list<std::span<const uint8_t>> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes signed_prefix(RawImage raw, uint32_t sign_len) {
  raw.sign_len = sign_len;
  raw.signature.assign(sign_len, 0);
  const Bytes file = assemble_raw(raw);
  return Bytes(file.begin(), file.begin() + static_cast<long>(20 + round_up8(get_u32(file, 8))));
}

crypto::Digest signed_digest(const RawImage& raw, uint32_t sign_len) {
  return crypto::Sha256::of(signed_prefix(raw, sign_len));
}

Bytes with_signature(RawImage raw, Bytes signature) {
  raw.sign_len = static_cast<uint32_t>(signature.size());
  raw.signature = std::move(signature);
  return assemble_raw(raw);
}

std::pair<RawImage, Bytes> find_signature(RawImage raw, const TestKey& key, uint32_t sign_len,
                                          const std::function<bool(const Bytes&)>& accept) {
  raw.tlvs.emplace_back(0x10010, Bytes(4, 0));
  for (uint32_t counter = 0; counter < 8192; ++counter) {
    put_u32(raw.tlvs.back().second, 0, counter);
    auto sig = key.signer.sign(signed_digest(raw, sign_len));
    if (!sig) throw std::runtime_error(sig.error().message);
    if (accept(*sig)) return {raw, *sig};
  }
  throw std::runtime_error("no suitable signature found");
}

std::optional<Bytes> add_be(const Bytes& a, const Bytes& b) {
  Bytes out(a.size());
  unsigned carry = 0;
  for (size_t i = a.size(); i-- > 0;) {
    const unsigned sum = a[i] + b[i] + carry;
    out[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  if (carry) return std::nullopt;
  return out;
}

Bytes sub_be(const Bytes& a, const Bytes& b) {
  Bytes out(a.size());
  int borrow = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int d = a[i] - b[i] - borrow;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 256;
    out[i] = static_cast<uint8_t>(d);
  }
  return out;
}

Bytes be_small(size_t width, uint8_t value) {
  Bytes out(width - 1, 0);
  out.push_back(value);
  return out;
}

Bytes rsa_private_raw(const TestKey& key, std::span<const uint8_t> block) {
  crypto::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.priv.get(), nullptr));
  size_t len = key.signer.signature_size();
  Bytes out(len);
  if (block.size() != len || !ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1 ||
      EVP_PKEY_sign(ctx.get(), out.data(), &len, block.data(), block.size()) != 1)
    throw std::runtime_error("raw RSA private operation failed: " + crypto::openssl_error());
  out.resize(len);
  return out;
}

Bytes rsa_modulus(const TestKey& key) {
  Bytes n = key.verifier.key().components().first;
  const size_t k = key.signer.signature_size();
  if (n.size() > k) n.erase(n.begin(), n.begin() + static_cast<long>(n.size() - k));
  n.insert(n.begin(), k - n.size(), 0);
  return n;
}

Bytes type1_block(size_t k, const Bytes& tail) {
  return cat({Bytes{0x00, 0x01}, Bytes(k - 3 - tail.size(), 0xFF), Bytes{0x00}, tail});
}

Bytes sha1(std::span<const uint8_t> data) {
  Bytes out(20);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha1(), nullptr) != 1 || len != 20)
    throw std::runtime_error("SHA-1 failed");
  return out;
}

const Bytes kSha256Info = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                           0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
const Bytes kSha256InfoNoNull = {0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
                                 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20};
const Bytes kSha256InfoLongSequence = {0x30, 0x81, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
                                       0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
const Bytes kSha256InfoLongOctets = {0x30, 0x32, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x81, 0x20};
const Bytes kSha1Info = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                         0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};

const Bytes kP256Order = {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
                          0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17,
                          0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

}  // namespace rproctee::test::forgery
