// A doorbell the normal world rings in shared memory (the mailbox page's futex word, see
// protocol/mailbox_page.hpp) that an emulated core's own thread serves while the core runs.
// Without it, a doorbell wakes the machine's mailbox thread, which raises the core's interrupt,
// which wakes the core's thread: two thread hops per message. With it, the core's thread sleeps
// in WFI on its own wake word and on the doorbell at once (futex_waitv), and its block hook
// compares the doorbell word, so a ring reaches the firmware in one hop. Whoever owns the page
// serves it whenever no core thread does (a stopped, crashed or debugger-halted core).
#pragma once

#include <cstdint>

#include "common/shared_words.hpp"

namespace rproctee::soc {

class CoreDoorbell {
 public:
  virtual ~CoreDoorbell() = default;
  /// The page, its futex word and the word counting its sleepers (the ringer wakes only when
  /// it is non-zero). Every value in the page is untrusted: the core only compares them.
  virtual SharedWords& words() = 0;
  virtual uint32_t rung_offset() const = 0;
  virtual uint32_t sleepers_offset() const = 0;
  /// Applies what was rung up to now to the IPCC and returns the doorbell value it served
  /// (called on the core's thread with none of the core's locks held).
  virtual uint32_t serve() = 0;
  /// The core's thread takes over serving (true), or hands it back (false): from then on the
  /// owner's own thread serves again, starting with what was rung meanwhile.
  virtual void served_by_core(bool yes) = 0;
};

}  // namespace rproctee::soc
