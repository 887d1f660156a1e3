#include "machine/mailbox_page.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "protocol/mailbox_page.hpp"

namespace rproctee::machine {

namespace page = protocol::mailbox_page;

namespace {
// How long the mailbox thread sleeps at most: bounds how long destroying the page takes.
constexpr std::chrono::milliseconds kServePoll{50};
}  // namespace

Result<std::unique_ptr<MailboxPage>> MailboxPage::create(soc::Soc& soc, size_t processor) {
  const dt::Layout& layout = soc.layout();
  if (processor >= layout.processors.size() || layout.processors[processor].mailboxes.empty())
    return make_error(TeeCode::kBadParameters, "processor {} has no mailbox", processor);
  const auto& channels = layout.processors[processor].mailboxes;
  soc::Ipcc* ipcc = soc.ipcc(channels[0].controller);
  if (!ipcc) return make_error(TeeCode::kBadParameters, "processor {} has no IPCC", processor);
  uint32_t mask = 0;
  for (const dt::MailboxChannel& c : channels)
    if (c.controller == channels[0].controller && c.channel < page::kMaxChannels)
      mask |= 1u << c.channel;
  const int fd = ::memfd_create("rproctee-mailbox", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return make_error(TeeCode::kOutOfMemory, "memfd_create (mailbox page): {}",
                      std::strerror(errno));
  void* memory = MAP_FAILED;
  if (::ftruncate(fd, page::kSize) == 0 &&
      ::fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) == 0)
    memory = ::mmap(nullptr, page::kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) {
    const int err = errno;
    ::close(fd);
    return make_error(TeeCode::kOutOfMemory, "mailbox page of processor {}: {}", processor,
                      std::strerror(err));
  }
  std::unique_ptr<MailboxPage> p(new MailboxPage(soc, processor, *ipcc, mask, fd, memory));
  p->words_.store(page::kVersion, page::kVersionValue);
  p->words_.store(page::kChannelMask, mask);
  p->publish(true);
  p->words_.store(page::kMagic, page::kMagicValue);
  p->listener_ = ipcc->add_host_listener([q = p.get()] { q->publish(false); });
  p->served_ = p->words_.load(page::kDoorbell);
  p->thread_ = std::thread([q = p.get()] { q->serve_loop(); });
  p->attached_ = soc.attach_doorbell(processor, p.get());
  return p;
}

MailboxPage::MailboxPage(soc::Soc& soc, size_t processor, soc::Ipcc& ipcc, uint32_t mask, int fd,
                         void* memory)
    : soc_(soc),
      processor_(processor),
      ipcc_(ipcc),
      mask_(mask),
      fd_(fd),
      memory_(memory),
      words_(memory, page::kSize) {}

MailboxPage::~MailboxPage() {
  if (attached_) soc_.detach_doorbell(processor_);  // the core no longer looks at the page
  stopping_ = true;
  words_.fetch_add(page::kDoorbell, 1);
  words_.wake_all(page::kDoorbell);
  handover_.fetch_add(1);
  handover_.notify_all();
  if (thread_.joinable()) thread_.join();
  ipcc_.remove_host_listener(listener_);
  ::munmap(memory_, page::kSize);
  ::close(fd_);
}

uint32_t MailboxPage::rung_offset() const {
  return page::kDoorbell;
}

uint32_t MailboxPage::sleepers_offset() const {
  return page::kMachineWaiters;
}

// The normal world's doorbells. Only the bits of the processor's channels are applied; the
// doorbell count is only compared and echoed in kServed.
uint32_t MailboxPage::serve() {
  std::lock_guard lock(serve_mutex_);
  // Read before the swaps: the host sets its bits before it increments the count, so every
  // ring up to this value is in what the swaps take.
  const uint32_t rung = words_.load(page::kDoorbell);
  const uint32_t acks = words_.exchange(page::kAck, 0) & mask_;
  const uint32_t sends = words_.exchange(page::kSend, 0) & mask_;
  for (uint32_t n = 0; n < page::kMaxChannels; ++n)
    if (acks & (1u << n)) ipcc_.host_ack(n);
  for (uint32_t n = 0; n < page::kMaxChannels; ++n)
    if (sends & (1u << n)) ipcc_.host_send(n);
  words_.store(page::kServed, rung);
  served_ = rung;
  if (sends) published_sent();  // kServed moved: a sender may wait for it
  return rung;
}

void MailboxPage::served_by_core(bool yes) {
  core_serves_ = yes;
  publish(false);  // kAckWakes
  if (yes) return;
  handover_.fetch_add(1);
  handover_.notify_all();
}

// This thread serves whenever the core's thread does not.
void MailboxPage::serve_loop() {
  while (!stopping_) {
    if (core_serves_) {
      const uint32_t handed = handover_.load();
      if (core_serves_ && !stopping_) handover_.wait(handed);
      continue;
    }
    const uint32_t rung =
        words_.wait_change(page::kDoorbell, page::kMachineWaiters, served_,
                           std::chrono::microseconds(page::kSpinMicroseconds), kServePoll);
    if (stopping_) return;
    if (!core_serves_ && rung != served_) serve();
  }
}

void MailboxPage::publish(bool force) {
  std::lock_guard lock(publish_mutex_);
  soc::Ipcc::HostView view = ipcc_.host_view();
  view.flags.received &= mask_;
  view.flags.occupied &= mask_;
  const soc::Soc::CrashRecord crashes = soc_.crashes(processor_);
  const bool news = force || view.flags.received != published_.flags.received ||
                    view.rings != published_.rings || crashes.generation != published_crashes_;
  const bool sent = force || view.flags.occupied != published_.flags.occupied;
  // While the core's thread serves, it applies acknowledgements before the firmware runs:
  // only a channel whose "free" interrupt the firmware waits for needs a wake. Otherwise this
  // object's thread, asleep on the doorbell, must be woken for every one.
  const uint32_t ack_wakes = core_serves_ ? view.free_watched & mask_ : ~0u;
  if (force || ack_wakes != published_ack_wakes_) {
    published_ack_wakes_ = ack_wakes;
    words_.store(page::kAckWakes, ack_wakes);
  }
  if (!news && !sent) return;
  published_ = view;
  published_crashes_ = crashes.generation;
  words_.store(page::kReceived, view.flags.received);
  words_.store(page::kOccupied, view.flags.occupied);
  for (uint32_t n = 0; n < page::kMaxChannels; ++n)
    words_.store(page::kRings + 4 * n, view.rings[n]);
  words_.store(page::kCrashKind, static_cast<uint32_t>(crashes.last.kind));
  words_.store(page::kCrashPc, crashes.last.pc);
  words_.store(page::kCrashAddress, crashes.last.address);
  words_.store(page::kCrashCount, crashes.generation);
  if (news) {
    words_.fetch_add(page::kHostSeq, 1);
    const uint32_t bits = words_.load(page::kHostWakeBits);  // the host's choice, any value
    words_.notify(page::kHostSeq, page::kHostWaiters, bits ? bits : SharedWords::kAllSleepers);
  }
  if (sent) published_sent();
}

void MailboxPage::published_sent() {
  words_.fetch_add(page::kSentSeq, 1);
  words_.notify(page::kSentSeq, page::kSentWaiters);
}

}  // namespace rproctee::machine
