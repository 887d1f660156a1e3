#include "platform/remoteproc_pta.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"
#include "common/fault_injection.hpp"
#include "crypto/aes_cbc.hpp"
#include "crypto/sha256.hpp"
#include "image/core_file.hpp"
#include "image/sealed_core.hpp"
#include "platform/coredump_plan.hpp"
#include "protocol/pta_remoteproc.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "tee/log.hpp"

namespace rproctee::platform {

using tee::param_types;
using tee::ParamType;
namespace pta = protocol::rproc_pta;

namespace {

constexpr size_t kChunk = 64 * 1024;  // copy-and-hash step: the chunk is still in cache

uint64_t u64(const tee::TaParam& p) {
  return uint64_t{p.a} | uint64_t{p.b} << 32;
}

void log_refusal(const Error& e) {
  tee::log(tee::LogLevel::kError, "remoteproc PTA", "{}", e.message);
}

class PtaSession final : public tee::TaSession {
 public:
  explicit PtaSession(RemoteprocPta& pta) : pta_(pta) {}
  TeeCode invoke(uint32_t command, tee::TaParams& params) override {
    return pta_.invoke(command, params);
  }

 private:
  RemoteprocPta& pta_;
};

}  // namespace

/// Per-processor state: memory operations on one processor are serialised.
struct RemoteprocPta::Processor {
  size_t index = 0;  // in the layout
  const dt::Processor* desc = nullptr;
  const SecureProcessor* secure = nullptr;
  std::mutex mutex;
  // The secure regions are zero and nothing but this service (and a started core) writes
  // them: a RELEASE right after another one need not wipe them again.
  bool secure_regions_clean = false;
  // Where encrypted segments were decrypted since the last RELEASE: no dump ever holds them.
  std::vector<PaRange> decrypted;
};

RemoteprocPta::RemoteprocPta(soc::Soc& soc, const Description& description, RollbackStore& rollback)
    : soc_(soc), description_(description), rollback_(rollback) {
  for (const TrustedKey& k : description.secure.keys)
    if (auto v = crypto::Verifier::create(k.key)) verifiers_.push_back(*v);
  for (size_t i = 0; i < description.layout.processors.size(); ++i) {
    const dt::Processor& d = description.layout.processors[i];
    const SecureProcessor* secure = description.secure.processor(d.id);
    if (d.mode != dt::ProcessorMode::kTee || !secure) continue;
    auto p = std::make_unique<Processor>();
    p->index = i;
    p->desc = &d;
    p->secure = secure;
    processors_.push_back(std::move(p));
  }
}

RemoteprocPta::~RemoteprocPta() = default;

tee::Uuid RemoteprocPta::uuid() const {
  return pta::kUuid;
}

Result<std::unique_ptr<tee::TaSession>> RemoteprocPta::open_session(const tee::Caller& caller,
                                                                    tee::TaParams&) {
  if (!caller.is_ta() || !(caller.uuid == protocol::rproc_ta::kUuid))
    return make_error(TeeCode::kAccessDenied,
                      "only the remoteproc TA may use the platform service");
  return std::unique_ptr<tee::TaSession>(std::make_unique<PtaSession>(*this));
}

Result<RemoteprocPta::Processor*> RemoteprocPta::processor(const tee::TaParams& params) {
  if (params[0].type != ParamType::kValueInput)
    return make_error(TeeCode::kBadParameters, "params[0] must be VALUE_INPUT (processor id)");
  for (auto& p : processors_)
    if (p->desc->id == params[0].a) return p.get();
  return make_error(TeeCode::kBadParameters, "unknown remote processor id {}", params[0].a);
}

Result<RemoteprocPta::Location> RemoteprocPta::locate(Processor& p, uint64_t da, uint64_t size) {
  RPROCTEE_ASSIGN(const uint64_t pa, p.desc->da_to_pa(da, size));
  const auto region = description_.layout.region_of(*p.desc, pa, size);
  if (!region)
    return make_error(TeeCode::kAccessDenied,
                      "{}: [{:#x}, {:#x}) is not inside one memory region of "
                      "the processor",
                      p.desc->name, da, da + size);
  return Location{*region, pa};
}

TeeCode RemoteprocPta::invoke(uint32_t command, tee::TaParams& params) {
  if (command == pta::kVerifyDigest) return verify_digest(params);
  if (command == pta::kDecrypt) return decrypt(params);
  auto p = processor(params);
  if (!p) {
    log_refusal(p.error());
    return p.error().code;
  }
  std::lock_guard lock((*p)->mutex);
  switch (command) {
    case pta::kHwCapabilities:
      return hw_capabilities(params);
    case pta::kFirmwareLoad:
      return TeeCode::kNotImplemented;
    case pta::kLoadSegmentSha256:
      return load_segment(**p, params);
    case pta::kSetMemory:
      return set_memory(**p, params);
    case pta::kFirmwareStart:
      return start(**p, params);
    case pta::kFirmwareStop:
      return stop(**p);
    case pta::kDaToPa:
      return da_to_pa(**p, params);
    case pta::kRelease:
      return release(**p);
    case pta::kRollbackRead:
      return rollback_read(**p, params);
    case pta::kRollbackCommit:
      return rollback_commit(**p, params);
    case pta::kCoredump:
      return coredump(**p, params);
    default:
      return TeeCode::kNotSupported;
  }
}

TeeCode RemoteprocPta::hw_capabilities(tee::TaParams& params) {
  if (param_types(params) !=
      param_types(ParamType::kValueInput, ParamType::kValueOutput, ParamType::kValueOutput))
    return TeeCode::kBadParameters;
  params[1].a = pta::kFormatElf | (description_.secure.aes_key ? pta::kFormatEncryptedElf : 0);
  params[2].a = pta::kProtectionHashTable;
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::load_segment(Processor& p, tee::TaParams& params) {
  if (param_types(params) != param_types(ParamType::kValueInput, ParamType::kMemrefInput,
                                         ParamType::kValueInput, ParamType::kMemrefInput))
    return TeeCode::kBadParameters;
  const auto source = params[1].memory.first(std::min(params[1].size, params[1].memory.size()));
  const uint64_t da = u64(params[2]);
  const auto expected_in =
      params[3].memory.first(std::min(params[3].size, params[3].memory.size()));
  if (expected_in.size() != 32 && expected_in.size() != 48) return TeeCode::kBadParameters;
  std::array<uint8_t, 48> expected{};  // digest [|| IV], copied once
  std::copy(expected_in.begin(), expected_in.end(), expected.begin());
  const bool encrypted = expected_in.size() == 48;
  const auto& aes = description_.secure.aes_key;
  if (encrypted && !aes) {
    log_refusal(
        make_error(TeeCode::kNotSupported, "encrypted segment but no firmware-encryption-key"));
    return TeeCode::kNotSupported;
  }
  auto located = locate(p, da, source.size());
  if (!located) {
    log_refusal(located.error());
    return located.error().code;
  }
  std::span<uint8_t> dest = *soc_.region(located->region).bytes(located->pa, source.size());
  p.secure_regions_clean = false;
  if (should_fail(FaultPoint::kMemoryWrite)) return TeeCode::kGeneric;

  // Secure destination: copy and hash in one sweep over the destination, which the normal
  // world cannot write. Non-secure destination: go through a secure bounce buffer so that the
  // hashed bytes are exactly the bytes kept.
  const bool secure = !exported_to_normal_world(description_, located->region);
  std::vector<uint8_t> bounce;
  std::span<uint8_t> work = dest;
  if (!secure) {
    bounce.resize(source.size());
    work = bounce;
  }
  crypto::Sha256 hash;
  for (size_t off = 0; off < source.size(); off += kChunk) {
    const size_t n = std::min(kChunk, source.size() - off);
    std::memcpy(work.data() + off, source.data() + off, n);
    hash.update(work.subspan(off, n));
  }
  const auto digest = hash.finish();
  if (should_fail(FaultPoint::kHash) || CRYPTO_memcmp(digest.data(), expected.data(), 32) != 0) {
    std::memset(dest.data(), 0, dest.size());
    tee::log(tee::LogLevel::kError, "remoteproc PTA",
             "{}: segment at {:#x} ({} bytes) does not match its signed digest", p.desc->name, da,
             source.size());
    return TeeCode::kSecurity;
  }
  if (encrypted) {
    crypto::AesIv iv{};
    std::copy(expected.begin() + 32, expected.end(), iv.begin());
    if (!crypto::aes_cbc_decrypt(aes->bytes(), iv, work, work)) {
      std::memset(dest.data(), 0, dest.size());
      return TeeCode::kBadParameters;
    }
    p.decrypted.push_back({located->pa, source.size()});
  }
  if (!secure) std::memcpy(dest.data(), bounce.data(), bounce.size());
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::set_memory(Processor& p, tee::TaParams& params) {
  if (param_types(params) != param_types(ParamType::kValueInput, ParamType::kValueInput,
                                         ParamType::kValueInput, ParamType::kValueInput))
    return TeeCode::kBadParameters;
  const uint64_t da = u64(params[1]);
  const uint64_t size = u64(params[2]);
  auto located = locate(p, da, size);
  if (!located) {
    log_refusal(located.error());
    return located.error().code;
  }
  if (should_fail(FaultPoint::kMemoryWrite)) return TeeCode::kGeneric;
  auto bytes = *soc_.region(located->region).bytes(located->pa, size);
  p.secure_regions_clean = false;
  std::memset(bytes.data(), static_cast<int>(params[3].a & 0xFF), bytes.size());  // the byte value
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::start(Processor& p, tee::TaParams& params) {
  const auto types = param_types(params);
  uint32_t boot = p.desc->boot_address;
  bool secure_boot = false;
  if (types == param_types(ParamType::kValueInput, ParamType::kValueInput)) {
    boot = params[1].a;
    secure_boot = params[1].b != 0;
  } else if (types != param_types(ParamType::kValueInput)) {
    return TeeCode::kBadParameters;
  }
  if (boot % 128 != 0) {
    log_refusal(
        make_error(TeeCode::kBadParameters, "boot address {:#x} is not 128-byte aligned", boot));
    return TeeCode::kBadParameters;
  }
  if (auto located = locate(p, boot, 8); !located) {
    log_refusal(located.error());
    return TeeCode::kBadParameters;
  }
  if (should_fail(FaultPoint::kCoreStart)) {
    log_refusal(make_error(TeeCode::kGeneric, "core start failure (injected)"));
    return TeeCode::kGeneric;
  }
  p.secure_regions_clean = false;  // the running core writes its memories
  if (auto s = soc_.core(p.index).start(boot, secure_boot); !s) {
    log_refusal(s.error());
    return s.error().code;
  }
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::stop(Processor& p) {
  soc_.stop_core(p.index);
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::da_to_pa(Processor& p, tee::TaParams& params) {
  if (param_types(params) != param_types(ParamType::kValueInput, ParamType::kValueInput,
                                         ParamType::kValueInput, ParamType::kValueOutput))
    return TeeCode::kBadParameters;
  auto located = locate(p, u64(params[1]), u64(params[2]));
  if (!located) return located.error().code;
  params[3].a = static_cast<uint32_t>(located->pa);
  params[3].b = static_cast<uint32_t>(located->pa >> 32);
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::verify_digest(tee::TaParams& params) {
  if (param_types(params) != param_types(ParamType::kValueInput, ParamType::kMemrefInout,
                                         ParamType::kMemrefInput, ParamType::kMemrefInput))
    return TeeCode::kBadParameters;
  ByteReader info(params[1].memory.first(std::min(params[1].size, params[1].memory.size())),
                  "key info", TeeCode::kBadParameters);
  const auto algo = info.u32(0, "algorithm");
  if (!algo || params[2].size != 32 || params[2].memory.size() < 32) return TeeCode::kBadParameters;
  crypto::Digest digest{};
  std::copy_n(params[2].memory.begin(), 32, digest.begin());
  const std::vector<uint8_t> signature(
      params[3].memory.begin(),
      params[3].memory.begin() +
          static_cast<long>(std::min(params[3].size, params[3].memory.size())));
  if (should_fail(FaultPoint::kHash)) return TeeCode::kSignatureInvalid;
  for (uint32_t i = 0; i < verifiers_.size(); ++i) {
    const bool rsa = verifiers_[i].key().algorithm() == crypto::KeyAlgorithm::kRsa;
    const uint32_t key_alg = rsa ? pta::kAlgRsaPkcs1Sha256 : pta::kAlgEcdsaP256;
    if (*algo != pta::kAlgAny && *algo != key_alg) continue;
    if (!verifiers_[i].verify(digest, signature)) continue;
    if (params[1].memory.size() >= 8) {  // the key info out: algorithm, key index
      store_le(params[1].memory.first<4>(), key_alg);
      store_le(params[1].memory.subspan(4).first<4>(), i);
    }
    return TeeCode::kSuccess;
  }
  return TeeCode::kSignatureInvalid;
}

TeeCode RemoteprocPta::release(Processor& p) {
  if (soc_.core(p.index).running()) return TeeCode::kBadState;
  // Non-secure regions are wiped every time: the normal world may have written them.
  for (size_t r : p.desc->regions)
    if (!p.secure_regions_clean || !p.secure->is_secure(r)) soc_.region(r).wipe();
  p.secure_regions_clean = true;
  p.decrypted.clear();
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::decrypt(tee::TaParams& params) {
  if (param_types(params) !=
      param_types(ParamType::kValueInput, ParamType::kMemrefInout, ParamType::kMemrefInput))
    return TeeCode::kBadParameters;
  const auto& aes = description_.secure.aes_key;
  if (!aes) return TeeCode::kNotSupported;
  if (params[2].size != 16 || params[2].memory.size() < 16) return TeeCode::kBadParameters;
  crypto::AesIv iv{};
  std::copy_n(params[2].memory.begin(), 16, iv.begin());
  auto data = params[1].memory.first(std::min(params[1].size, params[1].memory.size()));
  if (!crypto::aes_cbc_decrypt(aes->bytes(), iv, data, data)) return TeeCode::kBadParameters;
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::rollback_read(Processor& p, tee::TaParams& params) {
  if (param_types(params) != param_types(ParamType::kValueInput, ParamType::kValueOutput))
    return TeeCode::kBadParameters;
  params[1].b = p.secure->anti_rollback ? 1 : 0;
  params[1].a = 0;
  if (!p.secure->anti_rollback) return TeeCode::kSuccess;
  auto v = rollback_.read(p.desc->id);
  if (!v) {
    log_refusal(v.error());
    return v.error().code;
  }
  params[1].a = *v;
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::rollback_commit(Processor& p, tee::TaParams& params) {
  if (param_types(params) != param_types(ParamType::kValueInput, ParamType::kValueInput))
    return TeeCode::kBadParameters;
  if (!p.secure->anti_rollback) return TeeCode::kSuccess;
  if (auto s = rollback_.commit(p.desc->id, params[1].a); !s) {
    log_refusal(s.error());
    return s.error().code;
  }
  return TeeCode::kSuccess;
}

TeeCode RemoteprocPta::coredump(Processor& p, tee::TaParams& params) {
  if (param_types(params) != param_types(ParamType::kValueInput, ParamType::kMemrefOutput))
    return TeeCode::kBadParameters;
  // What the policy lets out (coredump_plan.hpp); the output buffer is the normal world's
  // memory, so nothing else may ever be written into it, not even for a moment.
  const CoredumpPlan plan = plan_coredump(description_, *p.desc, *p.secure, soc_, p.decrypted);
  const bool sealed = p.secure->coredump == CoredumpPolicy::kSealed;
  const uint64_t needed =
      sealed ? image::sealed_coredump_size(plan.open, plan.sealed, *p.secure->coredump_key)
             : image::coredump_size(plan.open);
  if (params[1].memory.size() < needed || params[1].size < needed) {
    params[1].size = static_cast<size_t>(needed);
    return TeeCode::kShortBuffer;
  }
  const auto out = params[1].memory.first(static_cast<size_t>(needed));
  const auto registers = soc_.core(p.index).registers();
  if (sealed) {
    if (auto s = image::write_sealed_coredump(plan.open, plan.sealed, registers,
                                              *p.secure->coredump_key, out);
        !s) {
      std::memset(out.data(), 0, out.size());
      log_refusal(s.error());
      return s.error().code;
    }
  } else {
    image::write_coredump(plan.open, registers, out);
  }
  params[1].size = static_cast<size_t>(needed);
  return TeeCode::kSuccess;
}

}  // namespace rproctee::platform
