// A local rpmsg address bound to a receive callback (Linux struct rpmsg_endpoint). The handle
// unbinds the address when destroyed; once that returns its callback never runs again. It
// holds the device weakly: using it after the device stopped or went away is an error, never
// a use-after-free.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "remoteproc/sys_error.hpp"

namespace rproctee::rpmsg {

// rpmsg fails as Linux's does: an errno (remoteproc/sys_error.hpp).
using remoteproc::sys_error;
using remoteproc::SysError;
using remoteproc::SysResult;
using remoteproc::SysStatus;

class RpmsgDevice;

/// Called with the sender's address and the payload (valid during the call only).
using Receiver = std::function<void(uint32_t src, std::span<const uint8_t> payload)>;

class Endpoint {
 public:
  Endpoint(std::weak_ptr<RpmsgDevice> device, uint32_t addr)
      : device_(std::move(device)), addr_(addr) {}
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  uint32_t addr() const { return addr_; }
  /// Sends from this endpoint to `dst` (RpmsgDevice::send).
  SysStatus send(uint32_t dst, std::span<const uint8_t> payload);
  SysStatus send(uint32_t dst, std::span<const uint8_t> payload, std::chrono::milliseconds timeout);

 private:
  std::weak_ptr<RpmsgDevice> device_;
  uint32_t addr_;
};

}  // namespace rproctee::rpmsg
