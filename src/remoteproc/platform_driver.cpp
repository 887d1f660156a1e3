#include "remoteproc/platform_driver.hpp"

#include "remoteproc/elf_backend.hpp"
#include "remoteproc/stm32_rproc.hpp"
#include "remoteproc/tee_backend.hpp"

namespace rproctee::remoteproc {

Result<std::unique_ptr<NormalWorld>> NormalWorld::create(const std::string& machine,
                                                         NormalWorldOptions options) {
  std::unique_ptr<NormalWorld> w(new NormalWorld(std::move(options)));
  RPROCTEE_ASSIGN(w->soc_, SocLink::connect(machine));
  const dt::Layout& d = w->soc_->layout();
  NormalWorld* self = w.get();
  for (size_t i = 0; i < d.processors.size(); ++i) {
    const dt::Processor& p = d.processors[i];
    const std::string dev = fmt::format("remoteproc remoteproc{}", i);
    std::vector<MemoryMapping> carveouts;
    for (size_t ri : p.regions) {
      const MappedRegion* m = w->soc_->region(d.regions[ri].name, d.regions[ri].pa);
      if (!m) continue;  // firewalled: the normal world never maps it
      carveouts.push_back(MemoryMapping{m->name, p.pa_to_da(m->pa), m->pa, m->size, m->va});
    }
    std::unique_ptr<RprocOps> ops;
    if (p.mode == dt::ProcessorMode::kTee) {
      RPROCTEE_ASSIGN(ops, TeeBackend::open(machine, p.id));
    } else {
      ops = std::make_unique<ElfBackend>(*w->soc_, static_cast<uint32_t>(i), p.boot_address);
    }
    Stm32Rproc* glue = nullptr;
    if (!p.mailboxes.empty()) {
      RPROCTEE_ASSIGN(auto mailbox, Mailbox::open(machine, static_cast<uint32_t>(i), p.mailboxes));
      auto wrapped = std::make_unique<Stm32Rproc>(std::move(ops), std::move(mailbox),
                                                  w->options_.shutdown_timeout);
      glue = wrapped.get();
      ops = std::move(wrapped);
    }
    RprocEnvironment env;
    env.log = &w->log_;
    // A firmware file can be at most the processor's memories plus room for the image's
    // headers and unloaded sections (debug information): a 4 GiB file is refused before a
    // byte of it is read.
    uint64_t memory = 0;
    for (size_t ri : p.regions) memory += d.regions[ri].size;
    const uint64_t limit = memory + kFirmwareSlack;
    env.request_firmware = [self, dev, limit](const std::string& name, Firmware& out) {
      std::string why;
      const int err = self->firmware_.request(name, out, limit, &why);
      if (!why.empty()) self->log_.log(dev, "{}", why);
      return err;
    };
    env.publish_coredump = [self](Rproc& r, std::vector<uint8_t> dump) {
      const int n = self->dumps_.publish(r.dev_name(), std::move(dump));
      r.info("coredump available as sys/class/devcoredump/devcd{}/data", n);
    };
    env.wait_inline_dump = [self](Rproc& r) {
      if (!self->dumps_.wait_consumed(r.dev_name(), self->options_.inline_dump_timeout))
        r.info("inline coredump not read within {} ms: going on",
               self->options_.inline_dump_timeout.count());
    };
    w->log_.log(
        dev, "{} ({}, {}), {} shared memory region(s)", p.name, p.compatible,
        p.mode == dt::ProcessorMode::kTee ? "TEE-controlled" : "ELF loaded by the normal world",
        carveouts.size());
    w->rprocs_.push_back(std::make_unique<Rproc>(static_cast<int>(i), p.name, std::move(ops),
                                                 std::move(env), std::move(carveouts),
                                                 fmt::format("rproc-{}-fw", p.name)));
    if (glue) glue->attach_interrupts(*w->rprocs_.back());
  }
  std::vector<std::string> device_dirs;
  for (const dt::Processor& p : d.processors) device_dirs.push_back(p.device_dir);
  w->sysfs_ = std::make_unique<SysfsTree>(w->rprocs(), w->dumps_, w->log_, device_dirs);
  return w;
}

NormalWorld::~NormalWorld() {
  // Processors stop (their destructors) before the links they use go away.
  sysfs_.reset();
  rprocs_.clear();
}

std::vector<Rproc*> NormalWorld::rprocs() {
  std::vector<Rproc*> out;
  for (auto& r : rprocs_) out.push_back(r.get());
  return out;
}

}  // namespace rproctee::remoteproc
