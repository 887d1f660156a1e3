#include "machine/client_limits.hpp"

#include <fmt/format.h>

#include <charconv>
#include <string>

namespace rproctee::machine {

Result<ClientLimits> parse_client_limits(std::string_view text) {
  ClientLimits limits;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    uint64_t value = 0;
    const std::string_view number = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() || value == 0)
      return make_error(TeeCode::kBadParameters,
                        "client limit \"{}\": expected KEY=N with N a positive integer", item);
    if (key == "connections") {
      limits.connections = value;
    } else if (key == "connections-per-process") {
      limits.connections_per_process = value;
    } else if (key == "sessions-per-client") {
      limits.sessions_per_client = value;
    } else if (key == "shms-per-client") {
      limits.shms_per_client = value;
    } else if (key == "shms-total") {
      limits.shms_total = value;
    } else if (key == "shm-bytes-per-client") {
      limits.shm_bytes_per_client = value;
    } else if (key == "shm-bytes-total") {
      limits.shm_bytes_total = value;
    } else {
      return make_error(TeeCode::kBadParameters,
                        "unknown client limit \"{}\" (connections, connections-per-process, "
                        "sessions-per-client, shms-per-client, shms-total, shm-bytes-per-client, "
                        "shm-bytes-total)",
                        key);
    }
  }
  return limits;
}

std::string format_client_limits(const ClientLimits& l) {
  return fmt::format(
      "connections={},connections-per-process={},sessions-per-client={},shms-per-client={},"
      "shms-total={},shm-bytes-per-client={},shm-bytes-total={}",
      l.connections, l.connections_per_process, l.sessions_per_client, l.shms_per_client,
      l.shms_total, l.shm_bytes_per_client, l.shm_bytes_total);
}

}  // namespace rproctee::machine
