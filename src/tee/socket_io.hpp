// SOCK_SEQPACKET messages with file descriptors (SCM_RIGHTS) on a Unix socket.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace rproctee::tee {

inline constexpr size_t kMaxFdsPerMessage = 64;

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

}  // namespace rproctee::tee
