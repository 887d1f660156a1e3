#include "protocol/transport.hpp"

#include <map>
#include <mutex>

namespace rproctee::protocol {

namespace {

std::mutex g_mutex;
std::map<std::string, TransportFactory>& registry() {
  static std::map<std::string, TransportFactory> r;
  return r;
}

}  // namespace

void register_inprocess(const std::string& name, TransportFactory factory) {
  std::lock_guard lock(g_mutex);
  registry()[name] = std::move(factory);
}

void unregister_inprocess(const std::string& name) {
  std::lock_guard lock(g_mutex);
  registry().erase(name);
}

std::unique_ptr<Transport> connect_inprocess(const std::string& name) {
  TransportFactory factory;
  {
    std::lock_guard lock(g_mutex);
    if (name.empty()) {
      if (registry().size() == 1) factory = registry().begin()->second;
    } else if (auto it = registry().find(name); it != registry().end()) {
      factory = it->second;
    }
  }
  return factory ? factory() : nullptr;
}

}  // namespace rproctee::protocol
