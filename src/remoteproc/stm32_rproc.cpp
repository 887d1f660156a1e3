#include "remoteproc/stm32_rproc.hpp"

#include <string>

namespace rproctee::remoteproc {

void Stm32Rproc::attach_interrupts(Rproc& rproc) {
  // stm32_rproc_mb_vq_work: a message on "vqN" is an interrupt of vring N.
  mailbox_->listen(
      [&rproc](const std::string& channel) {
        if (channel == "vq0" || channel == "vq1") rproc.vq_interrupt(channel == "vq0" ? 0 : 1);
      },
      [&rproc](const Mailbox::CoreCrash& c) {
        // stm32_rproc's watchdog interrupt reports RPROC_WATCHDOG; any other fault of the
        // core is what the firmware's own handler would report as a fatal error.
        rproc.info("core crash: {} at pc {:#010x}{}", protocol::crash_kind_name(c.kind), c.pc,
                   c.kind == protocol::CrashKind::kBadAccess
                       ? fmt::format(", address {:#010x}", c.address)
                       : std::string());
        rproc.report_crash(c.kind == protocol::CrashKind::kWatchdog    ? CrashType::kWatchdog
                           : c.kind == protocol::CrashKind::kBadAccess ? CrashType::kMmuFault
                                                                       : CrashType::kFatalError);
      });
}

void Stm32Rproc::request_shutdown(Rproc& r) {
  // A crashed firmware cannot answer: ST's driver only asks a live one.
  if (r.state() == RprocState::kCrashed || !mailbox_->has("shutdown")) return;
  auto acked = mailbox_->send_and_wait("shutdown", shutdown_timeout_);
  if (!acked)
    r.info("warning: shutdown request not sent: {}", acked.error().message);
  else if (!*acked)
    r.info("warning: remote FW shutdown without ack (no answer within {} ms)",
           shutdown_timeout_.count());
}

int Stm32Rproc::stop(Rproc& r) {
  request_shutdown(r);
  return backend_->stop(r);
}

void Stm32Rproc::kick(Rproc& r, int vqid) {
  const std::string channel = "vq" + std::to_string(vqid);
  if (!mailbox_->has(channel)) return;
  if (auto sent = mailbox_->send(channel); !sent)
    r.info("failed to kick vq{}: {}", vqid, sent.error().message);
}

}  // namespace rproctee::remoteproc
