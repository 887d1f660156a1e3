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
  for (const platform::Processor& p : description.processors)
    for (const platform::MailboxChannel& m : p.mailboxes)
      if (!soc->ipcc(m.controller)) soc->ipccs_.push_back(std::make_unique<Ipcc>(m.controller));
  return soc;
}

Ipcc* Soc::ipcc(uint64_t base) {
  for (auto& i : ipccs_)
    if (i->base() == base) return i.get();
  return nullptr;
}

void Soc::set_core(size_t processor_index, std::unique_ptr<CoreControl> core) {
  cores_[processor_index] = std::move(core);
}

}  // namespace rproctee::soc
