#include "soc/gdb_session.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "soc/gdb_target.hpp"

namespace rproctee::soc::gdb {
namespace {

using Kind = Request::Kind;

constexpr uint64_t kMaxMemoryRead = 0x1000;  // per m packet: gdb asks again for the rest
constexpr std::string_view kError = "E01";   // a malformed or impossible request
constexpr std::string_view kFault = "E14";   // EFAULT: memory the debugger may not touch
constexpr int kPollMs = 50;
// A debugger that does not take an answer within this, or asks for it again more than
// kMaxResends times in a row, is disconnected.
constexpr auto kSendTimeout = std::chrono::seconds(10);
constexpr int kMaxResends = 8;

std::string little_endian_hex(uint64_t value, unsigned bits) {
  std::vector<uint8_t> bytes;
  for (unsigned i = 0; i < bits / 8; ++i) bytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
  return to_hex(bytes);
}

uint64_t from_little_endian(std::span<const uint8_t> bytes) {
  uint64_t v = 0;
  for (size_t i = bytes.size(); i-- > 0;) v = v << 8 | bytes[i];
  return v;
}

}  // namespace

std::string stop_reply(const DebugStop& stop) {
  std::string reply = fmt::format("T{:02x}", stop.signal);
  if (stop.watch) {
    const char* name = *stop.watch == WatchKind::kWrite  ? "watch"
                       : *stop.watch == WatchKind::kRead ? "rwatch"
                                                         : "awatch";
    reply += fmt::format("{}:{:x};", name, stop.watch_address);
  }
  return reply;
}

bool Session::write_all(std::string_view bytes) {
  // Never a blocking send: a debugger that stops reading would hold this thread, the halted
  // core and the server's shutdown forever. It gets kSendTimeout to take each answer.
  const auto deadline = std::chrono::steady_clock::now() + kSendTimeout;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || stopping_.load() ||
        std::chrono::steady_clock::now() >= deadline)
      return false;
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, kPollMs);
  }
  return true;
}

bool Session::send(std::string_view payload) {
  last_sent_ = encode_packet(payload);
  return write_all(last_sent_);
}

bool Session::receive(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, timeout_ms);
  if (ready < 0) return errno == EINTR;
  if (ready == 0) return true;
  uint8_t buffer[4096];
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  decoder_.feed({buffer, static_cast<size_t>(n)});
  return true;
}

void Session::run() {
  last_stop_ = target_.debug_attach();
  bool open = true;
  int resends = 0;  // in a row
  while (open && !stopping_.load()) {
    if (!receive(kPollMs)) break;
    while (open) {
      auto frame = decoder_.next();
      if (!frame) break;
      if (frame->kind != Frame::Kind::kNack) resends = 0;
      switch (frame->kind) {
        case Frame::Kind::kAck:
        case Frame::Kind::kInterrupt:  // the core is already stopped
          break;
        case Frame::Kind::kNack:
          open = ++resends <= kMaxResends && write_all(last_sent_);
          break;
        case Frame::Kind::kBadChecksum:
          open = write_all("-");
          break;
        case Frame::Kind::kPacket: {
          if (!write_all("+")) {
            open = false;
            break;
          }
          auto request = parse_request(frame->payload);
          if (!request) {
            open = send(kError);
          } else if (request->kind == Kind::kContinue || request->kind == Kind::kStep) {
            if (request->has_address &&
                !target_.debug_write_register(15, request->address)) {  // pc
              open = send(kError);
              break;
            }
            open = resume(request->kind == Kind::kStep);
          } else if (request->kind == Kind::kDetach) {
            send("OK");
            open = false;
          } else if (request->kind == Kind::kKill) {
            target_.debug_kill();
            return;
          } else {
            open = send(*answer(*request));
          }
          break;
        }
      }
    }
  }
  target_.debug_detach();
}

bool Session::resume(bool step) {
  target_.debug_resume(step);
  while (!stopping_.load()) {
    // Ctrl-C may have come with the resuming packet: look at what is queued first.
    while (auto frame = decoder_.next())
      if (frame->kind == Frame::Kind::kInterrupt) target_.debug_interrupt();
    if (auto stop = target_.debug_wait_stop(std::chrono::milliseconds(kPollMs))) {
      last_stop_ = *stop;
      return send(stop_reply(*stop));
    }
    if (!receive(0)) return false;
  }
  return false;
}

