// Unix SOCK_SEQPACKET sockets: the one place that creates, binds and connects them, and that
// sends and receives messages with file descriptors (SCM_RIGHTS). Used by the machine's TEE
// socket, the TEE client and the control socket of `rproctee up`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

#include <string_view>

namespace rproctee {

inline constexpr size_t kMaxFdsPerMessage = 64;

/// A listening socket at `path` (mode 0600). It is bound under a temporary name in the same
/// directory and renamed to `path` only once it listens, so whoever sees `path` can connect;
/// a stale socket file at `path` is replaced. COMMUNICATION on failure.
Result<int> listen_seqpacket(const std::string& path, int backlog = 16);

/// OK when `fd` is a SOCK_SEQPACKET socket that listens (one handed over by a service manager);
/// BAD_PARAMETERS saying what it is otherwise.
Status check_listening_seqpacket(int fd);

/// A socket connected to `path`. ITEM_NOT_FOUND when nothing listens there.
Result<int> connect_seqpacket(const std::string& path);

/// Accepts one connection (SOCK_CLOEXEC). When the process is out of descriptors (EMFILE,
/// ENFILE) the pending connection is taken with `spare` (a descriptor kept open for this, e.g.
/// of /dev/null, reopened after) and closed at once, so that a listener never spins on a
/// connection it cannot accept: returns -1 then, as for any other failure.
int accept_connection(int listener, int& spare);

/// Who is at the other end of a Unix socket (SO_PEERCRED).
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};
Result<PeerCredentials> peer_credentials(int socket);

/// ACCESS_DENIED unless the peer runs as this process's effective user or as root: another
/// local user may neither drive our servers nor answer in place of them. `what` names the
/// socket in the message.
Status check_peer_is_trusted(int socket, std::string_view what);

/// Bounds how long one send or receive on `socket` may block (SO_SNDTIMEO, SO_RCVTIMEO).
void set_io_timeout(int socket, std::chrono::milliseconds timeout);

/// Sends one message with `fds` attached. COMMUNICATION on failure (EPIPE included).
Status send_message(int socket, std::span<const uint8_t> bytes, std::span<const int> fds);

struct ReceivedMessage {
  std::vector<uint8_t> bytes;
  std::vector<int> fds;  // owned by the receiver
};

/// Receives one message of at most `max_size` bytes; an empty message with no error means the
/// peer closed the connection. A truncated message or descriptor list is an error (and every
/// received descriptor is closed). At most `max_fds` descriptors are taken: the kernel closes
/// any beyond them, so a peer cannot make the receiver hold more than it expects.
Result<ReceivedMessage> receive_message(int socket, size_t max_size,
                                        size_t max_fds = kMaxFdsPerMessage);

}  // namespace rproctee
