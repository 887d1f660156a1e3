// The STM32 IPCC (inter-processor communication controller) of the simulated SoC: 6 channels
// (STM32MP15) or 16 (STM32MP2) in each direction between processor 1 (the host, the normal
// world's Cortex-A) and processor 2 (the remote core), with the register layout of the real part
// (RM0436 "IPCC"; HWCFGR.CHANNELS says how many), so that the firmware drives it with ordinary
// loads and stores and the host through the same registers. The set/clear registers read as 0.
//
// A channel works like a doorbell with an acknowledgement: the sender sets its status flag
// (CxSCR.CHnS -> CxTOCySR.CHnF), the receiver handles the message and clears the flag
// (CySCR.CHnC), which tells the sender the channel is free again.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace rproctee::soc {

class Ipcc {
 public:
  static constexpr uint32_t kDefaultChannels = 6, kMaxChannels = 16;
  // Register offsets.
  static constexpr uint32_t kC1CR = 0x000, kC1MR = 0x004, kC1SCR = 0x008, kC1TOC2SR = 0x00C;
  static constexpr uint32_t kC2CR = 0x010, kC2MR = 0x014, kC2SCR = 0x018, kC2TOC1SR = 0x01C;
  static constexpr uint32_t kHWCFGR = 0x3F0, kVER = 0x3F4, kID = 0x3F8, kSID = 0x3FC;
  static constexpr uint32_t kSize = 0x400;
  // CxCR bits.
  static constexpr uint32_t kRxOccupiedIe = 1u << 0, kTxFreeIe = 1u << 16;

  explicit Ipcc(uint64_t base, uint32_t channels = kDefaultChannels);
  uint64_t base() const { return base_; }
  uint32_t channels() const { return channels_; }

  /// A 32-bit register access (either processor; the block is shared). Unknown offsets read 0
  /// and ignore writes, as reserved registers of the real part do.
  uint32_t read(uint32_t offset) const;
  void write(uint32_t offset, uint32_t value);

  // --- processor 1 (the host) ---
  /// Sets channel `channel` host -> remote (the remote sees "occupied").
  void host_send(uint32_t channel) { write(kC1SCR, 1u << (16 + channel)); }
  /// Clears a channel the remote set (acknowledges its message).
  void host_ack(uint32_t channel) { write(kC1SCR, 1u << channel); }
  /// Channel flags: remote -> host messages not yet acknowledged, and host -> remote messages
  /// the remote has not yet cleared.
  struct Flags {
    uint32_t received = 0, occupied = 0;
    bool operator==(const Flags&) const = default;
  };
  Flags flags() const;
  /// The flags with, per channel, how many times the remote rang it towards the host (wrote
  /// its set bit), whether or not the flag was still set: each ring may announce new work,
  /// also one that comes while the host's acknowledgement of the previous one is on its way.
  /// `free_watched`: the remote's channels whose "free" interrupt is enabled and unmasked
  /// (it waits for the host's acknowledgement of them).
  struct HostView {
    Flags flags;
    std::array<uint32_t, kMaxChannels> rings{};
    uint32_t free_watched = 0;
  };
  HostView host_view() const;
  /// Told (outside the lock, on the thread that made the change) after every change of the
  /// flags, every reset and every wake_waiters(): the machine's mailbox pages republish then.
  /// remove_host_listener() returns once the listener is not running and will not run again.
  uint64_t add_host_listener(std::function<void()> listener);
  void remove_host_listener(uint64_t id);
  /// Waits until `done(flags)` holds or `timeout` passes; returns the flags seen last.
  Flags wait(const std::function<bool(const Flags&)>& done, std::chrono::milliseconds timeout);

  // --- processor 2 (the remote core) ---
  /// Its two interrupt lines (levels): RX occupied (a host message waits on an unmasked
  /// channel) and TX free (one of its channels is free and unmasked).
  bool remote_rx_irq() const;
  bool remote_tx_free_irq() const;
  /// Called (outside the lock) after every change that may raise a line: the core's NVIC
  /// samples the lines then.
  void set_remote_listener(std::function<void()> listener);

  /// Wakes every wait() so that it re-evaluates its condition (which may look beyond the
  /// flags, e.g. at a crash of the core).
  void wake_waiters();

  /// Reset state (all channels free, interrupts disabled, every channel masked).
  void reset();

 private:
  uint32_t read_locked(uint32_t offset) const;
  void apply_scr(uint32_t value, uint32_t& own, uint32_t& other) const;
  void count_rings(uint32_t scr);
  void notify_host();
  const uint64_t base_;
  const uint32_t channels_;
  const uint32_t channel_mask_;  // one bit per channel
  const uint32_t mr_mask_;       // CHnOM and CHnFM bits of the channels
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> listener_;
  uint32_t c1cr_ = 0, c2cr_ = 0;
  uint32_t c1mr_, c2mr_;  // every channel masked at reset
  uint32_t c1toc2_ = 0, c2toc1_ = 0;
  std::array<uint32_t, kMaxChannels> rings_{};
  std::mutex host_listeners_mutex_;  // held while the listeners run
  std::vector<std::pair<uint64_t, std::function<void()>>> host_listeners_;
  uint64_t next_host_listener_ = 1;
};

}  // namespace rproctee::soc
