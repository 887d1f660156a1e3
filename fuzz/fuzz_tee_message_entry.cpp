#include "fuzz_tee_message_entry.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unistd.h>

#include "platform/presets.hpp"
#include "tee/connection.hpp"
#include "tee/messages.hpp"

namespace rproctee::fuzz {

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                             \
    }                                                                               \
  } while (0)

tee::Machine& machine() {
  static std::unique_ptr<tee::Machine> m = [] {
    auto d = platform::load_preset("stm32mp25");
    if (!d) std::abort();
    auto created = tee::Machine::create({*d, "", false});
    if (!created) std::abort();
    return std::move(*created);
  }();
  return *m;
}

}  // namespace

void fuzz_tee_message_one(std::span<const uint8_t> data) {
  if (auto reply = tee::decode_reply(data)) {
    FUZZ_CHECK(tee::decode_reply(tee::encode(*reply)).value() == *reply);
  }
  auto request = tee::decode_request(data);
  if (!request) return;
  FUZZ_CHECK(tee::decode_request(tee::encode(*request)).value() == *request);
  tee::Connection connection(machine());
  std::vector<int> reply_fds;
  const tee::Reply r = connection.handle(*request, {}, reply_fds);
  // Never a descriptor of a firewalled region, never a shared memory without a descriptor.
  FUZZ_CHECK(r.regions.size() == reply_fds.size());
  FUZZ_CHECK(request->kind != tee::MessageKind::kRegisterShm || r.code != 0);
  for (int fd : reply_fds) ::close(fd);
}

std::vector<std::vector<uint8_t>> fuzz_tee_message_seeds() {
  std::vector<std::vector<uint8_t>> out;
  tee::Request open;
  open.kind = tee::MessageKind::kOpenSession;
  open.uuid = tee::kRemoteprocTaUuid;
  open.login = 0x80000000;
  open.params[0] = tee::WireParam{1, 0};
  out.push_back(tee::encode(open));
  tee::Request invoke;
  invoke.kind = tee::MessageKind::kInvoke;
  invoke.session = 1;
  invoke.command = 4;
  invoke.params[0] = tee::WireParam{1, 0};
  invoke.params[1] = tee::WireParam{2};
  invoke.params[2] = tee::WireParam{2};
  out.push_back(tee::encode(invoke));
  invoke.command = 1;
  invoke.params[1] = tee::WireParam{5, 0, 0, 1, 16, 4096};
  out.push_back(tee::encode(invoke));
  for (auto kind : {tee::MessageKind::kCloseSession, tee::MessageKind::kRegisterShm,
                    tee::MessageKind::kReleaseShm, tee::MessageKind::kCancel, tee::MessageKind::kMapRegions}) {
    tee::Request r;
    r.kind = kind;
    r.shm = 1;
    r.shm_size = 4096;
    out.push_back(tee::encode(r));
  }
  tee::Reply reply;
  reply.regions.push_back({"ipc-shmem", 0x81200000, 0xf8000});
  out.push_back(tee::encode(reply));
  return out;
}

}  // namespace rproctee::fuzz
