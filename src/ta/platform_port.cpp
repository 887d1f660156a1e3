#include "ta/platform_port.hpp"

#include "protocol/pta_remoteproc.hpp"

namespace rproctee::ta {

namespace pta = protocol::rproc_pta;
using tee::ParamType;

namespace {
tee::TaParam value_in(uint64_t v) {
  return {ParamType::kValueInput, static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32), {}, 0};
}
tee::TaParam memref(ParamType t, std::span<uint8_t> m) {
  return {t, 0, 0, m, m.size()};
}
tee::TaParam memref_in(std::span<const uint8_t> m) {
  // Input memrefs are never written: the const_cast only adapts to the common parameter type.
  return memref(ParamType::kMemrefInput, {const_cast<uint8_t*>(m.data()), m.size()});
}
}  // namespace

Status PlatformPort::call(uint32_t command, tee::TaParams& params, std::string_view what) {
  params[0] = value_in(processor_);
  const tee::Outcome o = session_.invoke(command, params);
  if (!o.ok()) return make_error(o.code, "platform service refused {}", what);
  return {};
}

Result<crypto::KeyAlgorithm> PlatformPort::verify_digest(const crypto::Digest& digest,
                                                         std::span<const uint8_t> signature) {
  std::array<uint8_t, 8> info{};  // {algo = any, info_size = 0}; out: {algo, key index}
  tee::TaParams p{};
  p[1] = memref(ParamType::kMemrefInout, info);
  p[2] = memref_in(digest);
  p[3] = memref_in(signature);
  p[0] = value_in(processor_);
  const tee::Outcome o = session_.invoke(pta::kVerifyDigest, p);
  if (!o.ok())
    return make_error(o.code,
                      "the signature over the header and TLVs verifies with none of the "
                      "provisioned keys");
  const uint32_t algo = uint32_t{info[0]} | uint32_t{info[1]} << 8 | uint32_t{info[2]} << 16 |
                        uint32_t{info[3]} << 24;
  return algo == pta::kAlgRsaPkcs1Sha256 ? crypto::KeyAlgorithm::kRsa
                                         : crypto::KeyAlgorithm::kEcdsaP256;
}

Status PlatformPort::load_segment(std::span<const uint8_t> bytes, uint64_t da,
                                  const std::array<uint8_t, 32>& digest,
                                  const std::optional<std::array<uint8_t, 16>>& iv) {
  std::array<uint8_t, 48> expected{};
  std::copy(digest.begin(), digest.end(), expected.begin());
  if (iv) std::copy(iv->begin(), iv->end(), expected.begin() + 32);
  tee::TaParams p{};
  p[1] = memref_in(bytes);
  p[2] = value_in(da);
  p[3] = memref_in(std::span(expected).first(iv ? 48 : 32));
  p[0] = value_in(processor_);
  const tee::Outcome o = session_.invoke(pta::kLoadSegmentSha256, p);
  switch (o.code) {
    case TeeCode::kSuccess:
      return {};
    case TeeCode::kSecurity:
      return make_error(o.code,
                        "its SHA-256 in memory does not match the signed digest (the memory "
                        "was wiped)");
    case TeeCode::kAccessDenied:
      return make_error(o.code, "[{:#x}, {:#x}) is not inside one memory region of the processor",
                        da, da + bytes.size());
    case TeeCode::kNotSupported:
      return make_error(o.code, "it is encrypted but no firmware-encryption-key is provisioned");
    default:
      return make_error(o.code, "the platform service could not load it at {:#x}", da);
  }
}

Result<uint64_t> PlatformPort::da_to_pa(uint64_t da, uint64_t size) {
  tee::TaParams p{};
  p[1] = value_in(da);
  p[2] = value_in(size);
  p[3].type = ParamType::kValueOutput;
  RPROCTEE_CHECK(call(pta::kDaToPa, p, fmt::format("[{:#x}, {:#x})", da, da + size)));
  return uint64_t{p[3].a} | uint64_t{p[3].b} << 32;
}

Status PlatformPort::start(uint32_t boot_address, bool secure_boot) {
  tee::TaParams p{};
  p[1] = value_in(boot_address);
  p[1].b = secure_boot ? 1 : 0;
  return call(pta::kFirmwareStart, p, "to start the core");
}

Status PlatformPort::stop() {
  tee::TaParams p{};
  return call(pta::kFirmwareStop, p, "to stop the core");
}

Status PlatformPort::release() {
  tee::TaParams p{};
  return call(pta::kRelease, p, "to release the memories");
}

Status PlatformPort::decrypt(std::span<uint8_t> data, const std::array<uint8_t, 16>& iv) {
  tee::TaParams p{};
  p[1] = memref(ParamType::kMemrefInout, data);
  p[2] = memref_in(iv);
  return call(pta::kDecrypt, p, "to decrypt");
}

Result<std::pair<uint32_t, bool>> PlatformPort::rollback_read() {
  tee::TaParams p{};
  p[1].type = ParamType::kValueOutput;
  RPROCTEE_CHECK(call(pta::kRollbackRead, p, "to read the anti-rollback counter"));
  return std::pair{p[1].a, p[1].b != 0};
}

Status PlatformPort::rollback_commit(uint32_t version) {
  tee::TaParams p{};
  p[1] = value_in(version);
  return call(pta::kRollbackCommit, p, "to store the security version");
}

TeeCode PlatformPort::coredump(std::span<uint8_t> out, size_t& needed) {
  tee::TaParams p{};
  p[0] = value_in(processor_);
  p[1] = memref(ParamType::kMemrefOutput, out);
  const tee::Outcome o = session_.invoke(pta::kCoredump, p);
  needed = p[1].size;
  return o.code;
}

}  // namespace rproctee::ta
