// The normal world's mailbox client of one processor (Linux stm32-ipcc behind the mailbox
// framework, as stm32_rproc.c uses it): the named channels of the device tree ("vq0", "vq1",
// "shutdown", "detach"), a send that can wait for the remote's acknowledgement, and a receive
// thread that hands every remote -> host message to a callback after acknowledging it.
// Everything goes through the processor's mailbox page (protocol/mailbox_page.hpp), mapped
// from the machine: a doorbell is a store and a futex wake, no socket message. The socket is
// only used to map the page and, while idle, to notice that the machine is gone.
#pragma once

#include <array>
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
#include "common/shared_words.hpp"
#include "dt/layout.hpp"
#include "protocol/machine_link.hpp"
#include "protocol/mailbox_page.hpp"
#include "protocol/transport.hpp"

namespace rproctee::remoteproc {

class Mailbox {
 public:
  /// Connects to the machine (named like a TEE) and maps processor `processor_index`'s page.
  static Result<std::unique_ptr<Mailbox>> open(const std::string& machine, uint32_t processor_index,
                                               std::vector<dt::MailboxChannel> channels);
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

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
  /// Ends the receive thread and every poll() (returns once no callback runs any more; not
  /// from within a callback).
  void stop_listening();
  /// Waits on the calling thread for the remote's next messages or crash and hands them to
  /// the callbacks there, as the receive thread would; meanwhile the machine wakes this
  /// thread, not the receive thread (one thread hop from the firmware to a reader waiting for
  /// its answer, instead of two). Returns after a hand-over, once `own` no longer holds
  /// `own_seen` (the receive thread handed the caller's message over: it may have taken the
  /// interrupt first) or at `deadline`; false only when it cannot wait (not listening, or no
  /// futex_waitv). Not from within a callback.
  bool poll(std::chrono::steady_clock::time_point deadline, const LocalWakeWord& own,
            uint32_t own_seen);

 private:
  Mailbox(std::unique_ptr<protocol::Transport> link, void* page);
  const dt::MailboxChannel* find(std::string_view name) const;
  /// The page bit of a channel, or an error naming it when the page does not serve it.
  Result<uint32_t> bit_of(std::string_view name) const;
  /// Sets `bits` in the page word `word` and rings: returns the doorbell's new count.
  uint32_t ring(uint32_t word, uint32_t bits);
  /// The newest crash (consistent: the count did not move while reading).
  CoreCrash read_crash(uint32_t& count) const;
  bool machine_alive();
  void receive_loop();
  /// Hands what the page announces since the last look to the callbacks; true when anything
  /// was (`receive_mutex_` held).
  bool receive_once();
  /// receive_once() unless the receive thread was stopped (no callback runs after that).
  bool receive_now();
  /// Which of the host's sleepers the machine wakes: the pollers while there are any.
  void publish_wake_bits();

  uint32_t processor_ = 0;
  std::vector<dt::MailboxChannel> channels_;
  uint32_t page_mask_ = 0;
  std::unique_ptr<protocol::Transport> link_;  // used by the receive thread only
  void* page_ = nullptr;
  mutable SharedWords words_;
  std::function<void(const std::string&)> on_message_;
  std::function<void(const CoreCrash&)> on_crash_;
  std::mutex receive_mutex_;  // one receive_once() at a time; guards the two below
  uint32_t crashes_seen_ = 0;
  std::array<uint32_t, protocol::mailbox_page::kMaxChannels> rings_seen_{};
  std::atomic<uint32_t> pollers_{0};
  std::mutex wake_bits_mutex_;  // the count and the word it publishes move together
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};  // poll() may run (the receive thread was started)
  std::thread receiver_;
};

}  // namespace rproctee::remoteproc
