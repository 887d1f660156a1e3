#include "remoteproc/tee_backend.hpp"

#include <cerrno>
#include <cstring>

#include "protocol/ta_remoteproc.hpp"

namespace rproctee::remoteproc {

namespace {
namespace ta = protocol::rproc_ta;

/// The TA's UUID (protocol/ta_remoteproc.hpp) in the client API's layout.
constexpr TEEC_UUID kRemoteprocTa = {
    ta::kUuid.time_low,
    ta::kUuid.time_mid,
    ta::kUuid.time_hi_and_version,
    {ta::kUuid.clock_seq_and_node[0], ta::kUuid.clock_seq_and_node[1],
     ta::kUuid.clock_seq_and_node[2], ta::kUuid.clock_seq_and_node[3],
     ta::kUuid.clock_seq_and_node[4], ta::kUuid.clock_seq_and_node[5],
     ta::kUuid.clock_seq_and_node[6], ta::kUuid.clock_seq_and_node[7]}};

bool is_plain_elf(const Firmware& fw) {
  return fw.data.size() >= 4 && fw.data[0] == 0x7F && fw.data[1] == 'E' && fw.data[2] == 'L' &&
         fw.data[3] == 'F';
}
}  // namespace

Result<std::unique_ptr<TeeBackend>> TeeBackend::open(const std::string& tee_name, uint32_t id) {
  std::unique_ptr<TeeBackend> b(new TeeBackend());
  b->id_ = id;
  if (TEEC_Result r = TEEC_InitializeContext(tee_name.c_str(), &b->ctx_); r != TEEC_SUCCESS)
    return make_error(static_cast<TeeCode>(r), "cannot reach the TEE {}", tee_name);
  b->has_context_ = true;
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  uint32_t origin = 0;
  if (TEEC_Result r = TEEC_OpenSession(&b->ctx_, &b->session_, &kRemoteprocTa,
                                       TEEC_LOGIN_REE_KERNEL, nullptr, &op, &origin);
      r != TEEC_SUCCESS)
    return make_error(static_cast<TeeCode>(r),
                      "cannot open a session on the remoteproc TA for processor {} "
                      "(origin {})",
                      id, origin);
  b->has_session_ = true;
  return b;
}

TeeBackend::~TeeBackend() {
  if (has_shm_) TEEC_ReleaseSharedMemory(&shm_);
  if (has_session_) TEEC_CloseSession(&session_);
  if (has_context_) TEEC_FinalizeContext(&ctx_);
}

TEEC_Result TeeBackend::invoke(uint32_t command, TEEC_Operation& op) {
  op.paramTypes = (op.paramTypes & ~0xFu) | TEEC_VALUE_INPUT;
  op.params[0].value.a = id_;
  last_origin_ = 0;
  return TEEC_InvokeCommand(&session_, command, &op, &last_origin_);
}

int TeeBackend::failed(Rproc& rproc, const char* command, TEEC_Result res, uint32_t origin) {
  std::string reason;
  if (origin == TEEC_ORIGIN_TRUSTED_APP) {
    char buf[1024] = {};
    TEEC_Operation op{};
    op.paramTypes =
        TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
    op.params[1].tmpref.buffer = buf;
    op.params[1].tmpref.size = sizeof buf - 1;
    if (invoke(ta::kGetLastError, op) == TEEC_SUCCESS) reason = buf;
  }
  rproc.info("TEE {} failed: {} ({:#010x}, origin {}){}{}", command,
             tee_code_name(static_cast<TeeCode>(res)), res, origin, reason.empty() ? "" : ": ",
             reason);
  return -EIO;
}

int TeeBackend::load_image(Rproc& rproc, const Firmware& fw) {
  if (!has_shm_) {
    shm_ = TEEC_SharedMemory{};
    shm_.size = fw.data.size();
    shm_.flags = TEEC_MEM_INPUT;
    if (TEEC_Result r = TEEC_AllocateSharedMemory(&ctx_, &shm_); r != TEEC_SUCCESS) {
      rproc.info("cannot allocate {} bytes of TEE shared memory: {:#010x}", fw.data.size(), r);
      return -ENOMEM;
    }
    has_shm_ = true;
    std::memcpy(shm_.buffer, fw.data.data(), fw.data.size());
  }
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
  op.params[1].memref.parent = &shm_;
  if (TEEC_Result r = invoke(ta::kLoadFw, op); r != TEEC_SUCCESS) {
    const int err = failed(rproc, "LOAD_FW", r, last_origin_);
    if (is_plain_elf(fw))
      rproc.info(
          "{} is a plain ELF file, but {} is started by the TEE: it only runs signed images "
          "(rproctee sign --in {} --key KEY --out {}.sign); plain ELF files are for processors "
          "described without st,rproc-tee",
          fw.name, rproc.name(), fw.name, fw.name);
    return err;
  }
  return 0;
}

int TeeBackend::rsc_table(Rproc& rproc, uint64_t& pa, uint64_t& size) {
  TEEC_Operation op{};
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
  if (TEEC_Result r = invoke(ta::kGetRscTable, op); r != TEEC_SUCCESS)
    return failed(rproc, "GET_RSC_TABLE", r, last_origin_);
  pa = uint64_t{op.params[1].value.a} | uint64_t{op.params[1].value.b} << 32;
  size = uint64_t{op.params[2].value.a} | uint64_t{op.params[2].value.b} << 32;
  return 0;
}

int TeeBackend::parse_fw(Rproc& rproc, const Firmware& fw) {
  if (int err = load_image(rproc, fw); err) return err;
  uint64_t pa = 0, size = 0;
  if (int err = rsc_table(rproc, pa, size); err) return err;
  if (size == 0) return 0;  // no table: boots without resources
  if (size > 64 * 1024) {
    rproc.info("resource table of {} bytes is too large", size);
    return -EINVAL;
  }
  const uint8_t* va = rproc.pa_to_va(pa, size);
  if (!va) {
    rproc.info(
        "resource table at pa {:#x} ({} bytes) is in memory the normal world cannot map "
        "(firewalled "
        "while the firmware is loaded): link .resource_table into a shared region such as "
        "ipc-shmem",
        pa, size);
    return -EINVAL;
  }
  rproc.set_cached_table(std::vector<uint8_t>(va, va + size));  // one read of shared memory
  return 0;
}

int TeeBackend::load(Rproc& rproc, const Firmware& fw) {
  return load_image(rproc, fw);
}

int TeeBackend::find_loaded_rsc_table(Rproc& rproc, const Firmware&, uint8_t*& table) {
  uint64_t pa = 0, size = 0;
  if (int err = rsc_table(rproc, pa, size); err) return err;
  table = size ? rproc.pa_to_va(pa, size) : nullptr;
  if (size && !table) return -EINVAL;
  return 0;
}

int TeeBackend::start(Rproc& rproc) {
  TEEC_Operation op{};
  if (TEEC_Result r = invoke(ta::kStartFw, op); r != TEEC_SUCCESS)
    return failed(rproc, "START_FW", r, last_origin_);
  return 0;
}

int TeeBackend::stop(Rproc& rproc) {
  TEEC_Operation op{};
  if (TEEC_Result r = invoke(ta::kStopFw, op); r != TEEC_SUCCESS)
    return failed(rproc, "STOP_FW", r, last_origin_);
  return 0;
}

void TeeBackend::release_fw(Rproc& rproc) {
  TEEC_Operation op{};
  if (TEEC_Result r = invoke(ta::kReleaseFw, op); r != TEEC_SUCCESS)
    failed(rproc, "RELEASE_FW", r, last_origin_);
  if (has_shm_) TEEC_ReleaseSharedMemory(&shm_);
  has_shm_ = false;
}

int TeeBackend::coredump(Rproc& rproc, std::vector<uint8_t>& out) {
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
  TEEC_Result r = invoke(ta::kGetCoredump, op);
  if (r == TEEC_ERROR_SHORT_BUFFER) {
    out.resize(op.params[1].tmpref.size);
    op.params[1].tmpref.buffer = out.data();
    op.params[1].tmpref.size = out.size();
    r = invoke(ta::kGetCoredump, op);
  }
  if (r != TEEC_SUCCESS) return failed(rproc, "GET_COREDUMP", r, last_origin_);
  out.resize(op.params[1].tmpref.size);
  return 0;
}

}  // namespace rproctee::remoteproc
