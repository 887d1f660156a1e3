#include "machine/connection.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/fault_injection.hpp"
#include "common/scope_guard.hpp"
#include "protocol/mailbox_page.hpp"

namespace rproctee::machine {

using protocol::MailboxCommand;
using protocol::MessageKind;
using tee::kOriginComms;
using tee::kOriginTee;
using tee::Outcome;

namespace {
Reply reply_with(const Request& r, TeeCode code, uint32_t origin) {
  Reply out;
  out.seq = r.seq;
  out.code = static_cast<uint32_t>(code);
  out.origin = origin;
  return out;
}

void close_all(std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
  fds.clear();
}

/// Whether the client process is in `group` (its effective or a supplementary group).
bool is_member_of(const ClientIdentity& who, uint32_t group) {
  if (who.gid == group) return true;
  std::ifstream status(fmt::format("/proc/{}/status", who.pid));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Groups:", 0) != 0) continue;
    std::istringstream groups(line.substr(7));
    for (uint32_t g; groups >> g;)
      if (g == group) return true;
  }
  return false;
}
}  // namespace

ClientIdentity ClientIdentity::of_this_process() {
  return ClientIdentity{::getpid(), ::geteuid(), ::getegid()};
}

Connection::Connection(Machine& machine, ClientIdentity identity)
    : machine_(machine), identity_(identity), client_(machine.tee().new_client_id()) {}

Connection::~Connection() {
  machine_.tee().close_client(client_);
  for (auto& [id, shm] : shms_) {
    ::munmap(shm.data, shm.size);
    machine_.release_shared_memory(shm.size);
  }
}

Reply Connection::handle(const Request& r, std::vector<int> fds, std::vector<int>& reply_fds) {
  if (r.kind != MessageKind::kRegisterShm) close_all(fds);  // nobody else sends descriptors
  switch (r.kind) {
    case MessageKind::kRegisterShm:
      return register_shm(r, fds);
    case MessageKind::kReleaseShm:
      return release_shm(r);
    case MessageKind::kMapRegions:
      return map_regions(reply_fds);
    case MessageKind::kGetDeviceTree:
      return device_tree(reply_fds);
    case MessageKind::kCoreControl:
      return core_control(r);
    case MessageKind::kMailbox:
      return mailbox(r);
    case MessageKind::kMapMailbox:
      return map_mailbox(r, reply_fds);
    case MessageKind::kCancel:
      return reply_with(r, TeeCode::kSuccess, kOriginTee);
    case MessageKind::kCloseSession:
      machine_.tee().close_session(client_, r.session);
      sessions_.erase(r.session);
      return reply_with(r, TeeCode::kSuccess, kOriginTee);
    case MessageKind::kOpenSession:
    case MessageKind::kInvoke:
      break;
  }
  tee::TaParams params{};
  Outcome o = to_ta_params(r.params, params);
  Reply out = reply_with(r, o.code, o.origin);
  if (!o.ok()) return out;
  if (r.kind == MessageKind::kOpenSession) return open_session(r, params);
  o = machine_.tee().invoke(client_, r.session, r.command, params);
  out.code = static_cast<uint32_t>(o.code);
  out.origin = o.origin;
  out.params = r.params;
  to_wire(params, out.params);
  return out;
}

// The identity of a USER or GROUP login is the peer's, as the kernel's TEE driver computes it
// (SO_PEERCRED), never what the client claims; a GROUP login names a group the peer is in.
Reply Connection::open_session(const Request& r, tee::TaParams& params) {
  if (sessions_.size() >= machine_.limits().sessions_per_client)
    return reply_with(r, TeeCode::kBusy, kOriginTee);
  tee::Caller caller;
  caller.login = r.login;
  caller.client = client_;
  caller.uid = identity_.uid;
  caller.gid = identity_.gid;
  const bool group_login =
      r.login == protocol::kLoginGroup || r.login == protocol::kLoginGroupApplication;
  if (group_login) {
    const uint32_t group = r.command;  // the group id of connectionData
    if (!is_member_of(identity_, group)) return reply_with(r, TeeCode::kAccessDenied, kOriginTee);
    caller.gid = group;
  }
  Reply out = reply_with(r, TeeCode::kSuccess, kOriginTee);
  const Outcome o = machine_.tee().open_session(caller, r.uuid, params, out.session);
  if (o.ok()) sessions_.insert(out.session);
  out.code = static_cast<uint32_t>(o.code);
  out.origin = o.origin;
  out.params = r.params;
  to_wire(params, out.params);
  return out;
}

