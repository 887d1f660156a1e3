// The normal world's mailbox client of one processor (Linux stm32-ipcc behind the mailbox
// framework, as stm32_rproc.c uses it): the named channels of the device tree ("vq0", "vq1",
// "shutdown", "detach"), a send that can wait for the remote's acknowledgement, and a receive
// thread that hands every remote -> host message to a callback, then acknowledges it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "dt/layout.hpp"
#include "protocol/machine_link.hpp"
#include "protocol/transport.hpp"

namespace rproctee::remoteproc {

class Mailbox {
 public:
  /// Connects to the machine (named like a TEE) for processor `processor_index`'s channels.
  static Result<std::unique_ptr<Mailbox>> open(const std::string& machine, uint32_t processor_index,
                                               std::vector<dt::MailboxChannel> channels);
  ~Mailbox();

  bool has(std::string_view name) const { return find(name) != nullptr; }
  /// Rings a channel (the remote sees it occupied).
  Status send(std::string_view name);
  /// Rings a channel and waits until the remote clears it: true when it did within `timeout`.
  Result<bool> send_and_wait(std::string_view name, std::chrono::milliseconds timeout);
  /// A crash of the core, as the machine reports it beside the mailbox flags.
  struct CoreCrash {
    protocol::CrashKind kind = protocol::CrashKind::kBadAccess;
    uint32_t pc = 0, address = 0;
  };
  /// Starts the receive thread: `on_message(name)` for each remote -> host message and
  /// `on_crash` for each crash of the core after the thread started.
  void listen(std::function<void(const std::string&)> on_message,
              std::function<void(const CoreCrash&)> on_crash = {});
  /// Ends the receive thread (returns once no callback runs any more).
  void stop_listening();

 private:
  Mailbox() = default;
  const dt::MailboxChannel* find(std::string_view name) const;
  Result<protocol::Reply> call(protocol::Transport& link, protocol::MailboxCommand command,
                               uint32_t channel, std::chrono::milliseconds timeout = {},
                               uint32_t crashes_seen = 0);
  void receive_loop();

  uint32_t processor_ = 0;
  std::vector<dt::MailboxChannel> channels_;
  std::unique_ptr<protocol::Transport> tx_, rx_;  // a wait on one never holds up the other
  std::mutex tx_mutex_;
  std::atomic<uint32_t> seq_{0};
  std::function<void(const std::string&)> on_message_;
  std::function<void(const CoreCrash&)> on_crash_;
  std::atomic<bool> stopping_{false};
  std::thread receiver_;
};

}  // namespace rproctee::remoteproc
