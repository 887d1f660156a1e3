// rpmsg_tty for a simulated board: every "rpmsg-tty" (or legacy "rpmsg-tty-channel") channel
// becomes a pseudo-terminal, reachable as DIR/dev/ttyRPMSGn (a symlink to /dev/pts/M; n is the
// lowest free number, so 0, 1, ... in announce order). Bytes written to the tty go to the
// firmware in messages of at most 496 bytes; messages from the firmware come out of the tty.
// The terminal is raw (no echo, no line editing, no CR/LF translation): `echo hi > LINK` sends
// "hi\n". When the channel goes away the link is removed and the pty closed.
//
//   auto bridge = rpmsg::TtyBridge::on_bus(rpmsg::install(), mount_dir);  // rproctee up
//
// The bridge keeps the slave side open itself, so the tty survives readers coming and going;
// what the firmware sends while nobody reads waits in the tty (and is dropped, counted, once
// the tty buffer is full, as Linux's rpmsg_tty does).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rpmsg/bus.hpp"
#include "rpmsg/channel.hpp"

namespace rproctee::rpmsg {

class TtyPort;

class TtyBridge {
 public:
  /// Links go to `dir`/dev (created when missing).
  explicit TtyBridge(std::filesystem::path dir);
  ~TtyBridge();
  TtyBridge(const TtyBridge&) = delete;
  TtyBridge& operator=(const TtyBridge&) = delete;

  /// A bridge following every device of `bus`: channels present now and announced later.
  static std::unique_ptr<TtyBridge> on_bus(Bus& bus, std::filesystem::path dir);
  /// Follows one device only (channels present now and announced later).
  void watch(const std::shared_ptr<RpmsgDevice>& device);

  static bool is_tty_channel(std::string_view name);
  /// Bridges `channel` when it is a tty channel; an error when the pty cannot be made.
  SysStatus add(const std::shared_ptr<Channel>& channel);
  void remove(const Channel& channel);

  struct Tty {
    std::filesystem::path link;  // DIR/dev/ttyRPMSGn
    std::string pty;             // /dev/pts/M
    std::string channel;
    uint32_t local_addr = 0, remote_addr = 0;
    uint64_t to_remote_bytes = 0, from_remote_bytes = 0, dropped_bytes = 0;
  };
  std::vector<Tty> ttys() const;

 private:
  std::filesystem::path dev_dir_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<TtyPort>> ports_;
  std::vector<std::function<void()>> unsubscribers_;
};

}  // namespace rproctee::rpmsg