Reply Connection::register_shm(const Request& r, std::vector<int>& fds) {
  if (fds.size() != 1) {
    close_all(fds);
    return reply_with(r, TeeCode::kBadParameters, kOriginComms);
  }
  const int fd = fds[0];
  fds.clear();
  auto refuse = [&](TeeCode code) {
    ::close(fd);
    return reply_with(r, code, kOriginTee);
  };
  if (r.shm_size == 0) return refuse(TeeCode::kBadParameters);
  // More than the TEE maps for one client buffer: no room, as a TEE driver answers ENOMEM.
  if (r.shm_size > kMaxSharedMemory) return refuse(TeeCode::kOutOfMemory);
  const ClientLimits& limits = machine_.limits();
  if (shms_.size() >= limits.shms_per_client ||
      r.shm_size > limits.shm_bytes_per_client - std::min(shm_bytes_, limits.shm_bytes_per_client))
    return refuse(TeeCode::kOutOfMemory);
  // Only memfds sealed against shrinking: a client truncating the file under us would turn
  // every access into SIGBUS. And only ordinary (tmpfs) ones: in a hugetlb memfd the client
  // can punch out our huge-page reservation and take the pool's pages (SIGBUS again), and
  // munmap of a size that is not a huge-page multiple fails, leaking mappings.
  const int seals = ::fcntl(fd, F_GET_SEALS);
  struct stat st {};
  struct statfs fs {};
  if (seals < 0 || !(seals & F_SEAL_SHRINK) || ::fstat(fd, &st) != 0 ||
      static_cast<uint64_t>(st.st_size) < r.shm_size || ::fstatfs(fd, &fs) != 0 ||
      fs.f_type != TMPFS_MAGIC)
    return refuse(TeeCode::kBadParameters);
  if (should_fail(FaultPoint::kMapping)) return refuse(TeeCode::kOutOfMemory);
  if (!machine_.reserve_shared_memory(r.shm_size)) return refuse(TeeCode::kOutOfMemory);
  void* p = ::mmap(nullptr, r.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    machine_.release_shared_memory(r.shm_size);
    return refuse(TeeCode::kOutOfMemory);
  }
  ::close(fd);  // the mapping keeps the memory
  shm_bytes_ += r.shm_size;
  const uint32_t id = next_shm_++;
  shms_[id] = Shm{static_cast<uint8_t*>(p), r.shm_size, r.shm_flags};
  Reply out = reply_with(r, TeeCode::kSuccess, kOriginTee);
  out.shm = id;
  return out;
}

Reply Connection::release_shm(const Request& r) {
  auto it = shms_.find(r.shm);
  if (it == shms_.end()) return reply_with(r, TeeCode::kItemNotFound, kOriginTee);
  ::munmap(it->second.data, it->second.size);
  shm_bytes_ -= it->second.size;
  machine_.release_shared_memory(it->second.size);
  shms_.erase(it);
  return reply_with(r, TeeCode::kSuccess, kOriginTee);
}

Reply Connection::map_regions(std::vector<int>& reply_fds) {
  Reply out;
  const platform::Description& d = machine_.description();
  for (size_t i = 0; i < d.layout.regions.size(); ++i) {
    if (!platform::exported_to_normal_world(d, i)) continue;  // H14: never a secure region
    const soc::MemoryRegion& region = machine_.soc().region(i);
    const int fd = ::fcntl(region.fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) continue;
    reply_fds.push_back(fd);
    out.regions.push_back(
        protocol::RegionInfo{d.layout.regions[i].name, region.base(), region.size()});
  }
  return out;
}

// The normal-world device tree, as a bootloader hands it to Linux: a sealed memfd the client
// maps read-only. It never holds the secure-world node (dt::normal_world_blob).
Reply Connection::device_tree(std::vector<int>& reply_fds) {
  const std::vector<uint8_t>& blob = machine_.description().normal_world_dtb;
  Reply out;
  const int fd = ::memfd_create("rproctee-normal-world.dtb", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    out.code = static_cast<uint32_t>(TeeCode::kOutOfMemory);
    return out;
  }
  ScopeGuard close_fd([fd] { ::close(fd); });
  size_t written = 0;
  while (written < blob.size()) {
    const ssize_t n = ::write(fd, blob.data() + written, blob.size() - written);
    if (n <= 0) {
      out.code = static_cast<uint32_t>(TeeCode::kOutOfMemory);
      return out;
    }
    written += static_cast<size_t>(n);
  }
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    out.code = static_cast<uint32_t>(TeeCode::kOutOfMemory);
    return out;
  }
  close_fd.dismiss();
  reply_fds.push_back(fd);
  out.params[0].a = static_cast<uint32_t>(blob.size());
  return out;
}

Reply Connection::core_control(const Request& r) {
  const dt::Layout& d = machine_.description().layout;
  if (r.session >= d.processors.size()) return reply_with(r, TeeCode::kBadParameters, kOriginTee);
  // A TEE-controlled processor's reset belongs to the secure world alone.
  if (d.processors[r.session].mode == dt::ProcessorMode::kTee)
    return reply_with(r, TeeCode::kAccessDenied, kOriginTee);
  soc::CoreControl& core = machine_.soc().core(r.session);
  if (r.command == 1) {
    auto s = core.start(static_cast<uint32_t>(r.shm_size), false);
    return reply_with(r, s ? TeeCode::kSuccess : s.error().code, kOriginTee);
  }
  if (r.command == 2) {
    machine_.soc().stop_core(r.session);
    return reply_with(r, TeeCode::kSuccess, kOriginTee);
  }
  return reply_with(r, TeeCode::kBadParameters, kOriginTee);
}

