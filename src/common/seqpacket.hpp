// Unix SOCK_SEQPACKET sockets: the one place that creates, binds and connects them, and that
// sends and receives messages with file descriptors (SCM_RIGHTS). Used by the machine's TEE
// socket, the TEE client and the control socket of `rproctee up`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

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

/// Sends one message with `fds` attached. COMMUNICATION on failure (EPIPE included).
Status send_message(int socket, std::span<const uint8_t> bytes, std::span<const int> fds);

struct ReceivedMessage {
  std::vector<uint8_t> bytes;
  std::vector<int> fds;  // owned by the receiver
};

/// Receives one message of at most `max_size` bytes; an empty message with no error means the
/// peer closed the connection. A truncated message or descriptor list is an error (and every
/// received descriptor is closed).
Result<ReceivedMessage> receive_message(int socket, size_t max_size);

}  // namespace rproctee
