// An STM32 USART / UART (the STM32H7/MP1/MP2 register layout, ST's CMSIS USART_TypeDef) as
// the remote core sees it: the firmware's serial console. A byte written to TDR while the
// transmitter is enabled (CR1.UE and TE) leaves at once through `transmit` (the board's serial
// line), so TXE (TXFNF) is always set and TC is set again right after each byte; TEACK and
// REACK follow TE and RE. Bytes typed on the line (receive(), from any thread) wait in the
// receive FIFO until RDR is read (RXNE); more than the FIFO holds is an overrun (ORE); IDLE
// is set when a burst has arrived. The interrupt line follows TXEIE/TCIE/RXNEIE/IDLEIE/EIE.
// Baud rate, parity and frame length are accepted and ignored, as is DMA.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>

#include "soc/mmio_device.hpp"

namespace rproctee::soc {

class Usart final : public MmioDevice {
 public:
  static constexpr uint32_t kCr1 = 0x00, kCr2 = 0x04, kCr3 = 0x08, kBrr = 0x0C, kGtpr = 0x10,
                            kRtor = 0x14, kRqr = 0x18, kIsr = 0x1C, kIcr = 0x20, kRdr = 0x24,
                            kTdr = 0x28, kPresc = 0x2C, kAutocr = 0x30;
  // CR1.
  static constexpr uint32_t kUe = 1u << 0, kRe = 1u << 2, kTe = 1u << 3, kIdleIe = 1u << 4,
                            kRxneIe = 1u << 5, kTcIe = 1u << 6, kTxeIe = 1u << 7;
  // ISR.
  static constexpr uint32_t kOre = 1u << 3, kIdle = 1u << 4, kRxne = 1u << 5, kTc = 1u << 6,
                            kTxe = 1u << 7, kTeAck = 1u << 21, kReAck = 1u << 22, kTxfe = 1u << 23;
  static constexpr size_t kReceiveFifo = 4096;
  using Transmit = std::function<void(std::span<const uint8_t> bytes)>;

  explicit Usart(Transmit transmit) : transmit_(std::move(transmit)) {}

  uint32_t read32(uint32_t offset) override;
  void write32(uint32_t offset, uint32_t value) override;
  void write_masked(uint32_t offset, uint32_t value, uint32_t mask) override;
  uint32_t irq_lines() const override;
  void set_irq_listener(std::function<void()> changed) override;
  void reset() override;

  /// Bytes arriving on the line; dropped unless the receiver is enabled. True when taken.
  bool receive(std::span<const uint8_t> bytes);
  /// The receiver is enabled (UE and RE).
  bool receiving() const;

 private:
  uint32_t isr_locked() const;
  bool line_locked() const;
  /// The configuration register at `offset` (CR1..AUTOCR), or nullptr.
  uint32_t* config(uint32_t offset);
  void changed();

  const Transmit transmit_;
  mutable std::mutex mutex_;
  std::function<void()> listener_;
  uint32_t cr1_ = 0, cr2_ = 0, cr3_ = 0, brr_ = 0, gtpr_ = 0, rtor_ = 0, presc_ = 0, autocr_ = 0;
  bool tc_ = true, ore_ = false, idle_ = false;
  std::deque<uint8_t> rx_;
};

}  // namespace rproctee::soc