std::optional<std::string> Session::answer(const Request& r) {
  switch (r.kind) {
    case Kind::kSupported:
      return "PacketSize=4000;qXfer:features:read+";
    case Kind::kXferFeatures: {
      if (r.annex != "target.xml") return std::string(kFault);
      const std::string xml = target_description_xml();
      if (r.address >= xml.size()) return "l";
      const std::string chunk = xml.substr(r.address, r.length);
      return (r.address + chunk.size() < xml.size() ? "m" : "l") + chunk;
    }
    case Kind::kAttached:
      return "1";  // an existing process: gdb detaches rather than kills on quit
    case Kind::kCurrentThread:
      return "QC1";
    case Kind::kThreadListFirst:
      return "m1";
    case Kind::kThreadListNext:
      return "l";
    case Kind::kSetThread:
    case Kind::kThreadAlive:
      return "OK";
    case Kind::kStopReason:
      return stop_reply(last_stop_);
    case Kind::kReadRegisters:
      return read_registers();
    case Kind::kWriteRegisters:
      return write_registers(r.data);
    case Kind::kReadRegister: {
      auto regs = target_.debug_read_registers();
      if (!regs || r.reg >= regs->size()) return std::string(kError);
      return little_endian_hex((*regs)[r.reg], kDebugRegisters[r.reg].bits);
    }
    case Kind::kWriteRegister:
      if (r.reg >= kRegisterCount || r.data.size() != kDebugRegisters[r.reg].bits / 8 ||
          !target_.debug_write_register(r.reg, from_little_endian(r.data)))
        return std::string(kError);
      return "OK";
    case Kind::kReadMemory:
      return read_memory(r.address, r.length);
    case Kind::kWriteMemory:
      return target_.debug_write_memory(static_cast<uint32_t>(r.address), r.data)
                 ? "OK"
                 : std::string(kFault);
    case Kind::kContQuery:
      return "vCont;c;C;s;S";
    case Kind::kInsertPoint:
    case Kind::kRemovePoint:
      return set_point(r);
    case Kind::kContinue:
    case Kind::kStep:
    case Kind::kDetach:
    case Kind::kKill:
      return std::nullopt;
    case Kind::kUnsupported:
      break;
  }
  return "";
}

std::string Session::read_registers() {
  auto regs = target_.debug_read_registers();
  if (!regs) return std::string(kError);
  std::string out;
  for (size_t i = 0; i < regs->size(); ++i)
    out += little_endian_hex((*regs)[i], kDebugRegisters[i].bits);
  return out;
}

std::string Session::write_registers(const std::vector<uint8_t>& data) {
  size_t expected = 0;
  for (const RegisterInfo& r : kDebugRegisters) expected += r.bits / 8;
  if (data.size() != expected) return std::string(kError);
  size_t at = 0;
  for (size_t i = 0; i < kRegisterCount; ++i) {
    const size_t n = kDebugRegisters[i].bits / 8;
    if (!target_.debug_write_register(i, from_little_endian({data.data() + at, n})))
      return std::string(kError);
    at += n;
  }
  return "OK";
}

std::string Session::read_memory(uint64_t address, uint64_t length) {
  if (length == 0) return "";
  std::vector<uint8_t> bytes(std::min(length, kMaxMemoryRead));
  const size_t n = target_.debug_read_memory(static_cast<uint32_t>(address), bytes);
  if (n == 0) return std::string(kFault);
  bytes.resize(n);
  return to_hex(bytes);
}

std::string Session::set_point(const Request& r) {
  const bool insert = r.kind == Kind::kInsertPoint;
  const auto address = static_cast<uint32_t>(r.address);
  bool ok = false;
  switch (r.point) {
    case Request::kSoftwareBreakpoint:
    case Request::kHardwareBreakpoint:
      ok = target_.debug_set_breakpoint(address, insert);
      break;
    case Request::kWriteWatch:
      ok = target_.debug_set_watchpoint(WatchKind::kWrite, address, static_cast<uint32_t>(r.length),
                                        insert);
      break;
    case Request::kReadWatch:
      ok = target_.debug_set_watchpoint(WatchKind::kRead, address, static_cast<uint32_t>(r.length),
                                        insert);
      break;
    default:
      ok = target_.debug_set_watchpoint(WatchKind::kAccess, address,
                                        static_cast<uint32_t>(r.length), insert);
      break;
  }
  return ok ? "OK" : std::string(kError);
}

}  // namespace rproctee::soc::gdb
