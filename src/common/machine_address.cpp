#include "common/machine_address.hpp"

#include <cstdlib>

namespace rproctee {

Result<MachineAddress> parse_machine_address(std::string_view text) {
  using Kind = MachineAddress::Kind;
  if (text.starts_with("inproc:"))
    return MachineAddress{Kind::kInProcess, std::string(text.substr(7))};
  if (text.starts_with("unix:")) {
    if (text.size() == 5)
      return make_error(TeeCode::kItemNotFound, "machine address \"unix:\" names no socket");
    return MachineAddress{Kind::kSocket, std::string(text.substr(5))};
  }
  if (text.find('/') != std::string_view::npos)
    return MachineAddress{Kind::kSocket, std::string(text)};
  return make_error(TeeCode::kItemNotFound,
                    "machine address \"{}\" is not unix:PATH, a socket path containing '/', or "
                    "inproc:NAME",
                    text);
}

std::string default_machine_address() {
  const char* env = std::getenv("RPROCTEE_TEE");
  if (env && *env) return env;
  return "unix:" + std::string(kDefaultMachineSocket);
}

std::string default_machine_socket() {
  auto address = parse_machine_address(default_machine_address());
  if (address && address->kind == MachineAddress::Kind::kSocket) return address->value;
  return std::string(kDefaultMachineSocket);
}

}  // namespace rproctee
