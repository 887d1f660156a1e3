#include "soc/gpio.hpp"

namespace rproctee::soc {

namespace {
constexpr uint32_t kPullUp = 1;
constexpr uint32_t kPinMask = 0xFFFF;
}  // namespace

Gpio::Gpio(uint32_t size, OutputListener on_output)
    : RegisterFile(size), on_output_(std::move(on_output)) {
  set_reset_values({{kModer, kModerReset}});
}

uint32_t Gpio::on_read(uint32_t offset, uint32_t stored) {
  switch (offset) {
    case kIdr: {
      uint32_t levels = 0;
      for (uint32_t pin = 0; pin < kPins; ++pin) {
        const bool level =
            is_output(pin) ? ((at(kOdr) >> pin) & 1) : ((at(kPupdr) >> (2 * pin)) & 3) == kPullUp;
        levels |= uint32_t{level} << pin;
      }
      return levels;
    }
    case kBsrr:
    case kBrr:
      return 0;  // write-only
    default:
      return stored;
  }
}

uint32_t Gpio::on_write(uint32_t offset, uint32_t old, uint32_t value, uint32_t mask) {
  switch (offset) {
    case kIdr:
      return old;  // read-only
    case kOdr:
      set_outputs(((at(kOdr) & ~mask) | (value & mask)) & kPinMask);
      return at(kOdr);
    case kBsrr:  // a pin both set and reset is set
      set_outputs(((at(kOdr) & ~(value >> 16)) | value) & kPinMask);
      return 0;
    case kBrr:
      set_outputs(at(kOdr) & ~value & kPinMask);
      return 0;
    default:
      if (offset >= kSemcr0 && offset < kSemcr0 + 8 * kPins && (offset - kSemcr0) % 8 == 0)
        return rif_semaphore_write(old, value, kRemoteCoreCid);
      return (old & ~mask) | (value & mask);
  }
}

void Gpio::set_outputs(uint32_t odr) {
  const uint32_t changed = at(kOdr) ^ odr;
  at(kOdr) = odr;
  if (!on_output_) return;
  for (uint32_t pin = 0; pin < kPins; ++pin)
    if (((changed >> pin) & 1) && is_output(pin)) on_output_(pin, (odr >> pin) & 1);
}

}  // namespace rproctee::soc
