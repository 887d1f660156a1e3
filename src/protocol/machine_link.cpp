#include "protocol/machine_link.hpp"

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"

namespace rproctee::protocol {

namespace {

constexpr uint32_t kRequestMagic = 0x51455452;  // "RTEQ"
constexpr uint32_t kReplyMagic = 0x50455452;    // "RTEP"

void put64(ByteWriter& w, uint64_t v) {
  w.u32(static_cast<uint32_t>(v));
  w.u32(static_cast<uint32_t>(v >> 32));
}

void put_params(ByteWriter& w, const std::array<WireParam, 4>& params) {
  for (const WireParam& p : params) {
    w.u32(p.type);
    w.u32(p.a);
    w.u32(p.b);
    w.u32(p.shm);
    put64(w, p.offset);
    put64(w, p.size);
  }
}

/// Sequential decoding over a ByteReader.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> b) : in_(b, "message", TeeCode::kCommunication) {}
  Result<uint32_t> u32(std::string_view field) {
    auto v = in_.u32(pos_, field);
    pos_ += 4;
    return v;
  }
  Result<uint64_t> u64(std::string_view field) {
    RPROCTEE_ASSIGN(const uint32_t lo, u32(field));
    RPROCTEE_ASSIGN(const uint32_t hi, u32(field));
    return uint64_t{lo} | uint64_t{hi} << 32;
  }
  Result<std::span<const uint8_t>> bytes(uint64_t n, std::string_view field) {
    auto v = in_.bytes(pos_, n, field);
    pos_ += n;
    return v;
  }
  Status finish() const {
    if (pos_ != in_.size())
      return make_error(TeeCode::kCommunication, "message has {} trailing bytes",
                        in_.size() - pos_);
    return {};
  }
  Status params(std::array<WireParam, 4>& out) {
    for (WireParam& p : out) {
      RPROCTEE_ASSIGN(p.type, u32("param type"));
      RPROCTEE_ASSIGN(p.a, u32("param a"));
      RPROCTEE_ASSIGN(p.b, u32("param b"));
      RPROCTEE_ASSIGN(p.shm, u32("param shm"));
      RPROCTEE_ASSIGN(p.offset, u64("param offset"));
      RPROCTEE_ASSIGN(p.size, u64("param size"));
    }
    return {};
  }

 private:
  ByteReader in_;
  uint64_t pos_ = 0;
};

void put_uuid(ByteWriter& w, const Uuid& u) {
  w.u32(u.time_low);
  w.u16(u.time_mid);
  w.u16(u.time_hi_and_version);
  w.bytes(u.clock_seq_and_node);
}

}  // namespace

const char* crash_kind_name(CrashKind kind) {
  switch (kind) {
    case CrashKind::kBadAccess:
      return "bad memory access";
    case CrashKind::kUndefinedInstruction:
      return "undefined instruction";
    case CrashKind::kBreakpoint:
      return "breakpoint";
    case CrashKind::kLockup:
      return "lockup";
    case CrashKind::kWatchdog:
      return "watchdog";
  }
  return "unknown";
}

std::vector<uint8_t> encode(const Request& r) {
  ByteWriter w;
  w.u32(kRequestMagic);
  w.u32(static_cast<uint32_t>(r.kind));
  w.u32(r.seq);
  put_uuid(w, r.uuid);
  w.u32(r.login);
  w.u32(r.session);
  w.u32(r.command);
  w.u32(r.shm);
  put64(w, r.shm_size);
  w.u32(r.shm_flags);
  put_params(w, r.params);
  return w.take();
}

