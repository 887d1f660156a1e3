// The machine link: the messages between a normal-world process and the machine (secure
// world + simulated SoC), the same for the in-process and the socket transports. TEE calls
// (open/invoke/close, shared memory) and the SoC wires a board gives Linux (the normal-world
// device tree, the non-secure memory regions, the mailbox, the reset of processors Linux
// controls itself). Encoded little-endian; decoded with the bounds-checked reader
// (the machine treats every message as untrusted input). File descriptors (shared memory,
// memory regions) travel beside a message, never inside it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocol/uuid.hpp"

namespace rproctee::protocol {

/// TEEC_LOGIN_* values a client sends (GlobalPlatform).
inline constexpr uint32_t kLoginGroup = 2;
inline constexpr uint32_t kLoginGroupApplication = 6;

enum class MessageKind : uint32_t {
  kOpenSession = 1,  // login; command = the group id of a GROUP login (connectionData)
  kInvoke = 2,
  kCloseSession = 3,
  kRegisterShm = 4,  // one fd: the memfd of the shared memory
  kReleaseShm = 5,
  kCancel = 6,
  kMapRegions = 7,      // reply: the regions the normal world may map, one fd each
  kCoreControl = 8,     // session = processor index, command 1 start (shm_size = boot da) / 2 stop;
                        // only for processors the normal world controls (ELF mode)
  kMailbox = 9,         // (older clients; kMapMailbox is the fast path) session = processor
                        // index, command = MailboxCommand, params[0].a = the
                        // channel, shm_size = timeout in ms; reply params[0].a/.b = the IPCC's
                        // received/occupied flags, params[1].a/.b = the core's crash count and
                        // last crash kind (CrashKind), params[2].a/.b = its pc / address
  kGetDeviceTree = 10,  // reply: one fd, a sealed memfd holding the normal-world device tree
                        // (the platform's, without its secure-world node); params[0].a = its
                        // size in bytes
  kMapMailbox = 11,     // session = processor index; reply: one fd, the processor's mailbox
                        // page (protocol/mailbox_page.hpp), a memfd sealed against growing and
                        // shrinking to map shared and writable; params[0].a = its size,
                        // params[0].b = the channels it serves (bit n = IPCC channel n)
};
inline constexpr uint32_t kLastMessageKind = 11;

/// Why a remote core stopped on its own (reported beside the mailbox flags, and in core dumps).
enum class CrashKind : uint32_t {
  kBadAccess = 1,
  kUndefinedInstruction = 2,
  kBreakpoint = 3,
  kLockup = 4,
  kWatchdog = 5,
};
const char* crash_kind_name(CrashKind kind);

enum class MailboxCommand : uint32_t {
  kSend = 1,          // host -> remote doorbell on a channel
  kAcknowledge = 2,   // clear a remote -> host message
  kWaitReceived = 3,  // until a remote -> host message is pending, the core's crash count
                      // differs from params[0].b, or the timeout
  kWaitFree = 4,      // until the remote cleared the channel (or the timeout)
};
/// Longest wait the machine accepts in one request (clients loop for longer waits).
inline constexpr uint64_t kMaxMailboxWaitMs = 1000;

/// A parameter on the wire: a value, or a memref into a registered shared memory.
struct WireParam {
  uint32_t type = 0;  // TEE_PARAM_TYPE_* (ParamType)
  uint32_t a = 0, b = 0;
  uint32_t shm = 0;  // 0: no shared memory (a null memref of size 0)
  uint64_t offset = 0;
  uint64_t size = 0;
  bool operator==(const WireParam&) const = default;
};

struct Request {
  MessageKind kind = MessageKind::kInvoke;
  uint32_t seq = 0;
  Uuid uuid{};
  uint32_t login = 0;
  uint32_t session = 0;
  uint32_t command = 0;
  uint32_t shm = 0;  // kRegisterShm / kReleaseShm
  uint64_t shm_size = 0;
  uint32_t shm_flags = 0;  // TEEC_MEM_INPUT | TEEC_MEM_OUTPUT
  std::array<WireParam, 4> params{};
  bool operator==(const Request&) const = default;
};

/// A memory region the normal world may map (kMapRegions).
struct RegionInfo {
  std::string name;
  uint64_t pa = 0;
  uint64_t size = 0;
  bool operator==(const RegionInfo&) const = default;
};

struct Reply {
  uint32_t seq = 0;
  uint32_t code = 0;    // TeeCode
  uint32_t origin = 0;  // Origin
  uint32_t session = 0;
  uint32_t shm = 0;
  std::array<WireParam, 4> params{};
  std::vector<RegionInfo> regions;
  bool operator==(const Reply&) const = default;
};

/// Largest encoded message (a reply with many regions stays far below).
inline constexpr size_t kMaxMessageSize = 16 * 1024;
inline constexpr size_t kMaxRegions = 64;
/// Largest normal-world device tree a client accepts.
inline constexpr size_t kMaxDeviceTree = 1 << 20;

std::vector<uint8_t> encode(const Request& request);
std::vector<uint8_t> encode(const Reply& reply);
/// COMMUNICATION errors name the field that does not decode.
Result<Request> decode_request(std::span<const uint8_t> bytes);
Result<Reply> decode_reply(std::span<const uint8_t> bytes);

}  // namespace rproctee::protocol
