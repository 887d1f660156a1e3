#include "remoteproc/mailbox.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "common/scope_guard.hpp"
#include "protocol/mailbox_page.hpp"
#include "teec/machine_connection.hpp"

namespace rproctee::remoteproc {
namespace {

namespace page = protocol::mailbox_page;
using std::chrono::microseconds;

// How long the receive thread sleeps before it checks that the machine is still there; also
// bounds how long closing takes.
constexpr std::chrono::milliseconds kReceivePoll{100};
// One sleep of a sender waiting for an acknowledgement (it re-reads the page after each).
constexpr std::chrono::milliseconds kAckPoll{10};
constexpr microseconds kSpin{page::kSpinMicroseconds};

/// Asks the machine for processor `processor`'s page: the descriptor and the channel mask.
Result<std::pair<int, uint32_t>> map_request(protocol::Transport& link, uint32_t processor) {
  protocol::Request r;
  r.kind = protocol::MessageKind::kMapMailbox;
  r.seq = 1;
  r.session = processor;
  std::vector<int> fds;
  RPROCTEE_ASSIGN(const protocol::Reply reply, link.call(r, {}, fds));
  ScopeGuard close_extra([&] {
    for (size_t i = 1; i < fds.size(); ++i) ::close(fds[i]);
  });
  if (reply.code != 0 || fds.empty()) {
    if (!fds.empty()) ::close(fds[0]);
    return make_error(reply.code ? static_cast<TeeCode>(reply.code) : TeeCode::kCommunication,
                      "the machine gives no mailbox page for processor {}", processor);
  }
  if (reply.params[0].a != page::kSize) {
    ::close(fds[0]);
    return make_error(TeeCode::kCommunication, "mailbox page of {} bytes (expected {})",
                      reply.params[0].a, page::kSize);
  }
  return std::pair{fds[0], reply.params[0].b};
}

}  // namespace

Result<std::unique_ptr<Mailbox>> Mailbox::open(const std::string& machine, uint32_t processor_index,
                                               std::vector<dt::MailboxChannel> channels) {
  RPROCTEE_ASSIGN(auto link, teec::connect_machine(machine));
  RPROCTEE_ASSIGN(const auto mapped, map_request(*link, processor_index));
  const auto [fd, mask] = mapped;
  ScopeGuard close_fd([fd = fd] { ::close(fd); });
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(page::kSize))
    return make_error(TeeCode::kCommunication, "the mailbox page descriptor is too small");
  void* p = ::mmap(nullptr, page::kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    return make_error(TeeCode::kOutOfMemory, "cannot map the mailbox page: {}",
                      std::strerror(errno));
  std::unique_ptr<Mailbox> m(new Mailbox(std::move(link), p));
  if (m->words_.load(page::kMagic) != page::kMagicValue ||
      m->words_.load(page::kVersion) != page::kVersionValue)
    return make_error(TeeCode::kCommunication,
                      "mailbox page magic {:#x} version {} not understood (this build: magic {:#x} "
                      "version {}; the machine and `up` must come from the same rproctee)",
                      m->words_.load(page::kMagic), m->words_.load(page::kVersion),
                      page::kMagicValue, page::kVersionValue);
  m->processor_ = processor_index;
  m->channels_ = std::move(channels);
  m->page_mask_ = mask;
  return m;
}

Mailbox::Mailbox(std::unique_ptr<protocol::Transport> link, void* page)
    : link_(std::move(link)), page_(page), words_(page, page::kSize) {}

Mailbox::~Mailbox() {
  stop_listening();
  ::munmap(page_, page::kSize);
}

void Mailbox::stop_listening() {
  listening_ = false;
  stopping_ = true;
  words_.wake_all(page::kHostSeq);  // a sleeping receive thread (or poller) looks again
  if (receiver_.joinable()) receiver_.join();
  // Pollers leave at once now (receive_now() hands nothing over any more); they may be
  // finishing a callback.
  while (pollers_.load() != 0) {
    words_.wake_all(page::kHostSeq);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

const dt::MailboxChannel* Mailbox::find(std::string_view name) const {
  for (const dt::MailboxChannel& c : channels_)
    if (c.name == name) return &c;
  return nullptr;
}

Result<uint32_t> Mailbox::bit_of(std::string_view name) const {
  const dt::MailboxChannel* c = find(name);
  if (!c) return make_error(TeeCode::kItemNotFound, "no mailbox channel \"{}\"", name);
  if (c->channel >= page::kMaxChannels || !(page_mask_ & (1u << c->channel)))
    return make_error(TeeCode::kBadParameters,
                      "mailbox channel \"{}\" (IPCC channel {}) is not on the mailbox page "
                      "(channels {:#x})",
                      name, c->channel, page_mask_);
  return 1u << c->channel;
}

uint32_t Mailbox::ring(uint32_t word, uint32_t bits) {
  words_.fetch_or(word, bits);  // before the doorbell: the machine swaps it after reading that
  const uint32_t rung = words_.fetch_add(page::kDoorbell, 1) + 1;
  // An acknowledgement wakes the machine only when it says it must (see kAckWakes).
  if (word != page::kAck || (words_.load(page::kAckWakes) & bits))
    words_.notify(page::kDoorbell, page::kMachineWaiters);
  return rung;
}

Status Mailbox::send(std::string_view name) {
  RPROCTEE_ASSIGN(const uint32_t bit, bit_of(name));
  ring(page::kSend, bit);
  return {};
}

Result<bool> Mailbox::send_and_wait(std::string_view name, std::chrono::milliseconds timeout) {
  RPROCTEE_ASSIGN(const uint32_t bit, bit_of(name));
  const uint32_t rung = ring(page::kSend, bit);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const uint32_t seq = words_.load(page::kSentSeq);
    // Served up to our doorbell (so the flags include our send), and cleared since.
    const bool served = static_cast<int32_t>(words_.load(page::kServed) - rung) >= 0;
    if (served && !(words_.load(page::kOccupied) & bit)) return true;
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    words_.wait_change(page::kSentSeq, page::kSentWaiters, seq, kSpin,
                       std::min(std::chrono::duration_cast<microseconds>(left),
                                std::chrono::duration_cast<microseconds>(kAckPoll)));
  }
}

Mailbox::CoreCrash Mailbox::read_crash(uint32_t& count) const {
  CoreCrash c;
  for (;;) {
    count = words_.load(page::kCrashCount);
    c.kind = static_cast<protocol::CrashKind>(words_.load(page::kCrashKind));
    c.pc = words_.load(page::kCrashPc);
    c.address = words_.load(page::kCrashAddress);
    if (words_.load(page::kCrashCount) == count) return c;
  }
}

// The socket is idle while the page carries the doorbells: a cheap question tells whether
// the machine still answers.
bool Mailbox::machine_alive() {
  protocol::Request r;
  r.kind = protocol::MessageKind::kMailbox;
  r.seq = 2;
  r.session = processor_;
  r.command = static_cast<uint32_t>(protocol::MailboxCommand::kWaitReceived);
  r.params[0].a = channels_.empty() ? 0 : channels_[0].channel;
  std::vector<int> fds;
  auto reply = link_->call(r, {}, fds);
  for (int fd : fds) ::close(fd);
  return static_cast<bool>(reply);
}

void Mailbox::listen(std::function<void(const std::string&)> on_message,
                     std::function<void(const CoreCrash&)> on_crash) {
  if (receiver_.joinable() || channels_.empty()) return;
  on_message_ = std::move(on_message);
  on_crash_ = std::move(on_crash);
  {
    // Crashes from before listening are not news (a restarted normal world); a message
    // already waiting is.
    std::lock_guard lock(receive_mutex_);
    (void)read_crash(crashes_seen_);
    const uint32_t pending = words_.load(page::kReceived);
    for (uint32_t n = 0; n < page::kMaxChannels; ++n)
      rings_seen_[n] = words_.load(page::kRings + 4 * n) - ((pending >> n) & 1u);
  }
  stopping_ = false;
  publish_wake_bits();
  receiver_ = std::thread([this] { receive_loop(); });
  listening_ = true;
}

bool Mailbox::receive_once() {
  uint32_t crashes = 0;
  const CoreCrash crash = read_crash(crashes);
  const bool crashed = crashes != crashes_seen_;
  if (crashed) {
    crashes_seen_ = crashes;
    if (on_crash_) on_crash_(crash);
  }
  uint32_t acks = 0;
  std::array<const dt::MailboxChannel*, page::kMaxChannels> fired{};
  size_t count = 0;
  for (const dt::MailboxChannel& c : channels_) {
    if (c.channel >= page::kMaxChannels || !(page_mask_ & (1u << c.channel))) continue;
    const uint32_t rings = words_.load(page::kRings + 4 * c.channel);
    if (rings == rings_seen_[c.channel] || count == fired.size()) continue;
    rings_seen_[c.channel] = rings;
    acks |= 1u << c.channel;
    fired[count++] = &c;
  }
  // Cleared first, as stm32_ipcc_rx_irq does: handling is deferred work in Linux, so the
  // firmware never waits on the host's handler to send again.
  if (acks) ring(page::kAck, acks);
  for (size_t i = 0; i < count; ++i) on_message_(fired[i]->name);
  return crashed || count != 0;
}

// kHostWakeBits tells the machine whom to wake: the receive thread sleeps with bitset
// kReceiveThreadBit, pollers in futex_waitv (which every bitset wakes), so kPollerBit reaches
// the pollers alone.
namespace {
constexpr uint32_t kReceiveThreadBit = 1, kPollerBit = 2;
}  // namespace

void Mailbox::publish_wake_bits() {
  std::lock_guard lock(wake_bits_mutex_);
  words_.store(page::kHostWakeBits, pollers_.load() ? kPollerBit : kReceiveThreadBit);
}

bool Mailbox::receive_now() {
  std::lock_guard lock(receive_mutex_);
  return !stopping_ && receive_once();
}

void Mailbox::receive_loop() {
  while (!stopping_) {
    const uint32_t seq = words_.load(page::kHostSeq);  // before the state: no change is missed
    if (receive_now()) continue;                       // look again before sleeping
    const uint32_t now = words_.wait_change(page::kHostSeq, page::kHostWaiters, seq, kSpin,
                                            std::chrono::duration_cast<microseconds>(kReceivePoll),
                                            kReceiveThreadBit);
    if (now == seq && !stopping_ && !machine_alive()) return;  // nothing more will arrive
  }
}

bool Mailbox::poll(std::chrono::steady_clock::time_point deadline, const LocalWakeWord& own,
                   uint32_t own_seen) {
  if (!listening_ || stopping_ || !SharedWords::can_wait_either()) return false;
  pollers_.fetch_add(1);
  publish_wake_bits();
  for (;;) {
    const uint32_t seq = words_.load(page::kHostSeq);
    const bool handed = receive_now();
    const auto now = std::chrono::steady_clock::now();
    if (handed || stopping_ || own.load() != own_seen || now >= deadline) break;
    // One sleep on the page's word (the machine's wake) and the caller's (the receive
    // thread's): futex_waitv sleepers match every wake bitset, the receive thread only its own.
    words_.wait_either(page::kHostSeq, page::kHostWaiters, seq, own, own_seen, kSpin,
                       std::min(deadline, now + kReceivePoll));
  }
  if (pollers_.fetch_sub(1) == 1) {
    publish_wake_bits();
    // What the machine announced after the last look but before the receive thread was its
    // addressee again: the machine increments kHostSeq before it reads kHostWakeBits.
    receive_now();
  }
  return true;
}

}  // namespace rproctee::remoteproc
