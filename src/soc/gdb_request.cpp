#include "soc/gdb_request.hpp"

#include "soc/gdb_packet.hpp"

namespace rproctee::soc::gdb {
namespace {

using Kind = Request::Kind;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// Splits at the first `sep`: {before, after}; nullopt when `sep` is absent.
std::optional<std::pair<std::string_view, std::string_view>> split(std::string_view s, char sep) {
  const size_t at = s.find(sep);
  if (at == std::string_view::npos) return std::nullopt;
  return std::pair{s.substr(0, at), s.substr(at + 1)};
}

/// "ADDR,LENGTH" into the request.
bool parse_range(std::string_view s, Request& r) {
  auto parts = split(s, ',');
  if (!parts) return false;
  auto address = parse_hex_number(parts->first);
  auto length = parse_hex_number(parts->second);
  if (!address || !length || *address > UINT32_MAX) return false;
  r.address = *address;
  r.length = *length;
  return true;
}

std::optional<Request> memory_write(std::string_view args, bool binary) {
  Request r{Kind::kWriteMemory};
  auto parts = split(args, ':');
  if (!parts || !parse_range(parts->first, r)) return std::nullopt;
  auto data = binary ? unescape_binary(parts->second) : from_hex(parts->second);
  if (!data || data->size() != r.length) return std::nullopt;
  r.data = std::move(*data);
  return r;
}

std::optional<Request> point(std::string_view args, bool insert) {
  Request r{insert ? Kind::kInsertPoint : Kind::kRemovePoint};
  // TYPE,ADDR,KIND[;cond...]: conditions and commands are not offered, so not accepted.
  auto type = split(args, ',');
  if (!type || type->first.size() != 1 || type->first[0] < '0' || type->first[0] > '4')
    return std::nullopt;
  r.point = type->first[0] - '0';
  if (!parse_range(type->second, r) || r.length == 0 || r.length > 0x10000) return std::nullopt;
  return r;
}

/// c/s/C/S with an optional resume address (after the signal for C/S).
std::optional<Request> resume(std::string_view args, bool step, bool with_signal) {
  Request r{step ? Kind::kStep : Kind::kContinue};
  if (with_signal) {
    auto parts = split(args, ';');
    std::string_view signal = parts ? parts->first : args;
    if (!parse_hex_number(signal)) return std::nullopt;
    args = parts ? parts->second : std::string_view{};
  }
  if (args.empty()) return r;
  auto address = parse_hex_number(args);
  if (!address || *address > UINT32_MAX) return std::nullopt;
  r.address = *address;
  r.has_address = true;
  return r;
}

/// vCont;ACTION[:TID][;ACTION[:TID]]...: one core, so a step anywhere makes it a step.
std::optional<Request> vcont(std::string_view actions) {
  bool step = false;
  if (actions.empty()) return std::nullopt;
  while (!actions.empty()) {
    if (actions[0] != ';') return std::nullopt;
    actions.remove_prefix(1);
    auto next = actions.find(';');
    std::string_view action = actions.substr(0, next);
    actions = next == std::string_view::npos ? std::string_view{} : actions.substr(next);
    if (action.empty()) return std::nullopt;
    const char a = action[0];
    if (a == 's' || a == 'S' || a == 'r')
      step = true;
    else if (a != 'c' && a != 'C')
      return std::nullopt;
  }
  return Request{step ? Kind::kStep : Kind::kContinue};
}

std::optional<Request> xfer(std::string_view args) {
  // features:read:ANNEX:OFFSET,LENGTH
  constexpr std::string_view kPrefix = "features:read:";
  if (!starts_with(args, kPrefix)) return Request{Kind::kUnsupported};
  auto parts = split(args.substr(kPrefix.size()), ':');
  Request r{Kind::kXferFeatures};
  if (!parts || !parse_range(parts->second, r)) return std::nullopt;
  r.annex = std::string(parts->first);
  return r;
}

std::optional<Request> query(std::string_view payload) {
  if (starts_with(payload, "qSupported")) return Request{Kind::kSupported};
  if (starts_with(payload, "qXfer:")) return xfer(payload.substr(6));
  if (payload == "qAttached" || starts_with(payload, "qAttached:")) return Request{Kind::kAttached};
  if (payload == "qC") return Request{Kind::kCurrentThread};
  if (payload == "qfThreadInfo") return Request{Kind::kThreadListFirst};
  if (payload == "qsThreadInfo") return Request{Kind::kThreadListNext};
  return Request{Kind::kUnsupported};
}

std::optional<Request> register_access(std::string_view args, bool write) {
  Request r{write ? Kind::kWriteRegister : Kind::kReadRegister};
  std::string_view number = args;
  if (write) {
    auto parts = split(args, '=');
    if (!parts) return std::nullopt;
    number = parts->first;
    auto data = from_hex(parts->second);
    if (!data || data->empty()) return std::nullopt;
    r.data = std::move(*data);
  }
  auto n = parse_hex_number(number);
  if (!n || *n > 0xFFFF) return std::nullopt;
  r.reg = static_cast<uint32_t>(*n);
  return r;
}

}  // namespace

std::optional<Request> parse_request(std::string_view payload) {
  if (payload.empty()) return Request{Kind::kUnsupported};
  const std::string_view args = payload.substr(1);
  switch (payload[0]) {
    case '?':
      return Request{Kind::kStopReason};
    case 'g':
      return Request{Kind::kReadRegisters};
    case 'G': {
      auto data = from_hex(args);
      if (!data) return std::nullopt;
      Request r{Kind::kWriteRegisters};
      r.data = std::move(*data);
      return r;
    }
    case 'p':
      return register_access(args, false);
    case 'P':
      return register_access(args, true);
    case 'm': {
      Request r{Kind::kReadMemory};
      if (!parse_range(args, r)) return std::nullopt;
      return r;
    }
    case 'M':
      return memory_write(args, false);
    case 'X':
      return memory_write(args, true);
    case 'c':
      return resume(args, false, false);
    case 's':
      return resume(args, true, false);
    case 'C':
      return resume(args, false, true);
    case 'S':
      return resume(args, true, true);
    case 'Z':
      return point(args, true);
    case 'z':
      return point(args, false);
    case 'D':
      return Request{Kind::kDetach};
    case 'k':
      return Request{Kind::kKill};
    case 'H':
      return Request{Kind::kSetThread};
    case 'T':
      return Request{Kind::kThreadAlive};
    case 'q':
      return query(payload);
    case 'v':
      if (payload == "vCont?") return Request{Kind::kContQuery};
      if (starts_with(payload, "vCont;") || payload == "vCont") return vcont(payload.substr(5));
      return Request{Kind::kUnsupported};
    default:
      return Request{Kind::kUnsupported};
  }
}

}  // namespace rproctee::soc::gdb
