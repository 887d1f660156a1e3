// The rpmsg wire format (Linux virtio_rpmsg_bus.c / OpenAMP): the 16-byte message header in
// front of every buffer and the name-service announcement. Everything parsed here comes from
// the firmware, so it is read through ByteReader and every field is checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace rproctee::rpmsg {

inline constexpr uint32_t kBufferSize = 512;
inline constexpr uint32_t kHeaderSize = 16;
inline constexpr uint32_t kMaxPayload = kBufferSize - kHeaderSize;  // 496
/// Linux caps the buffers at 512 (256 each way) however large the vrings are.
inline constexpr uint32_t kMaxBuffersPerDirection = 256;

inline constexpr uint32_t kNameServiceAddr = 0x35;
/// Addresses below this are reserved; dynamic endpoints are allocated from here up.
inline constexpr uint32_t kFirstDynamicAddr = 0x400;
inline constexpr uint32_t kAddrAny = 0xFFFFFFFF;
/// dfeatures bit 0 (VIRTIO_RPMSG_F_NS).
inline constexpr uint32_t kFeatureNameService = 1u << 0;
inline constexpr uint32_t kVirtioIdRpmsg = 7;

inline constexpr size_t kNameSize = 32;
inline constexpr size_t kNsMessageSize = kNameSize + 8;

struct Header {
  uint32_t src = 0, dst = 0, reserved = 0;
  uint16_t len = 0, flags = 0;
};

/// Parses the header at the start of a received buffer of which the device says it wrote
/// `buffer.size()` bytes: at least a header, and a payload length that fits both the
/// 496-byte limit and what was written.
Result<Header> parse_header(std::span<const uint8_t> buffer);

/// Writes `header` followed by `payload` (<= kMaxPayload, checked by the caller) into `out`.
void write_message(std::span<uint8_t> out, const Header& header, std::span<const uint8_t> payload);

enum class NsAction : uint32_t { kCreate = 0, kDestroy = 1 };

/// struct rpmsg_ns_msg { char name[32]; u32 addr; u32 flags; }.
struct NsMessage {
  std::string name;
  uint32_t addr = 0;
  NsAction action = NsAction::kCreate;
};

/// Exactly 40 bytes, a non-empty name NUL-terminated within its 32 bytes, flags 0 or 1.
Result<NsMessage> parse_ns_message(std::span<const uint8_t> payload);

/// The 40 bytes of an announcement (the firmware's side; tests and fakes use it). `name` is
/// cut to 31 characters.
std::vector<uint8_t> encode_ns_message(std::string_view name, uint32_t addr, NsAction action);

}  // namespace rproctee::rpmsg
