#include "remoteproc/mailbox.hpp"

#include <unistd.h>

#include "teec/machine_connection.hpp"

namespace rproctee::remoteproc {
namespace {

// How long one receive poll may block in the machine: bounds how long closing takes.
constexpr std::chrono::milliseconds kReceivePoll{100};

}  // namespace

Result<std::unique_ptr<Mailbox>> Mailbox::open(const std::string& machine, uint32_t processor_index,
                                               std::vector<dt::MailboxChannel> channels) {
  std::unique_ptr<Mailbox> m(new Mailbox());
  m->processor_ = processor_index;
  m->channels_ = std::move(channels);
  RPROCTEE_ASSIGN(m->tx_, teec::connect_machine(machine));
  RPROCTEE_ASSIGN(m->rx_, teec::connect_machine(machine));
  return m;
}

Mailbox::~Mailbox() {
  stop_listening();
}

void Mailbox::stop_listening() {
  stopping_ = true;
  if (receiver_.joinable()) receiver_.join();
}

const dt::MailboxChannel* Mailbox::find(std::string_view name) const {
  for (const dt::MailboxChannel& c : channels_)
    if (c.name == name) return &c;
  return nullptr;
}

Result<protocol::Reply> Mailbox::call(protocol::Transport& link, protocol::MailboxCommand command,
                                      uint32_t channel, std::chrono::milliseconds timeout,
                                      uint32_t crashes_seen) {
  protocol::Request r;
  r.kind = protocol::MessageKind::kMailbox;
  r.seq = ++seq_;
  r.session = processor_;
  r.command = static_cast<uint32_t>(command);
  r.params[0].a = channel;
  r.params[0].b = crashes_seen;
  r.shm_size = static_cast<uint64_t>(timeout.count());
  std::vector<int> fds;
  RPROCTEE_ASSIGN(protocol::Reply reply, link.call(r, {}, fds));
  for (int fd : fds) ::close(fd);
  if (reply.code != 0)
    return make_error(static_cast<TeeCode>(reply.code), "the machine refused mailbox channel {}",
                      channel);
  return reply;
}

Status Mailbox::send(std::string_view name) {
  const dt::MailboxChannel* c = find(name);
  if (!c) return make_error(TeeCode::kItemNotFound, "no mailbox channel \"{}\"", name);
  std::lock_guard lock(tx_mutex_);
  RPROCTEE_CHECK(call(*tx_, protocol::MailboxCommand::kSend, c->channel));
  return {};
}

Result<bool> Mailbox::send_and_wait(std::string_view name, std::chrono::milliseconds timeout) {
  const dt::MailboxChannel* c = find(name);
  if (!c) return make_error(TeeCode::kItemNotFound, "no mailbox channel \"{}\"", name);
  std::lock_guard lock(tx_mutex_);
  RPROCTEE_CHECK(call(*tx_, protocol::MailboxCommand::kSend, c->channel));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const uint32_t bit = 1u << c->channel;
  for (;;) {  // the machine bounds one wait; loop up to the caller's timeout
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    RPROCTEE_ASSIGN(const protocol::Reply reply,
                    call(*tx_, protocol::MailboxCommand::kWaitFree, c->channel,
                         std::max(left, std::chrono::milliseconds(0))));
    if (!(reply.params[0].b & bit)) return true;
    if (left.count() <= 0) return false;
  }
}

void Mailbox::listen(std::function<void(const std::string&)> on_message,
                     std::function<void(const CoreCrash&)> on_crash) {
  if (receiver_.joinable() || channels_.empty()) return;
  on_message_ = std::move(on_message);
  on_crash_ = std::move(on_crash);
  receiver_ = std::thread([this] { receive_loop(); });
}

void Mailbox::receive_loop() {
  // Crashes from before this thread started are not news (a restarted normal world).
  auto first = call(*rx_, protocol::MailboxCommand::kWaitReceived, channels_[0].channel,
                    std::chrono::milliseconds(0), 0);
  if (!first) return;
  uint32_t crashes_seen = first->params[1].a;
  while (!stopping_) {
    auto reply = call(*rx_, protocol::MailboxCommand::kWaitReceived, channels_[0].channel,
                      kReceivePoll, crashes_seen);
    if (!reply) return;  // the machine is gone: nothing more will arrive
    if (reply->params[1].a != crashes_seen) {
      crashes_seen = reply->params[1].a;
      if (on_crash_)
        on_crash_(CoreCrash{static_cast<protocol::CrashKind>(reply->params[1].b),
                            reply->params[2].a, reply->params[2].b});
    }
    for (const dt::MailboxChannel& c : channels_) {
      if (!(reply->params[0].a & (1u << c.channel))) continue;
      // Cleared first, as stm32_ipcc_rx_irq does: handling is deferred work in Linux, so the
      // firmware never waits on the host's handler to send again.
      (void)call(*rx_, protocol::MailboxCommand::kAcknowledge, c.channel);
      on_message_(c.name);
    }
  }
}

}  // namespace rproctee::remoteproc
