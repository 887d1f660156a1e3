#include "soc/gdb_packet.hpp"

namespace rproctee::soc::gdb {
namespace {

constexpr uint8_t kInterruptByte = 0x03;
constexpr char kEscape = '}';
constexpr uint8_t kEscapeXor = 0x20;
// gdb's run-length counts start at 29 (the first printable count character, ' ').
constexpr int kRunLengthBias = 29;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void PacketDecoder::feed(std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    switch (state_) {
      case State::kIdle:
        if (b == '$') {
          state_ = State::kPayload;
          payload_.clear();
          overflow_ = false;
          sum_ = 0;
        } else if (b == kInterruptByte) {
          ready_.push_back({Frame::Kind::kInterrupt, {}});
        } else if (b == '+') {
          ready_.push_back({Frame::Kind::kAck, {}});
        } else if (b == '-') {
          ready_.push_back({Frame::Kind::kNack, {}});
        }
        break;
      case State::kPayload:
        if (b == '#') {
          state_ = State::kCheck1;
          break;
        }
        sum_ = static_cast<uint8_t>(sum_ + b);
        if (payload_.size() < max_payload_)
          payload_.push_back(static_cast<char>(b));
        else
          overflow_ = true;
        break;
      case State::kCheck1:
        check_ = hex_digit(static_cast<char>(b)) << 4;
        if (hex_digit(static_cast<char>(b)) < 0) check_ = -1;
        state_ = State::kCheck2;
        break;
      case State::kCheck2: {
        const int low = hex_digit(static_cast<char>(b));
        const bool good = check_ >= 0 && low >= 0 && (check_ | low) == sum_ && !overflow_;
        if (good)
          ready_.push_back({Frame::Kind::kPacket, std::move(payload_)});
        else
          ready_.push_back({Frame::Kind::kBadChecksum, {}});
        payload_.clear();
        state_ = State::kIdle;
        break;
      }
    }
  }
}

std::optional<Frame> PacketDecoder::next() {
  if (next_ >= ready_.size()) {
    ready_.clear();
    next_ = 0;
    return std::nullopt;
  }
  return std::move(ready_[next_++]);
}

uint8_t checksum(std::string_view payload) {
  uint8_t sum = 0;
  for (char c : payload) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  return sum;
}

std::string encode_packet(std::string_view payload) {
  std::string body;
  body.reserve(payload.size() + 8);
  for (char c : payload) {
    if (c == '$' || c == '#' || c == kEscape || c == '*') {
      body.push_back(kEscape);
      body.push_back(static_cast<char>(c ^ kEscapeXor));
    } else {
      body.push_back(c);
    }
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  const uint8_t sum = checksum(body);
  return "$" + body + "#" + kDigits[sum >> 4] + kDigits[sum & 15];
}

std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data) {
  std::vector<uint8_t> out;
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] != kEscape) {
      out.push_back(static_cast<uint8_t>(data[i]));
      continue;
    }
    if (++i == data.size()) return std::nullopt;
    out.push_back(static_cast<uint8_t>(data[i] ^ kEscapeXor));
  }
  return out;
}

std::optional<std::string> expand_run_length(std::string_view payload) {
  std::string out;
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] != '*') {
      out.push_back(payload[i]);
      continue;
    }
    if (out.empty() || i + 1 == payload.size()) return std::nullopt;
    const int repeat = static_cast<uint8_t>(payload[++i]) - kRunLengthBias;
    if (repeat < 0 || out.size() + static_cast<size_t>(repeat) > 64 * 1024) return std::nullopt;
    out.append(static_cast<size_t>(repeat), out.back());
  }
  return out;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::optional<uint64_t> parse_hex_number(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : hex) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace rproctee::soc::gdb