std::vector<uint8_t> encode(const Reply& r) {
  ByteWriter w;
  w.u32(kReplyMagic);
  w.u32(r.seq);
  w.u32(r.code);
  w.u32(r.origin);
  w.u32(r.session);
  w.u32(r.shm);
  put_params(w, r.params);
  w.u32(static_cast<uint32_t>(r.regions.size()));
  for (const RegionInfo& region : r.regions) {
    w.u32(static_cast<uint32_t>(region.name.size()));
    w.bytes({reinterpret_cast<const uint8_t*>(region.name.data()), region.name.size()});
    put64(w, region.pa);
    put64(w, region.size);
  }
  return w.take();
}

Result<Request> decode_request(std::span<const uint8_t> bytes) {
  Cursor c(bytes);
  RPROCTEE_ASSIGN(const uint32_t magic, c.u32("magic"));
  if (magic != kRequestMagic)
    return make_error(TeeCode::kCommunication, "request magic {:#x} is wrong", magic);
  Request r;
  RPROCTEE_ASSIGN(const uint32_t kind, c.u32("kind"));
  if (kind < 1 || kind > kLastMessageKind)
    return make_error(TeeCode::kCommunication, "unknown request kind {}", kind);
  r.kind = static_cast<MessageKind>(kind);
  RPROCTEE_ASSIGN(r.seq, c.u32("seq"));
  RPROCTEE_ASSIGN(r.uuid.time_low, c.u32("uuid"));
  RPROCTEE_ASSIGN(const uint32_t mid_hi, c.u32("uuid"));
  r.uuid.time_mid = static_cast<uint16_t>(mid_hi);
  r.uuid.time_hi_and_version = static_cast<uint16_t>(mid_hi >> 16);
  RPROCTEE_ASSIGN(const auto node, c.bytes(8, "uuid"));
  std::copy(node.begin(), node.end(), r.uuid.clock_seq_and_node.begin());
  RPROCTEE_ASSIGN(r.login, c.u32("login"));
  RPROCTEE_ASSIGN(r.session, c.u32("session"));
  RPROCTEE_ASSIGN(r.command, c.u32("command"));
  RPROCTEE_ASSIGN(r.shm, c.u32("shm"));
  RPROCTEE_ASSIGN(r.shm_size, c.u64("shm_size"));
  RPROCTEE_ASSIGN(r.shm_flags, c.u32("shm_flags"));
  RPROCTEE_CHECK(c.params(r.params));
  RPROCTEE_CHECK(c.finish());
  return r;
}

Result<Reply> decode_reply(std::span<const uint8_t> bytes) {
  Cursor c(bytes);
  RPROCTEE_ASSIGN(const uint32_t magic, c.u32("magic"));
  if (magic != kReplyMagic)
    return make_error(TeeCode::kCommunication, "reply magic {:#x} is wrong", magic);
  Reply r;
  RPROCTEE_ASSIGN(r.seq, c.u32("seq"));
  RPROCTEE_ASSIGN(r.code, c.u32("code"));
  RPROCTEE_ASSIGN(r.origin, c.u32("origin"));
  RPROCTEE_ASSIGN(r.session, c.u32("session"));
  RPROCTEE_ASSIGN(r.shm, c.u32("shm"));
  RPROCTEE_CHECK(c.params(r.params));
  RPROCTEE_ASSIGN(const uint32_t n, c.u32("region count"));
  if (n > kMaxRegions) return make_error(TeeCode::kCommunication, "reply lists {} regions", n);
  for (uint32_t i = 0; i < n; ++i) {
    RegionInfo info;
    RPROCTEE_ASSIGN(const uint32_t len, c.u32("region name length"));
    if (len > 64) return make_error(TeeCode::kCommunication, "region name of {} bytes", len);
    RPROCTEE_ASSIGN(const auto name, c.bytes(len, "region name"));
    info.name.assign(name.begin(), name.end());
    RPROCTEE_ASSIGN(info.pa, c.u64("region pa"));
    RPROCTEE_ASSIGN(info.size, c.u64("region size"));
    r.regions.push_back(std::move(info));
  }
  RPROCTEE_CHECK(c.finish());
  return r;
}

}  // namespace rproctee::protocol
