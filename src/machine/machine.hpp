// The machine: the secure world (TEE core, remoteproc TA, platform service) and the simulated
// SoC in one process, as on a board. The normal world reaches it only through TEE messages
// (Connection) and the memory regions the firewall lets it map.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "machine/client_limits.hpp"
#include "machine/mailbox_page.hpp"
#include "platform/rollback_store.hpp"
#include "platform/secure_config.hpp"
#include "soc/soc.hpp"
#include "tee/tee_core.hpp"

namespace rproctee::machine {

struct MachineOptions {
  platform::Description description;
  std::string state_dir;  // anti-rollback counters; empty: in memory only
  /// Make the memories resident at start (zeroes every page at once); off: a fresh memfd is
  /// all holes, which read as zero, and the first LOAD touches only the pages it writes.
  bool populate = false;
  /// Run the firmware on emulated Cortex-M cores; false: cores that only record hold-boot and
  /// reset (tests of the layers above with firmware that is not real code).
  bool emulate_cores = true;
  uint64_t core_clock_hz = 64'000'000;
  /// What an access to a peripheral without a model gets (--unmodelled).
  soc::UnmodelledPolicy unmodelled = soc::UnmodelledPolicy::kFault;
  /// --gdb PORT / --gdb-wait (soc::Soc::Emulation).
  std::optional<uint16_t> gdb_port;
  bool gdb_wait = false;
  /// Told of every crash of a core (on the core's thread); the CLI logs it.
  std::function<void(const std::string& processor, const soc::CrashReport&)> on_crash;
  ClientLimits limits;
  /// The board's serial console, pins and warnings (soc/board_io.hpp).
  soc::BoardOutputs outputs;
};

class Machine {
 public:
  static Result<std::unique_ptr<Machine>> create(MachineOptions options);
  ~Machine();

  tee::TeeCore& tee() { return *core_; }
  soc::Soc& soc() { return *soc_; }
  const platform::Description& description() const { return description_; }
  const ClientLimits& limits() const { return limits_; }

  /// Accounts one shared memory of `bytes` against the machine-wide limits: false (and nothing
  /// accounted) when it would go over.
  bool reserve_shared_memory(uint64_t bytes);
  void release_shared_memory(uint64_t bytes);

  /// A new descriptor of processor `processor`'s mailbox page (made on first use, shared by
  /// every client), and the channels it serves. BAD_PARAMETERS without a mailbox.
  struct MailboxPageFd {
    int fd = -1;
    uint32_t channel_mask = 0;
  };
  Result<MailboxPageFd> mailbox_page(size_t processor);

 private:
  explicit Machine(platform::Description d) : description_(std::move(d)) {}
  platform::Description description_;
  ClientLimits limits_;
  std::mutex shm_mutex_;  // guards the two totals below
  uint64_t shm_bytes_ = 0;
  size_t shm_count_ = 0;
  std::unique_ptr<soc::Soc> soc_;
  std::unique_ptr<platform::RollbackStore> rollback_;
  std::unique_ptr<tee::TeeCore> core_;  // destroyed early: its TAs use the SoC
  std::mutex pages_mutex_;
  std::vector<std::unique_ptr<MailboxPage>> pages_;  // by processor; destroyed first (IPCCs)
};

}  // namespace rproctee::machine
