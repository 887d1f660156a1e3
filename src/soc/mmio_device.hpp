// A memory-mapped peripheral as the emulated core sees it: 32-bit registers at offsets from its
// base, and up to 32 interrupt lines (levels) that the core's NVIC samples when told they moved.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace rproctee::soc {

class MmioDevice {
 public:
  virtual ~MmioDevice() = default;
  /// A 32-bit register read at `offset` (word aligned) from the device's base.
  virtual uint32_t read32(uint32_t offset) = 0;
  /// A 32-bit register write. Byte and halfword stores arrive here as a word with the other
  /// bytes zero (right for the write-1-to-act registers peripherals use).
  virtual void write32(uint32_t offset, uint32_t value) = 0;
  /// A store of the bytes `mask` selects (byte and halfword stores): devices with plain
  /// configuration registers merge it with the bytes they hold; the default is write32.
  virtual void write_masked(uint32_t offset, uint32_t value, uint32_t mask) {
    write32(offset, value & mask);
  }
  /// The levels of the interrupt lines: bit n is line n.
  virtual uint32_t irq_lines() const { return 0; }
  /// The core installs `changed`, to be called (from any thread, without device locks held)
  /// whenever irq_lines() may have changed.
  virtual void set_irq_listener(std::function<void()> changed) { (void)changed; }
  /// Back to the power-on state: every start of the core (and its system reset request). The
  /// core samples the lines afterwards (reset() must not call the listener).
  virtual void reset() {}

  // Devices that count time (timers). The core tells them the virtual time, in processor
  // clock cycles, before each of their register accesses and whenever their deadline passed;
  // it samples their lines itself after advance() (which must not call the listener).
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
  virtual void advance(uint64_t now) { (void)now; }
  /// The virtual time of the device's next event, or kNever.
  virtual uint64_t deadline() const { return kNever; }
};

/// Where a device sits in the core's address space and which NVIC inputs its lines drive.
struct MmioMapping {
  uint32_t base = 0;             ///< 4 KiB aligned
  uint32_t size = 0;             ///< rounded up to 4 KiB when mapped
  MmioDevice* device = nullptr;  ///< not owned; must outlive the core
  std::vector<uint32_t> irqs;    ///< irqs[n]: the external IRQ number (0-based) of line n
  std::string name;              ///< "UART4" (messages)
  /// A second window on a device mapped before (the secure alias): accesses only; its lines,
  /// reset and time belong to the first mapping.
  bool alias = false;
};

}  // namespace rproctee::soc
