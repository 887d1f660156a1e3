// The STM32 platform glue of stm32_rproc.c around a backend (TEE or ELF): kicks go out on the
// "vq0"/"vq1" mailbox channels, messages coming in on them become vring interrupts, and a stop
// of a running processor first asks the firmware to shut down on the "shutdown" channel and
// waits for its acknowledgement (500 ms in ST's driver) before the backend stops the core.
#pragma once

#include <chrono>
#include <memory>

#include "remoteproc/mailbox.hpp"
#include "remoteproc/rproc.hpp"

namespace rproctee::remoteproc {

class Stm32Rproc final : public RprocOps {
 public:
  Stm32Rproc(std::unique_ptr<RprocOps> backend, std::unique_ptr<Mailbox> mailbox,
             std::chrono::milliseconds shutdown_timeout)
      : backend_(std::move(backend)),
        mailbox_(std::move(mailbox)),
        shutdown_timeout_(shutdown_timeout) {}

  /// Starts delivering the firmware's mailbox messages to `rproc` as vring interrupts.
  void attach_interrupts(Rproc& rproc);

  int prepare(Rproc& r) override { return backend_->prepare(r); }
  void unprepare(Rproc& r) override { backend_->unprepare(r); }
  int parse_fw(Rproc& r, const Firmware& fw) override { return backend_->parse_fw(r, fw); }
  int load(Rproc& r, const Firmware& fw) override { return backend_->load(r, fw); }
  int find_loaded_rsc_table(Rproc& r, const Firmware& fw, uint8_t*& table) override {
    return backend_->find_loaded_rsc_table(r, fw, table);
  }
  int start(Rproc& r) override { return backend_->start(r); }
  int stop(Rproc& r) override;
  void release_fw(Rproc& r) override { backend_->release_fw(r); }
  int coredump(Rproc& r, std::vector<uint8_t>& out) override { return backend_->coredump(r, out); }
  void kick(Rproc& r, int vqid) override;
  InterruptWaiter interrupt_waiter() override {
    return [mailbox = std::weak_ptr<Mailbox>(mailbox_)](auto deadline, const auto& own,
                                                        uint32_t own_seen) {
      const auto alive = mailbox.lock();
      return alive && alive->poll(deadline, own, own_seen);
    };
  }
  void quiesce() override { mailbox_->stop_listening(); }

 private:
  void request_shutdown(Rproc& r);
  std::unique_ptr<RprocOps> backend_;
  std::shared_ptr<Mailbox> mailbox_;  // shared only with interrupt_waiter()'s callers
  std::chrono::milliseconds shutdown_timeout_;
};

}  // namespace rproctee::remoteproc
