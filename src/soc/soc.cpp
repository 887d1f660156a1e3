#include "soc/soc.hpp"

#include <algorithm>

#include "soc/cortex_m_core.hpp"
#include "soc/ipcc_mmio.hpp"

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

Result<std::unique_ptr<Soc>> Soc::create(const dt::Layout& layout) {
  std::unique_ptr<Soc> soc(new Soc(layout));
  for (const dt::Region& r : layout.regions) {
    RPROCTEE_ASSIGN(auto region, MemoryRegion::create(r.name, r.pa, r.size));
    soc->regions_.push_back(std::move(region));
  }
  for (size_t i = 0; i < layout.processors.size(); ++i)
    soc->cores_.push_back(std::make_unique<HeldCore>());
  soc->crashes_.resize(layout.processors.size());
  for (const dt::Processor& p : layout.processors)
    for (const dt::MailboxChannel& m : p.mailboxes)
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

Status Soc::emulate_cores(uint64_t clock_hz, CrashObserver on_crash) {
  for (size_t p = 0; p < layout_.processors.size(); ++p) {
    const dt::Processor& proc = layout_.processors[p];
    std::vector<CoreMemory> memories;
    for (size_t r : proc.regions) {
      MemoryRegion& region = regions_[r];
      const uint64_t da = proc.pa_to_da(region.base());
      if (da > (uint64_t{1} << 32) || region.size() > (uint64_t{1} << 32) - da)
        return make_error(TeeCode::kBadParameters,
                          "processor {}: region {} at da {:#x} is outside the core's 32-bit "
                          "address space",
                          proc.name, region.name(), da);
      memories.push_back(CoreMemory{static_cast<uint32_t>(da), region.all().data(), region.size()});
    }
    std::vector<MmioMapping> devices;
    for (const dt::MailboxChannel& m : proc.mailboxes) {
      Ipcc* controller = ipcc(m.controller);
      bool mapped = std::any_of(devices.begin(), devices.end(),
                                [&](const MmioMapping& d) { return d.base == m.controller; });
      if (!controller || mapped) continue;
      auto device = std::make_unique<IpccMmio>(*controller);
      MmioMapping mapping = device->mapping(0, 0);
      mapping.irqs = proc.ipcc_irqs;  // none: the firmware polls
      devices.push_back(mapping);
      core_devices_.push_back(std::move(device));
    }
    CortexMOptions options;
    options.clock_hz = clock_hz;
    options.watchdog_base = proc.watchdog_base;
    auto core = CortexMCore::create(
        std::move(memories), std::move(devices),
        [this, p, on_crash](const CrashReport& report) {
          record_crash(p, report);
          if (on_crash) on_crash(p, report);
        },
        options);
    if (!core)
      return make_error(core.error().code, "processor {}: {}", proc.name, core.error().message);
    cores_[p] = std::move(*core);
  }
  return {};
}

void Soc::stop_core(size_t processor_index) {
  cores_[processor_index]->stop();
  // A channel the firmware never cleared (an unanswered shutdown request) must not greet the
  // next firmware: the core's side of its mailboxes starts clean, as after a reset.
  for (const dt::MailboxChannel& m : layout_.processors[processor_index].mailboxes)
    if (Ipcc* i = ipcc(m.controller)) i->reset();
}

Soc::CrashRecord Soc::crashes(size_t processor_index) const {
  std::lock_guard lock(crash_mutex_);
  return crashes_[processor_index];
}

void Soc::record_crash(size_t processor_index, CrashReport report) {
  {
    std::lock_guard lock(crash_mutex_);
    CrashRecord& c = crashes_[processor_index];
    ++c.generation;
    c.last = std::move(report);
  }
  for (const dt::MailboxChannel& m : layout_.processors[processor_index].mailboxes)
    if (Ipcc* i = ipcc(m.controller)) i->wake_waiters();
}

}  // namespace rproctee::soc
