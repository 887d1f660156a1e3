#include "fuzz_tee_message_entry.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "machine/connection.hpp"
#include "platform/secure_config.hpp"
#include "protocol/machine_link.hpp"
#include "protocol/ta_remoteproc.hpp"

namespace rproctee::fuzz {

namespace {

#define FUZZ_CHECK(cond)                                                                       \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                                        \
    }                                                                                          \
  } while (0)

machine::Machine& machine() {
  static std::unique_ptr<machine::Machine> m = [] {
    auto d = platform::load_preset("stm32mp25");
    if (!d) std::abort();
    auto created = machine::Machine::create({*d, "", false});
    if (!created) std::abort();
    return std::move(*created);
  }();
  return *m;
}

}  // namespace

void fuzz_tee_message_one(std::span<const uint8_t> data) {
  if (auto reply = protocol::decode_reply(data)) {
    FUZZ_CHECK(protocol::decode_reply(protocol::encode(*reply)).value() == *reply);
  }
  auto request = protocol::decode_request(data);
  if (!request) return;
  FUZZ_CHECK(protocol::decode_request(protocol::encode(*request)).value() == *request);
  // A mailbox wait may last up to kMaxMailboxWaitMs; the fuzzer learns to ask for that, and
  // each such input then costs a second of waiting for nothing. 1 ms still takes the path.
  if (request->kind == protocol::MessageKind::kMailbox)
    request->shm_size = std::min<uint64_t>(request->shm_size, 1);
  machine::Connection connection(machine(), machine::ClientIdentity::of_this_process());
  std::vector<int> reply_fds;
  const protocol::Reply r = connection.handle(*request, {}, reply_fds);
  // Never a descriptor of a firewalled region, never a shared memory without a descriptor;
  // the descriptors that are no region: the normal-world device tree's memfd and a mailbox page.
  const bool extra_fd = (request->kind == protocol::MessageKind::kGetDeviceTree ||
                         request->kind == protocol::MessageKind::kMapMailbox) &&
                        r.code == 0;
  FUZZ_CHECK(r.regions.size() + (extra_fd ? 1 : 0) == reply_fds.size());
  FUZZ_CHECK(request->kind != protocol::MessageKind::kRegisterShm || r.code != 0);
  for (int fd : reply_fds) ::close(fd);
}

std::vector<std::vector<uint8_t>> fuzz_tee_message_seeds() {
  std::vector<std::vector<uint8_t>> out;
  protocol::Request open;
  open.kind = protocol::MessageKind::kOpenSession;
  open.uuid = protocol::rproc_ta::kUuid;
  open.login = 0x80000000;
  open.params[0] = protocol::WireParam{1, 0};
  out.push_back(protocol::encode(open));
  protocol::Request invoke;
  invoke.kind = protocol::MessageKind::kInvoke;
  invoke.session = 1;
  invoke.command = 4;
  invoke.params[0] = protocol::WireParam{1, 0};
  invoke.params[1] = protocol::WireParam{2};
  invoke.params[2] = protocol::WireParam{2};
  out.push_back(protocol::encode(invoke));
  invoke.command = 1;
  invoke.params[1] = protocol::WireParam{5, 0, 0, 1, 16, 4096};
  out.push_back(protocol::encode(invoke));
  for (auto kind : {protocol::MessageKind::kCloseSession, protocol::MessageKind::kRegisterShm,
                    protocol::MessageKind::kReleaseShm, protocol::MessageKind::kCancel,
                    protocol::MessageKind::kMapRegions}) {
    protocol::Request r;
    r.kind = kind;
    r.shm = 1;
    r.shm_size = 4096;
    out.push_back(protocol::encode(r));
  }
  protocol::Reply reply;
  reply.regions.push_back({"ipc-shmem", 0x81200000, 0xf8000});
  out.push_back(protocol::encode(reply));
  return out;
}

}  // namespace rproctee::fuzz