// The normal world's side (processor 1) of a processor's IPCC channels. Only the channels the
// processor's `mboxes` name; waits are bounded so that a stopping machine is never held.
Reply Connection::mailbox(const Request& r) {
  const dt::Layout& d = machine_.description().layout;
  if (r.session >= d.processors.size()) return reply_with(r, TeeCode::kBadParameters, kOriginTee);
  const auto& channels = d.processors[r.session].mailboxes;
  const auto command = static_cast<MailboxCommand>(r.command);
  // kWaitReceived watches every channel of the processor's controller; the others name one.
  uint32_t mask = 0;
  const dt::MailboxChannel* chan = nullptr;
  for (const dt::MailboxChannel& m : channels) {
    if (command == MailboxCommand::kWaitReceived ? m.controller == channels[0].controller
                                                 : m.channel == r.params[0].a) {
      chan = &m;
      mask |= 1u << m.channel;
    }
  }
  soc::Ipcc* ipcc = chan ? machine_.soc().ipcc(chan->controller) : nullptr;
  if (!ipcc) return reply_with(r, TeeCode::kBadParameters, kOriginTee);
  const auto timeout = std::chrono::milliseconds(std::min(r.shm_size, protocol::kMaxMailboxWaitMs));
  soc::Ipcc::Flags f;
  switch (command) {
    case MailboxCommand::kSend:
      ipcc->host_send(chan->channel);
      f = ipcc->flags();
      break;
    case MailboxCommand::kAcknowledge:
      ipcc->host_ack(chan->channel);
      f = ipcc->flags();
      break;
    case MailboxCommand::kWaitReceived:
      // Also returns when the core crashed since the generation the client saw (params[0].b):
      // the crash reaches the normal world like an interrupt would.
      f = ipcc->wait(
          [&](const soc::Ipcc::Flags& x) {
            return (x.received & mask) != 0 ||
                   machine_.soc().crashes(r.session).generation != r.params[0].b;
          },
          timeout);
      break;
    case MailboxCommand::kWaitFree:
      f = ipcc->wait([&](const soc::Ipcc::Flags& x) { return (x.occupied & mask) == 0; }, timeout);
      break;
    default:
      return reply_with(r, TeeCode::kBadParameters, kOriginTee);
  }
  Reply out = reply_with(r, TeeCode::kSuccess, kOriginTee);
  out.params[0].a = f.received & mask;
  out.params[0].b = f.occupied & mask;
  const soc::Soc::CrashRecord crashes = machine_.soc().crashes(r.session);
  out.params[1].a = crashes.generation;
  out.params[1].b = static_cast<uint32_t>(crashes.last.kind);
  out.params[2].a = crashes.last.pc;
  out.params[2].b = crashes.last.address;
  return out;
}

// The fast path of the same channels: the processor's mailbox page, shared by every client.
Reply Connection::map_mailbox(const Request& r, std::vector<int>& reply_fds) {
  auto page = machine_.mailbox_page(r.session);
  if (!page) return reply_with(r, page.error().code, kOriginTee);
  reply_fds.push_back(page->fd);
  Reply out = reply_with(r, TeeCode::kSuccess, kOriginTee);
  out.params[0].a = protocol::mailbox_page::kSize;
  out.params[0].b = page->channel_mask;
  return out;
}

Outcome Connection::to_ta_params(const std::array<WireParam, 4>& wire, tee::TaParams& out) const {
  for (size_t i = 0; i < 4; ++i) {
    const WireParam& w = wire[i];
    tee::TaParam& p = out[i];
    if (w.type > 7 || w.type == 4) return {TeeCode::kBadParameters, kOriginComms};
    p.type = static_cast<tee::ParamType>(w.type);
    p.a = w.a;
    p.b = w.b;
    if (!is_memref(p.type)) continue;
    if (w.shm == 0) {  // a null memref: only of size 0
      if (w.size != 0) return {TeeCode::kBadParameters, kOriginComms};
      continue;
    }
    auto it = shms_.find(w.shm);
    if (it == shms_.end()) return {TeeCode::kBadParameters, kOriginComms};
    const Shm& shm = it->second;
    if (w.offset > shm.size || w.size > shm.size - w.offset)
      return {TeeCode::kBadParameters, kOriginComms};
    p.memory = std::span(shm.data + w.offset, static_cast<size_t>(w.size));
    p.size = static_cast<size_t>(w.size);
  }
  return {};
}

void Connection::to_wire(const tee::TaParams& params, std::array<WireParam, 4>& wire) {
  for (size_t i = 0; i < 4; ++i) {
    const tee::TaParam& p = params[i];
    if (!is_output(p.type)) continue;
    if (is_memref(p.type)) {
      wire[i].size = p.size;
    } else {
      wire[i].a = p.a;
      wire[i].b = p.b;
    }
  }
}

}  // namespace rproctee::machine
