#include "soc/peripheral_models.hpp"

#include <functional>
#include <map>

#include "soc/exti.hpp"
#include "soc/gpio.hpp"
#include "soc/hsem.hpp"
#include "soc/pwr.hpp"
#include "soc/rcc.hpp"
#include "soc/rifsc.hpp"
#include "soc/syscfg.hpp"
#include "soc/timer.hpp"

namespace rproctee::soc {

namespace {

struct Context {
  const dt::Peripheral& peripheral;
  std::string source;  // "m33 UART4"
  const BoardOutputs& outputs;
};
using Factory = std::function<std::unique_ptr<MmioDevice>(const Context&)>;

const std::map<std::string, Factory, std::less<>>& factories() {
  static const std::map<std::string, Factory, std::less<>> kFactories = {
      {"st,stm32mp21-rcc",
       [](const Context& c) {
         return std::make_unique<Rcc>(Rcc::Variant::kMp21, c.peripheral.size);
       }},
      {"st,stm32mp25-rcc",
       [](const Context& c) {
         return std::make_unique<Rcc>(Rcc::Variant::kMp25, c.peripheral.size);
       }},
      {"st,stm32mp2-pwr",
       [](const Context& c) { return std::make_unique<Pwr>(c.peripheral.size); }},
      {"st,stm32mp2-syscfg",
       [](const Context& c) { return std::make_unique<Syscfg>(c.peripheral.size); }},
      {"st,stm32mp25-rifsc",
       [](const Context& c) { return std::make_unique<Rifsc>(c.peripheral.size); }},
      {"st,stm32mp1-exti",
       [](const Context& c) { return std::make_unique<Exti>(c.peripheral.size); }},
      {"st,stm32mp2-gpio",
       [](const Context& c) {
         Gpio::OutputListener on_output;
         if (c.outputs.pin)
           on_output = [pin = c.outputs.pin, source = c.source](uint32_t n, bool level) {
             pin(source, n, level);
           };
         return std::make_unique<Gpio>(c.peripheral.size, std::move(on_output));
       }},
      {"st,stm32h7-uart",
       [](const Context& c) {
         Usart::Transmit transmit;
         if (c.outputs.serial)
           transmit = [serial = c.outputs.serial, source = c.source](
                          std::span<const uint8_t> bytes) { serial(source, bytes); };
         return std::make_unique<Usart>(std::move(transmit));
       }},
      {"st,stm32-timers",
       [](const Context& c) { return std::make_unique<Timer>(c.peripheral.size); }},
      {"st,stm32-hwspinlock", [](const Context&) { return std::make_unique<Hsem>(); }},
  };
  return kFactories;
}

}  // namespace

bool has_model(std::string_view compatible) {
  return factories().count(compatible) > 0;
}

PeripheralModels make_peripheral_models(const dt::PeripheralMap& map, const std::string& processor,
                                        const BoardOutputs& outputs) {
  PeripheralModels out;
  for (const dt::Peripheral& p : map.peripherals) {
    auto factory = factories().find(p.compatible);
    if (factory == factories().end()) continue;
    auto device = factory->second(Context{p, processor + " " + p.name, outputs});
    if (auto* usart = dynamic_cast<Usart*>(device.get())) out.usarts.push_back(usart);
    out.mappings.push_back(MmioMapping{p.base, p.size, device.get(), p.interrupts, p.name, false});
    if (map.secure_alias)
      out.mappings.push_back(
          MmioMapping{p.base + map.secure_alias, p.size, device.get(), {}, p.name + "_S", true});
    out.devices.push_back(std::move(device));
  }
  return out;
}

}  // namespace rproctee::soc
