#include "soc/soc.hpp"

#include <algorithm>
#include <utility>

#include "soc/ipcc_mmio.hpp"
#include "soc/peripheral_models.hpp"

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
  soc->doorbells_.resize(layout.processors.size());
  for (const dt::Processor& p : layout.processors)
    for (const dt::MailboxChannel& m : p.mailboxes)
      if (!soc->ipcc(m.controller))
        soc->ipccs_.push_back(std::make_unique<Ipcc>(m.controller, m.controller_channels));
  return soc;
}

Ipcc* Soc::ipcc(uint64_t base) {
  for (auto& i : ipccs_)
    if (i->base() == base) return i.get();
  return nullptr;
}

void Soc::set_core(size_t processor_index, std::unique_ptr<CoreControl> core) {
  CoreDoorbell* doorbell = doorbells_[processor_index];
  if (doorbell) cores_[processor_index]->detach_doorbell();
  cores_[processor_index] = std::move(core);
  if (doorbell) cores_[processor_index]->attach_doorbell(doorbell);
}

bool Soc::attach_doorbell(size_t processor_index, CoreDoorbell* doorbell) {
  doorbells_[processor_index] = doorbell;
  return cores_[processor_index]->attach_doorbell(doorbell);
}

void Soc::detach_doorbell(size_t processor_index) {
  if (!std::exchange(doorbells_[processor_index], nullptr)) return;
  cores_[processor_index]->detach_doorbell();
}

Status Soc::emulate_cores(Emulation emulation) {
  const dt::PeripheralMap& map = layout_.peripherals;
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
    std::vector<uint64_t> own;  // the processor's IPCCs and watchdog: modelled for it
    if (proc.watchdog_base) own.push_back(proc.watchdog_base);
    for (const dt::MailboxChannel& m : proc.mailboxes) {
      Ipcc* controller = ipcc(m.controller);
      if (!controller || std::find(own.begin(), own.end(), m.controller) != own.end()) continue;
      own.push_back(m.controller);
      auto device = std::make_unique<IpccMmio>(*controller);
      MmioMapping mapping = device->mapping(0, 0);
      mapping.irqs = proc.ipcc_irqs;  // none: the firmware polls
      if (const auto hit = map.find(m.controller); hit && hit->offset == 0) {
        mapping.size = hit->peripheral->size;  // the whole slot answers
        mapping.name = hit->peripheral->name;
      }
      devices.push_back(mapping);
      core_devices_.push_back(std::move(device));
    }
    // The peripherals with a model, and those without: named in messages.
    dt::PeripheralMap modelled, unmodelled;
    modelled.secure_alias = unmodelled.secure_alias = map.secure_alias;
    for (const dt::Peripheral& periph : map.peripherals) {
      const bool mine = std::find(own.begin(), own.end(), periph.base) != own.end();
      if (mine) continue;
      (has_model(periph.compatible) ? modelled : unmodelled).peripherals.push_back(periph);
    }
    PeripheralModels models = make_peripheral_models(modelled, proc.name, emulation.outputs);
    devices.insert(devices.end(), models.mappings.begin(), models.mappings.end());
    for (auto& d : models.devices) core_devices_.push_back(std::move(d));
    usarts_.insert(usarts_.end(), models.usarts.begin(), models.usarts.end());

    CortexMOptions options;
    options.clock_hz = emulation.clock_hz;
    options.watchdog_base = proc.watchdog_base;
    options.unmodelled = std::move(unmodelled);
    options.unmodelled_policy = emulation.unmodelled;
    options.wait_for_debugger = emulation.gdb_port && emulation.gdb_wait;
    if (emulation.outputs.warning)
      options.on_warning = [warning = emulation.outputs.warning,
                            name = proc.name](const std::string& text) { warning(name, text); };
    auto core = CortexMCore::create(
        std::move(memories), std::move(devices),
        [this, p, on_crash = emulation.on_crash](const CrashReport& report) {
          record_crash(p, report);
          if (on_crash) on_crash(p, report);
        },
        std::move(options));
    if (!core)
      return make_error(core.error().code, "processor {}: {}", proc.name, core.error().message);
    CortexMCore& debugged = **core;
    set_core(p, std::move(*core));
    if (emulation.gdb_port) {
      const uint64_t port = *emulation.gdb_port ? *emulation.gdb_port + uint64_t{p} : 0;
      if (port > UINT16_MAX)
        return make_error(TeeCode::kBadParameters,
                          "--gdb {}: processor {} would need port {}, above 65535",
                          *emulation.gdb_port, proc.name, port);
      auto server = GdbServer::start(debugged, static_cast<uint16_t>(port));
      if (!server)
        return make_error(server.error().code, "processor {}: {}", proc.name,
                          server.error().message);
      gdb_endpoints_.push_back({proc.name, (*server)->port()});
      gdb_servers_.push_back(std::move(*server));
    }
  }
  return {};
}

std::vector<Soc::GdbEndpoint> Soc::gdb_endpoints() const {
  return gdb_endpoints_;
}

bool Soc::serial_input(std::span<const uint8_t> bytes) {
  bool taken = false;
  for (Usart* u : usarts_) taken = u->receive(bytes) || taken;
  return taken;
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
