// The models of a processor's peripherals, made from the platform's peripheral map
// (dt/peripheral_map.hpp) by compatible string:
//   st,stm32mp21-rcc / st,stm32mp25-rcc   RCC        soc/rcc.hpp
//   st,stm32mp2-pwr                       PWR        soc/pwr.hpp
//   st,stm32mp2-syscfg                    SYSCFG     soc/syscfg.hpp
//   st,stm32mp25-rifsc                    RIFSC      soc/rifsc.hpp
//   st,stm32mp1-exti                      EXTI1/2    soc/exti.hpp
//   st,stm32mp2-gpio                      GPIOx      soc/gpio.hpp
//   st,stm32h7-uart                       U(S)ARTx   soc/usart.hpp
//   st,stm32-timers                       TIMx       soc/timer.hpp
//   st,stm32-hwspinlock                   HSEM       soc/hsem.hpp
// The IPCC (st,stm32mp1-ipcc, shared with the host) and the watchdog (st,stm32mp1-iwdg) are
// the processor's own (mboxes, rproctee,watchdog); every other peripheral is unmodelled.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dt/layout.hpp"
#include "soc/board_io.hpp"
#include "soc/mmio_device.hpp"
#include "soc/usart.hpp"

namespace rproctee::soc {

/// True when `compatible` names one of the models above.
bool has_model(std::string_view compatible);

struct PeripheralModels {
  std::vector<std::unique_ptr<MmioDevice>> devices;  // owned
  std::vector<MmioMapping> mappings;                 // with the secure aliases
  std::vector<Usart*> usarts;                        // the serial ports, for input
};

/// The models of the peripherals of `map` that have one, for processor `processor` (its name
/// prefixes what they report through `outputs`).
PeripheralModels make_peripheral_models(const dt::PeripheralMap& map, const std::string& processor,
                                        const BoardOutputs& outputs);

}  // namespace rproctee::soc
