// What the simulated board shows of its remote cores beyond their memories and mailboxes: the
// serial console (what the firmware writes to a USART), output pins changing level (an LED),
// and warnings (an unmodelled peripheral let through). The machine decides where they go;
// each callback may run on a core's thread and must not call back into the SoC.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace rproctee::soc {

struct BoardOutputs {
  /// Bytes a USART sent; `source` is "m33 UART4" (processor and peripheral).
  std::function<void(const std::string& source, std::span<const uint8_t> bytes)> serial;
  /// An output pin changed level; `source` is "m33 GPIOH".
  std::function<void(const std::string& source, uint32_t pin, bool level)> pin;
  /// A warning about processor `processor` ("m33").
  std::function<void(const std::string& processor, const std::string& text)> warning;
};

}  // namespace rproctee::soc
