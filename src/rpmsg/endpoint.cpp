#include "rpmsg/endpoint.hpp"

#include <cerrno>

#include "rpmsg/rpmsg_device.hpp"

namespace rproctee::rpmsg {

Endpoint::~Endpoint() {
  if (auto d = device_.lock()) d->destroy_endpoint(addr_);
}

SysStatus Endpoint::send(uint32_t dst, std::span<const uint8_t> payload) {
  auto d = device_.lock();
  if (!d) return sys_error(ENODEV, "the rpmsg device is gone");
  return d->send(addr_, dst, payload);
}

SysStatus Endpoint::send(uint32_t dst, std::span<const uint8_t> payload,
                         std::chrono::milliseconds timeout) {
  auto d = device_.lock();
  if (!d) return sys_error(ENODEV, "the rpmsg device is gone");
  return d->send(addr_, dst, payload, timeout);
}

}  // namespace rproctee::rpmsg
