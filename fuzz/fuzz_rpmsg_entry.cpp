#include "fuzz_rpmsg_entry.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "remoteproc/vdev.hpp"
#include "rpmsg/rpmsg_device.hpp"
#include "rpmsg/virtio_port.hpp"

namespace rproctee::fuzz {
namespace {

constexpr uint32_t kNum = 16, kAlign = 16;
constexpr uint32_t kVring0Da = 0x812f8000, kVring1Da = 0x812f9000, kBufferDa = 0x812fa000;
constexpr size_t kVringBytes = 0x1000, kBufferBytes = 2 * kNum * 512;

/// Plain memory standing in for the vrings and the buffer carveout; kicks go nowhere.
class MemoryPort final : public rpmsg::VirtioPort {
 public:
  MemoryPort() : vring0_(kVringBytes), vring1_(kVringBytes), buffers_(kBufferBytes) {
    mapping_ = {"vdev0buffer", kBufferDa, kBufferDa, kBufferBytes, buffers_.data()};
  }
  std::vector<remoteproc::Vring> vrings() const override {
    return {{kVring0Da, kNum, kAlign, 0, const_cast<uint8_t*>(vring0_.data())},
            {kVring1Da, kNum, kAlign, 1, const_cast<uint8_t*>(vring1_.data())}};
  }
  const remoteproc::MemoryMapping* buffers() const override { return &mapping_; }
  uint32_t device_features() const override { return 1; }  // name service
  void set_driver_features(uint32_t) override {}
  uint8_t status() override { return status_; }
  void set_status(uint8_t status) override { status_ = status; }
  void kick(uint32_t) override {}
  void log(std::string_view) override {}

  std::vector<uint8_t> vring0_, vring1_, buffers_;

 private:
  remoteproc::MemoryMapping mapping_;
  uint8_t status_ = 0;
};

/// Copies the next `n` input bytes over `dst` (fewer when the input runs out).
void overwrite(std::span<const uint8_t>& in, uint8_t* dst, size_t n) {
  const size_t k = std::min(n, in.size());
  if (k) std::memcpy(dst, in.data(), k);
  in = in.subspan(k);
}

}  // namespace

void fuzz_rpmsg_one(std::span<const uint8_t> data) {
  MemoryPort port;
  auto device = rpmsg::RpmsgDevice::create(port, {.tx_timeout = std::chrono::milliseconds(0)});
  if (device->start() != 0) {
    std::fprintf(stderr, "fuzz_rpmsg: the device did not start on valid vrings\n");
    std::abort();
  }
  // The used rings start after desc + avail, rounded to the alignment.
  const size_t used_offset = remoteproc::vring_size(kNum, kAlign) - (6 + 8 * kNum);
  const size_t used_bytes = 6 + 8 * kNum;
  for (int round = 0; round < 4 && !data.empty(); ++round) {
    overwrite(data, port.vring0_.data() + used_offset, used_bytes);
    overwrite(data, port.vring1_.data() + used_offset, used_bytes);
    overwrite(data, port.buffers_.data(), kBufferBytes / 2);  // the RX half
    device->vring_interrupt(0);
    device->vring_interrupt(1);
    const uint8_t payload[4] = {1, 2, 3, 4};
    (void)device->send(0x400, 0x400, payload, std::chrono::milliseconds(0));
  }
  const auto stats = device->stats();
  if (stats.rx_messages > 4 * kNum) {  // at most num entries per interrupt
    std::fprintf(stderr, "fuzz_rpmsg: %llu messages from 4 interrupts of %u entries\n",
                 static_cast<unsigned long long>(stats.rx_messages), kNum);
    std::abort();
  }
  device->stop(false);
}

}  // namespace rproctee::fuzz
