// One bridged channel of TtyBridge: the pty pair, the DIR/dev/ttyRPMSGn link, and the thread
// that forwards what is written to the tty into the channel.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/pty.hpp"
#include "rpmsg/channel.hpp"

namespace rproctee::rpmsg {

class TtyPort {
 public:
  /// Opens the pty, links `link` to its slave and starts forwarding.
  static SysResult<std::unique_ptr<TtyPort>> open(std::shared_ptr<Channel> channel, unsigned index,
                                                  std::filesystem::path link);
  /// Stops forwarding, removes the link, closes the pty.
  ~TtyPort();
  TtyPort(const TtyPort&) = delete;
  TtyPort& operator=(const TtyPort&) = delete;

  unsigned index() const { return index_; }
  const std::filesystem::path& link() const { return link_; }
  const std::string& pty() const { return pty_->slave_path(); }
  const Channel& channel() const { return *channel_; }
  uint64_t to_remote_bytes() const { return to_remote_; }
  uint64_t from_remote_bytes() const { return from_remote_; }
  uint64_t dropped_bytes() const { return dropped_; }

 private:
  TtyPort(std::shared_ptr<Channel> channel, unsigned index, std::filesystem::path link)
      : channel_(std::move(channel)), index_(index), link_(std::move(link)) {}
  void forward_to_remote();
  void write_to_tty(std::span<const uint8_t> data);

  std::shared_ptr<Channel> channel_;
  unsigned index_;
  std::filesystem::path link_;
  std::unique_ptr<Pty> pty_;
  int wake_[2] = {-1, -1};  // a pipe: the destructor ends the thread's poll
  std::atomic<uint64_t> to_remote_{0}, from_remote_{0}, dropped_{0};
  std::thread thread_;
};

}  // namespace rproctee::rpmsg
