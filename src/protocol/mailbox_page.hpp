// The mailbox page: the IPCC state of one processor that the normal world reads and writes,
// in one page of memory shared by the machine and the normal world (a memfd the machine
// creates, sealed against growing and shrinking, handed over by kMapMailbox). A doorbell is a
// store into the page plus a futex wake, never a socket message; the socket stays for the TEE
// client API and control.
//
// Every word is a little-endian u32 at a fixed offset, accessed with 32-bit atomics (futex
// words are shared, so the futexes are never FUTEX_PRIVATE_FLAG). Who writes what:
//
//   host (normal world) writes:  kSend, kAck (bits set with atomic OR), kDoorbell (incremented
//                                after setting bits), kHostWaiters / kSentWaiters (while a
//                                thread sleeps), kHostWakeBits
//   machine writes:              everything else
//
// Host -> remote: the host ORs channel bits into kSend (ring) or kAck (clear a remote -> host
// flag), increments kDoorbell and, when kMachineWaiters is non-zero, FUTEX_WAKEs kDoorbell;
// for an acknowledgement only when one of its channels is in kAckWakes. The machine applies
// the others at its next look (before the firmware runs again, and at once when its engine
// runs: its block hook compares kDoorbell): a firmware asleep in WFI needs a wake only when it
// waits for the channel's "free" interrupt, so an acknowledgement costs no thread wake-up.
// The machine's mailbox thread swaps kSend/kAck to 0, keeps only the processor's channels
// (kChannelMask), applies the acks then the sends to its IPCC (raising the core's interrupt),
// and stores in kServed the kDoorbell value it read before swapping: every request rung up to
// that value has been applied.
// Remote -> host: after every change of the IPCC (the firmware wrote a register, a reset, a
// crash of the core) the machine rewrites kReceived / kOccupied (the flags of the processor's
// channels), kRings[n] (how many times the remote rang channel n, whether or not its flag was
// still set: the host acknowledges asynchronously, so a ring that comes before its
// acknowledgement was applied still announces new work), the crash words; when kReceived,
// kRings or the crash count changed it increments kHostSeq (the receive thread's futex) and,
// when kHostWaiters is non-zero, wakes it (FUTEX_WAKE_BITSET with kHostWakeBits, every sleeper
// when that is 0: the host's receive thread sleeps with one bit, a thread waiting for its own
// message with another, so that one ring wakes one thread); when kOccupied or kServed changed, the same
// with kSentSeq / kSentWaiters (a sender waiting for the remote to clear its channel). The
// receive thread is thus not woken by the host's own doorbells.
// The crash words are written before kCrashCount, which a reader reads before and after them.
//
// The machine trusts no word of the page: it masks every channel bit it reads with the
// channels the processor owns, reads no pointer, size or index from it, and only compares and
// wakes on the futex words, so a normal world writing garbage can delay or fake its own
// doorbells but never reach another processor's channels or wedge the machine. The host reads
// the machine's words as notifications only: a ring it did not expect costs a look at vrings
// it validates anyway, an offset beyond the page is never formed from a word. The page holds
// no secure data: the firewall is unchanged (the normal world maps only non-secure regions
// and this page).
#pragma once

#include <cstdint>

namespace rproctee::protocol::mailbox_page {

inline constexpr uint32_t kSize = 4096;
inline constexpr uint32_t kMagicValue = 0x424d5052;  // "RPMB"
inline constexpr uint32_t kVersionValue = 2;
inline constexpr uint32_t kMaxChannels = 16;

// Byte offsets of the u32 words.
inline constexpr uint32_t kMagic = 0x00;
inline constexpr uint32_t kVersion = 0x04;
inline constexpr uint32_t kChannelMask = 0x08;  // the processor's channels on its IPCC
// Host -> machine requests.
inline constexpr uint32_t kSend = 0x40;
inline constexpr uint32_t kAck = 0x44;
inline constexpr uint32_t kDoorbell = 0x48;        // futex word of the machine's thread
inline constexpr uint32_t kMachineWaiters = 0x4c;  // non-zero while the machine sleeps
inline constexpr uint32_t kServed = 0x50;          // the kDoorbell value served last
// Machine -> host state.
inline constexpr uint32_t kHostSeq = 0x80;      // futex word of the host's waiters
inline constexpr uint32_t kHostWaiters = 0x84;  // non-zero while a host thread sleeps
inline constexpr uint32_t kReceived = 0x88;     // remote -> host flags (C2TOC1SR)
inline constexpr uint32_t kOccupied = 0x8c;     // host -> remote flags (C1TOC2SR)
inline constexpr uint32_t kCrashCount = 0x90;   // crashes of the core so far
inline constexpr uint32_t kCrashKind = 0x94;    // CrashKind of the newest
inline constexpr uint32_t kCrashPc = 0x98;
inline constexpr uint32_t kCrashAddress = 0x9c;
inline constexpr uint32_t kSentSeq = 0xa0;      // futex word of senders waiting for a clear
inline constexpr uint32_t kSentWaiters = 0xa4;  // non-zero while such a sender sleeps
inline constexpr uint32_t kAckWakes = 0xa8;     // channels whose acknowledgement must wake
inline constexpr uint32_t kHostWakeBits = 0xac; // which of the host's kHostSeq sleepers to wake
inline constexpr uint32_t kRings = 0xc0;        // u32[kMaxChannels], see above

/// How long a waiter spins on its word before it sleeps on the futex.
inline constexpr uint32_t kSpinMicroseconds = 2;

}  // namespace rproctee::protocol::mailbox_page
