// The TEE core: TA registry by UUID, sessions, TA-to-TA sessions, and TA panics that kill
// their TA's sessions (TARGET_DEAD) without taking the TEE down. Thread-safe: sessions of
// different clients run concurrently; calls on one session are serialised.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "tee/ta_api.hpp"

namespace rproctee::tee {

/// TEEC_ORIGIN_*: who produced a result code.
enum Origin : uint32_t { kOriginApi = 1, kOriginComms = 2, kOriginTee = 3, kOriginTrustedApp = 4 };

/// A result code with its origin.
struct Outcome {
  TeeCode code = TeeCode::kSuccess;
  uint32_t origin = kOriginTee;
  bool ok() const { return code == TeeCode::kSuccess; }
};

class TeeCore;

/// A session one TA holds on another (TEE_OpenTASession); closes on destruction.
class TaToTaSession {
 public:
  TaToTaSession(TeeCore* core, uint32_t id) : core_(core), id_(id) {}
  TaToTaSession(TaToTaSession&& o) noexcept : core_(o.core_), id_(o.id_) { o.core_ = nullptr; }
  TaToTaSession& operator=(TaToTaSession&&) = delete;
  ~TaToTaSession();
  Outcome invoke(uint32_t command, TaParams& params) const;

 private:
  TeeCore* core_;
  uint32_t id_;
};

class TeeCore {
 public:
  using Factory = std::function<std::unique_ptr<TrustedApp>(TeeCore&)>;

  TeeCore() = default;
  TeeCore(const TeeCore&) = delete;
  TeeCore& operator=(const TeeCore&) = delete;
  ~TeeCore();

  /// Makes a TA available; its instance is created on the first session.
  void register_ta(const Uuid& uuid, Factory factory);

  /// Opens a session. Unknown UUID: ITEM_NOT_FOUND, origin TEE. The TA's refusal: its code,
  /// origin TRUSTED_APP.
  Outcome open_session(const Caller& caller, const Uuid& uuid, TaParams& params, uint32_t& session);
  /// Invokes a command; `client` must own the session (else ITEM_NOT_FOUND, origin TEE).
  Outcome invoke(uint64_t client, uint32_t session, uint32_t command, TaParams& params);
  /// Closes a session (waits for a call in progress on it).
  void close_session(uint64_t client, uint32_t session);
  /// Closes every session of a client that went away.
  void close_client(uint64_t client);

  /// TEE_OpenTASession for `caller` (a TA).
  Result<TaToTaSession> open_ta_session(const Uuid& caller, const Uuid& target, TaParams& params);

  size_t session_count() const;
  /// A fresh client id for a new connection.
  uint64_t new_client_id();

 private:
  friend class TaToTaSession;
  struct Instance;
  struct Session;
  struct Registration {
    Factory factory;
    std::shared_ptr<Instance> instance;
  };

  std::shared_ptr<Session> find(uint64_t client, uint32_t session) const;
  void kill_instance(const std::shared_ptr<Instance>& instance, const std::string& why);

  mutable std::mutex mutex_;
  std::map<Uuid, Registration, bool (*)(const Uuid&, const Uuid&)> tas_{
      [](const Uuid& a, const Uuid& b) { return a.str() < b.str(); }};
  std::map<uint32_t, std::shared_ptr<Session>> sessions_;
  uint32_t next_session_ = 1;
  uint64_t next_client_ = 1;
};

/// The client id used for TA-to-TA sessions.
inline constexpr uint64_t kTaClient = 0;

}  // namespace rproctee::tee
