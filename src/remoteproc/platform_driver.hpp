// The normal world of one machine (what Linux is on the board): the platform driver reads each
// remote-processor node of the device tree the machine hands it (without the secure world's
// node: Linux never sees a key or the firewall configuration), picks the TEE backend (v16
// compatible or v22 st,rproc-tee) or the ELF backend, wires its mailbox channels
// (stm32_rproc.c glue), registers the memory regions it can map as carveouts by name, and
// creates one Rproc per processor, plus the log, firmware lookup, core dumps and the sysfs
// table.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dt/layout.hpp"
#include "remoteproc/devcoredump.hpp"
#include "remoteproc/firmware_loader.hpp"
#include "remoteproc/kernel_log.hpp"
#include "remoteproc/rproc.hpp"
#include "remoteproc/soc_link.hpp"
#include "remoteproc/sysfs.hpp"

namespace rproctee::remoteproc {

/// How much larger than a processor's memories a firmware file may be (ELF and image headers,
/// sections that are not loaded such as debug information).
inline constexpr uint64_t kFirmwareSlack = 64ull << 20;

struct NormalWorldOptions {
  std::vector<std::string> firmware_path = {"."};
  bool echo_log = true;                               // the kernel log also goes to stderr
  size_t log_capacity = KernelLog::kDefaultCapacity;  // bytes of the kernel log kept
  std::chrono::milliseconds inline_dump_timeout{5000};
  /// How long a stop waits for the firmware to acknowledge the shutdown request (the "shutdown"
  /// mailbox channel; ST's driver waits 500 ms).
  std::chrono::milliseconds shutdown_timeout{500};
};

class NormalWorld {
 public:
  /// `machine`: how to reach the machine ("unix:PATH" or "inproc:NAME"); the platform is
  /// whatever its normal-world device tree describes.
  static Result<std::unique_ptr<NormalWorld>> create(const std::string& machine,
                                                     NormalWorldOptions options);
  ~NormalWorld();

  KernelLog& log() { return log_; }
  const dt::Layout& layout() const { return soc_->layout(); }
  DevcoredumpStore& dumps() { return dumps_; }
  SysfsTree& sysfs() { return *sysfs_; }
  std::vector<Rproc*> rprocs();
  Rproc* rproc(size_t index) { return index < rprocs_.size() ? rprocs_[index].get() : nullptr; }

 private:
  NormalWorld(NormalWorldOptions o)
      : log_(o.echo_log, o.log_capacity), firmware_(o.firmware_path), options_(std::move(o)) {}
  KernelLog log_;
  DevcoredumpStore dumps_;
  FirmwareLoader firmware_;
  NormalWorldOptions options_;
  std::unique_ptr<SocLink> soc_;
  std::vector<std::unique_ptr<Rproc>> rprocs_;
  std::unique_ptr<SysfsTree> sysfs_;
};

}  // namespace rproctee::remoteproc
