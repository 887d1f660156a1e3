#include "soc/soc.hpp"

namespace rproctee::soc {

Status HeldCore::start(uint32_t boot_address, bool secure_boot) {
  boot_address_ = boot_address;
  secure_boot_ = secure_boot;
  ++starts_;
  running_ = true;
  return {};
}

void HeldCore::stop() {
  running_ = false;
}

Result<std::unique_ptr<Soc>> Soc::create(const platform::Description& description) {
  std::unique_ptr<Soc> soc(new Soc(description));
  for (const platform::Region& r : description.regions) {
    RPROCTEE_ASSIGN(auto region, MemoryRegion::create(r.name, r.pa, r.size));
    soc->regions_.push_back(std::move(region));
  }
  for (size_t i = 0; i < description.processors.size(); ++i)
    soc->cores_.push_back(std::make_unique<HeldCore>());
  return soc;
}

void Soc::set_core(size_t processor_index, std::unique_ptr<CoreControl> core) {
  cores_[processor_index] = std::move(core);
}

}  // namespace rproctee::soc
