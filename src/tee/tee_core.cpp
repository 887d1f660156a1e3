#include "tee/tee_core.hpp"

#include <fmt/format.h>

#include <atomic>

#include "tee/log.hpp"

namespace rproctee::tee {

void ta_panic(const std::string& why) {
  throw TaPanic(why);
}

uint32_t param_types(const TaParams& p) {
  return param_types(p[0].type, p[1].type, p[2].type, p[3].type);
}

/// One TA instance and whether it panicked.
struct TeeCore::Instance {
  std::unique_ptr<TrustedApp> app;
  std::atomic<bool> dead{false};  // read by invoke() without the core's lock
};

/// One open session: serialised by `busy`; keeps its instance alive.
struct TeeCore::Session {
  uint64_t client = 0;
  std::shared_ptr<Instance> instance;
  std::unique_ptr<TaSession> ta;
  std::mutex busy;
};

TeeCore::~TeeCore() {
  // Close sessions before the instances they belong to, outside the lock: closing a session
  // may call back into the core (a TA closing its own TA-to-TA sessions).
  decltype(sessions_) sessions;
  decltype(tas_) tas{tas_.key_comp()};
  {
    std::lock_guard lock(mutex_);
    sessions.swap(sessions_);
    tas.swap(tas_);
  }
  sessions.clear();
  tas.clear();
}

void TeeCore::register_ta(const Uuid& uuid, Factory factory) {
  std::lock_guard lock(mutex_);
  tas_[uuid] = Registration{std::move(factory), nullptr};
}

uint64_t TeeCore::new_client_id() {
  std::lock_guard lock(mutex_);
  return next_client_++;
}

size_t TeeCore::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

Outcome TeeCore::open_session(const Caller& caller, const Uuid& uuid, TaParams& params,
                              uint32_t& session_id) {
  std::shared_ptr<Instance> instance;
  {
    std::lock_guard lock(mutex_);
    auto it = tas_.find(uuid);
    if (it == tas_.end()) return {TeeCode::kItemNotFound, kOriginTee};
    Registration& reg = it->second;
    if (!reg.instance || reg.instance->dead) {
      reg.instance = std::make_shared<Instance>();
      reg.instance->app = reg.factory(*this);
    }
    instance = reg.instance;
  }
  std::unique_ptr<TaSession> ta;
  try {
    auto opened = instance->app->open_session(caller, params);
    if (!opened) return {opened.error().code, kOriginTrustedApp};
    ta = std::move(*opened);
  } catch (const std::exception& e) {
    kill_instance(instance, e.what());
    return {TeeCode::kTargetDead, kOriginTee};
  }
  auto s = std::make_shared<Session>();
  s->client = caller.client;
  s->instance = instance;
  s->ta = std::move(ta);
  std::lock_guard lock(mutex_);
  session_id = next_session_++;
  sessions_[session_id] = std::move(s);
  return {TeeCode::kSuccess, kOriginTrustedApp};  // the TA accepted: its answer (as OP-TEE)
}

std::shared_ptr<TeeCore::Session> TeeCore::find(uint64_t client, uint32_t session) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session);
  if (it == sessions_.end() || it->second->client != client) return nullptr;
  return it->second;
}

Outcome TeeCore::invoke(uint64_t client, uint32_t session, uint32_t command, TaParams& params) {
  auto s = find(client, session);
  if (!s) return {TeeCode::kItemNotFound, kOriginTee};
  std::lock_guard busy(s->busy);
  if (s->instance->dead || !s->ta) return {TeeCode::kTargetDead, kOriginTee};
  try {
    const TeeCode code = s->ta->invoke(command, params);
    return {code, kOriginTrustedApp};
  } catch (const std::exception& e) {
    kill_instance(s->instance, e.what());
    return {TeeCode::kTargetDead, kOriginTee};
  }
}

void TeeCore::kill_instance(const std::shared_ptr<Instance>& instance, const std::string& why) {
  log(LogLevel::kError, "tee", "TA {} panicked: {}; its sessions are dead",
      instance->app ? instance->app->name() : "?", why);
  std::lock_guard lock(mutex_);
  instance->dead = true;
}

void TeeCore::close_session(uint64_t client, uint32_t session) {
  std::shared_ptr<Session> s;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session);
    if (it == sessions_.end() || it->second->client != client) return;
    s = std::move(it->second);
    sessions_.erase(it);
  }
  std::lock_guard busy(s->busy);  // wait for a call in progress
  try {
    s->ta.reset();
  } catch (const std::exception& e) {
    kill_instance(s->instance, e.what());
  }
}

void TeeCore::close_client(uint64_t client) {
  std::vector<uint32_t> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : sessions_)
      if (s->client == client) ids.push_back(id);
  }
  for (uint32_t id : ids) close_session(client, id);
}

Result<TaToTaSession> TeeCore::open_ta_session(const Uuid& caller, const Uuid& target,
                                               TaParams& params) {
  Caller c;
  c.login = 0xF0000000;  // TEE_LOGIN_TRUSTED_APP
  c.uuid = caller;
  c.client = kTaClient;
  uint32_t id = 0;
  const Outcome o = open_session(c, target, params, id);
  if (!o.ok()) return make_error(o.code, "cannot open a session on TA {}", target.str());
  return TaToTaSession(this, id);
}

TaToTaSession::~TaToTaSession() {
  if (core_) core_->close_session(kTaClient, id_);
}

Outcome TaToTaSession::invoke(uint32_t command, TaParams& params) const {
  return core_->invoke(kTaClient, id_, command, params);
}

}  // namespace rproctee::tee
