// The firmware's side of virtio-rpmsg for tests, on plain host memory standing in for
// vdev0vring0, vdev0vring1 and vdev0buffer: it reads the vrings the host initialised, takes
// the host's RX buffers to send (name-service announcements, echoes, anything), consumes the
// host's TX buffers and gives them back (or holds them on request). Kicks are handled on the
// device's own thread, as a real core would; interrupts go to a callback (RpmsgDevice or
// Rproc). Raw helpers write arbitrary used entries and indices for the hostile cases.
//
// The vring layout is computed here independently of src/rpmsg/vring.cpp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "remoteproc/rproc.hpp"
#include "remoteproc/vdev.hpp"
#include "rpmsg/virtio_port.hpp"
#include "rpmsg/wire.hpp"

namespace rproctee::test {

class FakeRpmsgDevice {
 public:
  static constexpr uint64_t kVring0Da = 0x10040000, kVring1Da = 0x10041000;
  static constexpr uint64_t kBufferDa = 0x10042000;
  static constexpr uint32_t kDeviceAddr = 0x1;  // the firmware's endpoint

  struct Desc {
    uint64_t addr = 0;
    uint32_t len = 0;
    uint16_t flags = 0, next = 0;
  };
  struct Message {
    uint32_t src = 0, dst = 0;
    std::vector<uint8_t> payload;
  };

  explicit FakeRpmsgDevice(uint32_t num = 16, uint32_t align = 16,
                           uint64_t buffer_size = 2 * 16 * 512);
  ~FakeRpmsgDevice();

  uint32_t num() const { return num_; }
  std::span<uint8_t> vring_memory(int ring) { return ring == 0 ? vring0_ : vring1_; }
  std::span<uint8_t> buffer_memory() { return buffers_; }
  /// The vrings and buffer carveout as remoteproc places them (notify ids 0 and 1).
  std::vector<remoteproc::Vring> vrings();
  remoteproc::MemoryMapping buffer_mapping();

  /// Where interrupts go.
  void set_interrupt(std::function<void(uint32_t notifyid)> interrupt);
  /// The host's doorbell: handled on the device thread.
  void kick(uint32_t notifyid);
  /// Echo every message received back to its sender (from the address it was sent to).
  void set_echo(bool echo);
  /// Keep TX buffers instead of giving them back; release_tx() returns the held ones.
  void set_hold_tx(bool hold);
  void release_tx();

  /// Sends device -> host in the next RX buffer the host posted, then interrupts vring0;
  /// false when the host has none posted.
  bool send(uint32_t src, uint32_t dst, std::span<const uint8_t> payload);
  bool announce(const std::string& name, uint32_t addr, rpmsg::NsAction action);
  /// The next message the host sent, waiting up to `timeout`.
  std::optional<Message> wait_message(std::chrono::milliseconds timeout);
  size_t messages_received() const;
  /// Waits until the device thread has handled every kick so far.
  void settle();

  // --- reading what the host wrote ---
  uint16_t avail_idx(int ring) const;
  uint16_t avail_entry(int ring, uint32_t slot) const;
  Desc desc(int ring, uint32_t id) const;
  uint16_t used_idx(int ring) const;

  // --- hostile primitives (the device thread must be idle: no echo, settle() first) ---
  /// Writes used entry {id, len} at the current used.idx and advances it by one.
  void push_used_raw(int ring, uint32_t id, uint32_t len);
  void set_used_idx(int ring, uint16_t idx);
  /// Takes the next RX buffer the host posted (its desc id), without publishing anything.
  std::optional<uint16_t> take_rx_buffer();
  /// The bytes of the buffer at device address `addr`, or an empty span when outside.
  std::span<uint8_t> buffer_at(uint64_t addr, uint32_t len);
  void interrupt(uint32_t notifyid);

 private:
  uint64_t used_offset() const;
  std::span<uint8_t> ring(int r) { return r == 0 ? vring0_ : vring1_; }
  std::span<const uint8_t> ring(int r) const { return r == 0 ? vring0_ : vring1_; }
  void run();
  void handle_tx_locked(std::vector<uint32_t>& interrupts);
  bool send_locked(uint32_t src, uint32_t dst, std::span<const uint8_t> payload);
  void publish_used_locked(int ring, uint32_t id, uint32_t len);

  const uint32_t num_, align_;
  std::vector<uint8_t> vring0_, vring1_, buffers_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<uint32_t> kicks_;
  bool busy_ = false, quit_ = false;
  bool echo_ = false, hold_tx_ = false;
  std::vector<std::pair<uint32_t, uint32_t>> held_tx_;  // {id, len}
  std::deque<Message> echo_backlog_;                    // echoes waiting for an RX buffer
  uint16_t last_rx_avail_ = 0, last_tx_avail_ = 0;
  std::deque<Message> received_;
  size_t received_total_ = 0;
  std::function<void(uint32_t)> interrupt_;
  std::thread thread_;
};

/// rpmsg::VirtioPort over a FakeRpmsgDevice: kicks go to the device, log lines are kept, and
/// the vrings are snapshotted at the moment the host sets DRIVER_OK.
class FakePort final : public rpmsg::VirtioPort {
 public:
  explicit FakePort(FakeRpmsgDevice& device, uint32_t features = rpmsg::kFeatureNameService)
      : device_(device), features_(features) {}
  std::vector<remoteproc::Vring> vrings() const override;
  const remoteproc::MemoryMapping* buffers() const override;
  uint32_t device_features() const override { return features_; }
  void set_features(uint32_t features) { features_ = features; }
  void set_driver_features(uint32_t features) override { driver_features = features; }
  uint32_t driver_features = 0;  // what the host accepted
  uint8_t status() override;
  void set_status(uint8_t status) override;
  void kick(uint32_t notifyid) override;
  void log(std::string_view message) override;
  InterruptWaiter interrupt_waiter() override { return waiter; }
  InterruptWaiter waiter;  // none unless a test sets one (before the RpmsgDevice is created)

  std::vector<remoteproc::Vring> vring_override;  // when set, returned instead
  std::optional<remoteproc::MemoryMapping> buffer_override;
  bool no_buffers = false;

  std::string logs() const;
  std::vector<uint8_t> status_history() const;
  /// The vrings when DRIVER_OK was first set (empty before).
  std::vector<uint8_t> vring0_at_driver_ok() const;
  size_t kicks(uint32_t notifyid) const;

 private:
  FakeRpmsgDevice& device_;
  uint32_t features_;
  mutable std::optional<remoteproc::MemoryMapping> mapping_;
  mutable std::mutex mutex_;
  uint8_t status_ = 0;
  std::vector<uint8_t> status_history_;
  std::vector<uint8_t> vring0_snapshot_;
  std::vector<std::string> logs_;
  std::vector<uint32_t> kicks_;
};

}  // namespace rproctee::test
