// The machine's side of a processor's mailbox page (protocol/mailbox_page.hpp): the shared
// memfd, the serving of the normal world's doorbells and acknowledgements to the processor's
// IPCC, and the republishing of the IPCC's flags and the core's crashes into the page after
// every change. Every word read from the page is untrusted.
// Who serves the doorbell: an emulated core's own thread while the core runs (one thread hop
// from the normal world's ring to the firmware, soc/core_doorbell.hpp), this object's thread
// otherwise (a stopped, crashed or debugger-halted core, a core model that cannot).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "common/result.hpp"
#include "common/shared_words.hpp"
#include "soc/core_doorbell.hpp"
#include "soc/soc.hpp"

namespace rproctee::machine {

class MailboxPage final : private soc::CoreDoorbell {
 public:
  /// The page of processor `processor` (its channels on the IPCC of its first mailbox):
  /// BAD_PARAMETERS when it has no mailbox, OUT_OF_MEMORY when the memfd cannot be made.
  static Result<std::unique_ptr<MailboxPage>> create(soc::Soc& soc, size_t processor);
  ~MailboxPage() override;  // stops the thread; the normal world's mappings stay valid memory
  MailboxPage(const MailboxPage&) = delete;
  MailboxPage& operator=(const MailboxPage&) = delete;

  /// The sealed memfd (owned by this object; dup it to hand it out).
  int fd() const { return fd_; }
  uint32_t channel_mask() const { return mask_; }

 private:
  MailboxPage(soc::Soc& soc, size_t processor, soc::Ipcc& ipcc, uint32_t mask, int fd,
              void* memory);
  void serve_loop();
  // soc::CoreDoorbell: what the core's thread calls.
  SharedWords& words() override { return words_; }
  uint32_t rung_offset() const override;
  uint32_t sleepers_offset() const override;
  uint32_t serve() override;
  void served_by_core(bool yes) override;
  /// Rewrites the machine -> host words when anything changed (always with `force`) and
  /// wakes the host's sleepers.
  void publish(bool force);
  /// Tells senders waiting for a clear channel that kOccupied or kServed moved.
  void published_sent();

  soc::Soc& soc_;
  const size_t processor_;
  soc::Ipcc& ipcc_;
  const uint32_t mask_;
  const int fd_;
  void* const memory_;
  SharedWords words_;
  std::mutex publish_mutex_;  // one publisher at a time, each reading the newest state
  soc::Ipcc::HostView published_{};
  uint32_t published_crashes_ = 0;
  uint32_t published_ack_wakes_ = 0;
  uint64_t listener_ = 0;
  std::mutex serve_mutex_;              // one serve() at a time (the handovers overlap)
  std::atomic<uint32_t> served_{0};     // the doorbell value served last
  std::atomic<bool> core_serves_{false};
  std::atomic<uint32_t> handover_{0};   // bumped when the core hands the serving back
  bool attached_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace rproctee::machine
