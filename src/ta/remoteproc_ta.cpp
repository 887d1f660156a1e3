#include "ta/remoteproc_ta.hpp"

#include <cstring>

#include "protocol/pta_remoteproc.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "tee/log.hpp"

namespace rproctee::ta {

using tee::param_types;
using tee::ParamType;
namespace cmd = protocol::rproc_ta;

namespace {

class RprocSession final : public tee::TaSession {
 public:
  RprocSession(RemoteprocTa& ta, RemoteprocTa::Rproc& rproc) : ta_(ta), rproc_(rproc) {}
  ~RprocSession() override {
    std::lock_guard lock(rproc_.mutex);
    rproc_.in_session = false;  // the firmware keeps its state: a new session takes over
  }
  TeeCode invoke(uint32_t command, tee::TaParams& params) override {
    return ta_.command(rproc_, command, params);
  }

 private:
  RemoteprocTa& ta_;
  RemoteprocTa::Rproc& rproc_;
};

void split64(tee::TaParam& p, uint64_t v) {
  p.a = static_cast<uint32_t>(v);
  p.b = static_cast<uint32_t>(v >> 32);
}

}  // namespace

std::string_view firmware_state_name(FirmwareState s) {
  switch (s) {
    case FirmwareState::kOff:
      return "OFF";
    case FirmwareState::kLoaded:
      return "LOADED";
    case FirmwareState::kStarted:
      return "STARTED";
  }
  return "?";
}

RemoteprocTa::RemoteprocTa(tee::TeeCore& core, std::vector<ProcessorConfig> processors)
    : core_(core) {
  for (ProcessorConfig& p : processors) {  // H13: configured processors only
    auto r = std::make_unique<Rproc>();
    r->desc = std::move(p);
    rprocs_.push_back(std::move(r));
  }
}

RemoteprocTa::~RemoteprocTa() {
  // A TA that goes away (panic, TEE shutdown) leaves no firmware half-controlled: stop and wipe.
  for (auto& r : rprocs_) {
    if (r->state == FirmwareState::kOff || !pta_) continue;
    PlatformPort p = port(*r);
    (void)p.stop();
    (void)p.release();
  }
}

tee::Uuid RemoteprocTa::uuid() const {
  return protocol::rproc_ta::kUuid;
}

Result<std::unique_ptr<tee::TaSession>> RemoteprocTa::open_session(const tee::Caller&,
                                                                   tee::TaParams& params) {
  if (param_types(params) != cmd::kOpenSessionParams)
    return make_error(TeeCode::kBadParameters,
                      "open session takes params[0] VALUE_INPUT = processor id");
  Rproc* found = nullptr;
  for (auto& r : rprocs_)
    if (r->desc.id == params[0].a) found = r.get();
  // OP-TEE's platform service answers NOT_SUPPORTED for an id it does not know, and its TA
  // passes that on.
  if (!found)
    return make_error(TeeCode::kNotSupported, "no TEE-controlled remote processor has id {}",
                      params[0].a);
  {
    std::lock_guard lock(pta_mutex_);
    if (!pta_) {
      tee::TaParams none{};
      RPROCTEE_ASSIGN(auto s, core_.open_ta_session(uuid(), protocol::rproc_pta::kUuid, none));
      pta_.emplace(std::move(s));
    }
  }
  std::lock_guard lock(found->mutex);
  if (found->in_session)
    return make_error(TeeCode::kBusy, "processor {} already has a session", params[0].a);
  found->in_session = true;
  return std::unique_ptr<tee::TaSession>(std::make_unique<RprocSession>(*this, *found));
}

PlatformPort RemoteprocTa::port(Rproc& r) {
  return PlatformPort(*pta_, r.desc.id);
}

FirmwareState RemoteprocTa::state(uint32_t processor_id) {
  for (auto& r : rprocs_)
    if (r->desc.id == processor_id) {
      std::lock_guard lock(r->mutex);
      return r->state;
    }
  return FirmwareState::kOff;
}

TeeCode RemoteprocTa::reject(Rproc& r, const char* command, const Error& e) {
  r.last_error = fmt::format("{} rejected: {} [{} {}]", command, e.message, tee_code_name(e.code),
                             tee_code_hex(e.code));
  tee::log(tee::LogLevel::kError, "remoteproc TA", "{}: {}", r.desc.name, r.last_error);
  return e.code;
}

TeeCode RemoteprocTa::command(Rproc& r, uint32_t command, tee::TaParams& params) {
  if (params[0].type != ParamType::kValueInput) return TeeCode::kBadParameters;
  // A session controls the processor it was opened for, never another one.
  std::lock_guard lock(r.mutex);
  if (params[0].a != r.desc.id)
    return reject(r, "command",
                  make_error(TeeCode::kAccessDenied,
                             "this session controls processor {}, "
                             "not {}",
                             r.desc.id, params[0].a));
  switch (command) {
    case cmd::kLoadFw:
      return load(r, params);
    case cmd::kStartFw:
      return start(r);
    case cmd::kStopFw:
      return stop(r);
    case cmd::kGetRscTable:
      return get_rsc_table(r, params);
    case cmd::kGetCoredump:
      return coredump(r, params);
    case cmd::kReleaseFw:
      return release(r);
    case cmd::kGetLastError:
      return last_error(r, params);
    default:
      return TeeCode::kBadParameters;  // as OP-TEE's TA answers a command it does not know
  }
}

TeeCode RemoteprocTa::load(Rproc& r, tee::TaParams& params) {
  if (param_types(params) != cmd::kLoadFwParams) return TeeCode::kBadParameters;
  const auto image = params[1].memory.first(std::min(params[1].size, params[1].memory.size()));
  if (image.empty())
    return reject(r, "LOAD_FW", make_error(TeeCode::kBadParameters, "empty image buffer"));
  if (r.state == FirmwareState::kStarted)
    return reject(r, "LOAD_FW",
                  make_error(TeeCode::kBadState, "the firmware is running: stop it first"));
  if (r.state == FirmwareState::kLoaded) {
    // H13: only the image already loaded may be "loaded" again (Linux's load after parse_fw).
    auto id = image_identity(image);
    if (id && *id == r.loaded->identity) return TeeCode::kSuccess;
    return reject(
        r, "LOAD_FW",
        make_error(TeeCode::kBadState, "another image is already loaded: release it first"));
  }
  PlatformPort platform = port(r);
  // H8: wipe before loading, and after any failure.
  if (auto s = platform.release(); !s) return reject(r, "LOAD_FW", s.error());
  auto fw = load_firmware(image, platform, r.desc);
  if (!fw) {
    (void)platform.release();
    return reject(r, "LOAD_FW", fw.error());
  }
  r.loaded = *fw;
  r.state = FirmwareState::kLoaded;
  r.last_error.clear();
  return TeeCode::kSuccess;
}

TeeCode RemoteprocTa::start(Rproc& r) {
  if (r.state == FirmwareState::kStarted) return TeeCode::kSuccess;
  if (r.state == FirmwareState::kOff)
    return reject(r, "START_FW", make_error(TeeCode::kBadState, "no firmware is loaded"));
  PlatformPort platform = port(r);
  if (auto s = platform.start(r.loaded->boot_address, r.loaded->boot_secure); !s)
    return reject(r, "START_FW", s.error());
  r.state = FirmwareState::kStarted;
  // H12: the stored version advances only once an authenticated image has started.
  if (r.loaded->security_version)
    if (auto s = platform.rollback_commit(*r.loaded->security_version); !s)
      tee::log(tee::LogLevel::kError, "remoteproc TA", "{}: {}", r.desc.name, s.error().message);
  return TeeCode::kSuccess;
}

TeeCode RemoteprocTa::stop(Rproc& r) {
  if (r.state == FirmwareState::kOff) return TeeCode::kSuccess;
  if (r.state == FirmwareState::kLoaded)
    return reject(r, "STOP_FW",
                  make_error(TeeCode::kBadState, "the firmware is loaded but not started"));
  PlatformPort platform = port(r);
  if (auto s = platform.stop(); !s) return reject(r, "STOP_FW", s.error());
  (void)platform.release();  // H8: nothing of the firmware survives a STOP
  r.state = FirmwareState::kOff;
  r.loaded.reset();
  return TeeCode::kSuccess;
}

TeeCode RemoteprocTa::get_rsc_table(Rproc& r, tee::TaParams& params) {
  if (param_types(params) != cmd::kGetRscTableParams) return TeeCode::kBadParameters;
  if (r.state == FirmwareState::kOff)
    return reject(r, "GET_RSC_TABLE", make_error(TeeCode::kBadState, "no firmware is loaded"));
  split64(params[1], r.loaded->rsc_pa);
  split64(params[2], r.loaded->rsc_size);
  return TeeCode::kSuccess;
}

TeeCode RemoteprocTa::coredump(Rproc& r, tee::TaParams& params) {
  if (param_types(params) != cmd::kGetCoredumpParams) return TeeCode::kBadParameters;
  if (r.state == FirmwareState::kOff)
    return reject(r, "GET_COREDUMP",
                  make_error(TeeCode::kBadState, "no firmware: the memories are wiped"));
  size_t needed = 0;
  const TeeCode code = port(r).coredump(
      params[1].memory.first(std::min(params[1].size, params[1].memory.size())), needed);
  params[1].size = needed;
  return code;
}

TeeCode RemoteprocTa::release(Rproc& r) {
  if (r.state == FirmwareState::kStarted)
    return reject(r, "RELEASE_FW",
                  make_error(TeeCode::kBadState, "the firmware is running: stop it first"));
  if (auto s = port(r).release(); !s) return reject(r, "RELEASE_FW", s.error());
  r.state = FirmwareState::kOff;
  r.loaded.reset();
  return TeeCode::kSuccess;
}

TeeCode RemoteprocTa::last_error(Rproc& r, tee::TaParams& params) {
  if (param_types(params) != cmd::kGetLastErrorParams) return TeeCode::kBadParameters;
  const std::string& m = r.last_error;
  if (params[1].memory.size() < m.size() + 1 || params[1].size < m.size() + 1) {
    params[1].size = m.size() + 1;
    return TeeCode::kShortBuffer;
  }
  std::memcpy(params[1].memory.data(), m.c_str(), m.size() + 1);
  params[1].size = m.size() + 1;
  return TeeCode::kSuccess;
}

}  // namespace rproctee::ta
