// The IPCC seen from the remote core: its register block as an MmioDevice, with the two
// interrupt lines of processor 2 (line 0 = RX occupied, line 1 = TX free).
#pragma once

#include "soc/ipcc.hpp"
#include "soc/mmio_device.hpp"

namespace rproctee::soc {

class IpccMmio final : public MmioDevice {
 public:
  static constexpr uint32_t kRxOccupiedLine = 0, kTxFreeLine = 1;

  explicit IpccMmio(Ipcc& ipcc) : ipcc_(ipcc) {}
  ~IpccMmio() override { ipcc_.set_remote_listener(nullptr); }
  IpccMmio(const IpccMmio&) = delete;
  IpccMmio& operator=(const IpccMmio&) = delete;

  uint32_t read32(uint32_t offset) override { return ipcc_.read(offset); }
  void write32(uint32_t offset, uint32_t value) override { ipcc_.write(offset, value); }
  uint32_t irq_lines() const override {
    return (ipcc_.remote_rx_irq() ? 1u << kRxOccupiedLine : 0u) |
           (ipcc_.remote_tx_free_irq() ? 1u << kTxFreeLine : 0u);
  }
  void set_irq_listener(std::function<void()> changed) override {
    ipcc_.set_remote_listener(std::move(changed));
  }

  /// The mapping of this device at the IPCC's address, its lines on the given NVIC inputs.
  MmioMapping mapping(uint32_t rx_occupied_irq, uint32_t tx_free_irq) {
    return MmioMapping{
        static_cast<uint32_t>(ipcc_.base()), Ipcc::kSize, this, {rx_occupied_irq, tx_free_irq}};
  }

 private:
  Ipcc& ipcc_;
};

}  // namespace rproctee::soc
