// The GDB remote serial protocol's framing: `$payload#cc` packets with a two-hex-digit checksum,
// `}`-escaping of binary payloads, `+`/`-` acknowledgements and the interrupt byte 0x03. Bytes
// from the debugger are untrusted: anything malformed is reported, never trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rproctee::soc::gdb {

/// What the decoder made of the bytes received so far.
struct Frame {
  enum class Kind {
    kPacket,       ///< a whole packet with a good checksum: answer `+`, then handle `payload`
    kBadChecksum,  ///< a whole packet whose checksum is wrong: answer `-` (gdb resends)
    kInterrupt,    ///< the 0x03 byte (Ctrl-C)
    kAck,          ///< `+`
    kNack,         ///< `-`: resend the last packet
  };
  Kind kind = Kind::kPacket;
  std::string payload;  ///< raw (still escaped) payload of kPacket
};

/// Splits a byte stream into frames. Bytes outside a packet other than `+`, `-` and 0x03 are
/// ignored (as gdbserver does); a packet longer than `max_payload` is dropped as a bad one.
class PacketDecoder {
 public:
  explicit PacketDecoder(size_t max_payload = 64 * 1024) : max_payload_(max_payload) {}
  void feed(std::span<const uint8_t> bytes);
  /// The next complete frame, in order of arrival.
  std::optional<Frame> next();

 private:
  enum class State { kIdle, kPayload, kCheck1, kCheck2 };
  size_t max_payload_;
  State state_ = State::kIdle;
  std::string payload_;
  bool overflow_ = false;
  uint8_t sum_ = 0;
  int check_ = 0;
  std::vector<Frame> ready_;
  size_t next_ = 0;
};

/// The modulo-256 sum of the payload's bytes.
uint8_t checksum(std::string_view payload);
/// `$payload#cc`, with `$`, `#`, `}` and `*` escaped (no run-length encoding is emitted).
std::string encode_packet(std::string_view payload);
/// Undoes `}` escaping (binary data of X packets); nullopt when the payload ends inside an
/// escape.
std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data);
/// Expands gdb's run-length encoding (`c*n`: n - 29 more copies of c); nullopt when malformed.
std::optional<std::string> expand_run_length(std::string_view payload);

/// Lower-case hex of bytes, and back (nullopt on an odd length or a non-hex digit).
std::string to_hex(std::span<const uint8_t> bytes);
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
/// A hex number of at most 16 digits (nullopt when empty, too long or not hex).
std::optional<uint64_t> parse_hex_number(std::string_view hex);

}  // namespace rproctee::soc::gdb
