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
#include "platform/description.hpp"
#include "tee/messages.hpp"
#include "tee/transport.hpp"

namespace rproctee::remoteproc {

class Mailbox {
 public:
  /// Connects to the machine (named like a TEE) for processor `processor_index`'s channels.
  static Result<std::unique_ptr<Mailbox>> open(const std::string& machine, uint32_t processor_index,
                                               std::vector<platform::MailboxChannel> channels);
  ~Mailbox();

  bool has(std::string_view name) const { return find(name) != nullptr; }
  /// Rings a channel (the remote sees it occupied).
  Status send(std::string_view name);
  /// Rings a channel and waits until the remote clears it: true when it did within `timeout`.
  Result<bool> send_and_wait(std::string_view name, std::chrono::milliseconds timeout);
  /// Starts the receive thread: `on_message(name)` for each remote -> host message.
  void listen(std::function<void(const std::string&)> on_message);
  /// Ends the receive thread (returns once no callback runs any more).
  void stop_listening();

 private:
  Mailbox() = default;
  const platform::MailboxChannel* find(std::string_view name) const;
  Result<tee::Reply> call(tee::Transport& link, tee::MailboxCommand command, uint32_t channel,
                          std::chrono::milliseconds timeout = {});
  void receive_loop();

  uint32_t processor_ = 0;
  std::vector<platform::MailboxChannel> channels_;
  std::unique_ptr<tee::Transport> tx_, rx_;  // a wait on one never holds up the other
  std::mutex tx_mutex_;
  std::atomic<uint32_t> seq_{0};
  std::function<void(const std::string&)> on_message_;
  std::atomic<bool> stopping_{false};
  std::thread receiver_;
};

}  // namespace rproctee::remoteproc
