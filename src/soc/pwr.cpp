#include "soc/pwr.hpp"

namespace rproctee::soc {

namespace {
constexpr uint32_t kMonitorEnables = 0x1F;  // VDDIO3VMEN .. AVMEN
constexpr uint32_t kReadyShift = 16;        // VDDIO3RDY .. ARDY
}  // namespace

uint32_t Pwr::on_read(uint32_t offset, uint32_t stored) {
  if (offset != kCr1) return stored;
  return (stored & ~(kMonitorEnables << kReadyShift)) | ((stored & kMonitorEnables) << kReadyShift);
}

}  // namespace rproctee::soc
