// The machine's side of one client (a TEE context): its shared memories and sessions, and the
// translation of wire parameters into TA parameters. Every message is untrusted input.
#pragma once

#include <sys/types.h>
#include <cstdint>

#include <map>
#include <set>
#include <vector>

#include "machine/machine.hpp"
#include "protocol/machine_link.hpp"

namespace rproctee::machine {

using protocol::Reply;
using protocol::Request;
using protocol::WireParam;

/// Who the client is, as the kernel's TEE driver knows it: from SO_PEERCRED for a socket client,
/// this process for an in-process one. Never what the client claims.
struct ClientIdentity {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  static ClientIdentity of_this_process();
};

class Connection {
 public:
  Connection(Machine& machine, ClientIdentity identity);
  ~Connection();  // closes the client's sessions, releases its shared memory
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Handles one request. `fds` came with it (this takes ownership); descriptors to send back
  /// are appended to `reply_fds` (the caller closes them after sending).
  Reply handle(const Request& request, std::vector<int> fds, std::vector<int>& reply_fds);

  uint64_t client() const { return client_; }

 private:
  struct Shm {  // mapped; its memfd is closed once mapped (a client's memory costs no descriptor)
    uint8_t* data = nullptr;
    uint64_t size = 0;
    uint32_t flags = 0;
  };
  Reply open_session(const Request& request, tee::TaParams& params);
  Reply register_shm(const Request& request, std::vector<int>& fds);
  Reply release_shm(const Request& request);
  Reply map_regions(std::vector<int>& reply_fds);
  Reply device_tree(std::vector<int>& reply_fds);
  Reply core_control(const Request& request);
  Reply mailbox(const Request& request);
  Reply map_mailbox(const Request& request, std::vector<int>& reply_fds);
  tee::Outcome to_ta_params(const std::array<WireParam, 4>& wire, tee::TaParams& out) const;
  static void to_wire(const tee::TaParams& params, std::array<WireParam, 4>& wire);

  Machine& machine_;
  ClientIdentity identity_;
  uint64_t client_;
  std::set<uint32_t> sessions_;  // open sessions of this client (bounded by the limits)
  std::map<uint32_t, Shm> shms_;
  uint64_t shm_bytes_ = 0;
  uint32_t next_shm_ = 1;
};

/// Largest shared memory a client may register.
inline constexpr uint64_t kMaxSharedMemory = 256ull << 20;

}  // namespace rproctee::machine
