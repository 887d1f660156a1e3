// What a trusted application sees (the GlobalPlatform TEE Internal API, reduced to what the TAs
// here need): parameters, the caller's identity, sessions, and TA panics.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "common/result.hpp"
#include "protocol/param_types.hpp"
#include "protocol/uuid.hpp"

namespace rproctee::tee {

using protocol::is_memref;
using protocol::is_output;
using protocol::param_types;
using protocol::ParamType;
using protocol::Uuid;

/// One parameter. Memrefs point into shared memory the client can change at any time: read
/// what you need once (H1). `size` is the buffer size on entry and may be set on exit (a
/// larger value with SHORT_BUFFER says how much is needed).
struct TaParam {
  ParamType type = ParamType::kNone;
  uint32_t a = 0, b = 0;
  std::span<uint8_t> memory;
  size_t size = 0;
};

using TaParams = std::array<TaParam, 4>;

/// TEE_PARAM_TYPES of the parameters as given.
uint32_t param_types(const TaParams& params);

/// Who opened a session: a normal-world client (with its login) or another TA.
struct Caller {
  uint32_t login = 0;         // TEEC_LOGIN_*; 0xF0000000 (TEE_LOGIN_TRUSTED_APP) for TAs
  Uuid uuid{};                // the calling TA, for TA-to-TA sessions
  uint64_t client = 0;        // the normal-world client (connection) id
  uint32_t uid = 0, gid = 0;  // the client's identity (SO_PEERCRED), never what it claims
  bool is_ta() const { return login == 0xF0000000; }
};

/// An open session of a TA. Destroying it closes the session.
class TaSession {
 public:
  virtual ~TaSession() = default;
  virtual TeeCode invoke(uint32_t command, TaParams& params) = 0;
};

/// A trusted application: one instance serves all its sessions (multi-session, single
/// instance) and must be thread-safe across sessions.
class TrustedApp {
 public:
  virtual ~TrustedApp() = default;
  virtual Uuid uuid() const = 0;
  virtual std::string name() const = 0;
  /// Opens a session, or returns the TA's error code (origin TRUSTED_APP).
  virtual Result<std::unique_ptr<TaSession>> open_session(const Caller& caller,
                                                          TaParams& params) = 0;
};

/// TEE_Panic: the TA cannot continue. The TEE marks the TA dead (TARGET_DEAD for its
/// sessions) and stays up; the next session gets a fresh instance.
class TaPanic : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
[[noreturn]] void ta_panic(const std::string& why);

}  // namespace rproctee::tee
