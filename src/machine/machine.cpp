#include "machine/machine.hpp"

#include <fcntl.h>

#include "platform/remoteproc_pta.hpp"
#include "protocol/pta_remoteproc.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "ta/remoteproc_ta.hpp"

namespace rproctee::machine {

namespace {

/// What the remoteproc TA needs to know of each TEE-controlled processor.
std::vector<ta::ProcessorConfig> ta_processors(const platform::Description& d) {
  std::vector<ta::ProcessorConfig> out;
  for (const dt::Processor& p : d.layout.processors) {
    const platform::SecureProcessor* s = d.secure.processor(p.id);
    if (p.mode != dt::ProcessorMode::kTee || !s) continue;
    out.push_back(ta::ProcessorConfig{p.id, p.name, p.boot_address, s->rollback_tlv});
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Machine>> Machine::create(MachineOptions options) {
  std::unique_ptr<Machine> m(new Machine(std::move(options.description)));
  m->limits_ = options.limits;
  RPROCTEE_ASSIGN(m->soc_, soc::Soc::create(m->description_.layout));
  if (options.emulate_cores) {
    soc::Soc::Emulation emulation;
    emulation.clock_hz = options.core_clock_hz;
    emulation.on_crash = [on_crash = options.on_crash, m = m.get()](
                             size_t p, const soc::CrashReport& report) {
      if (on_crash) on_crash(m->description_.layout.processors[p].name, report);
    };
    emulation.unmodelled = options.unmodelled;
    emulation.gdb_port = options.gdb_port;
    emulation.gdb_wait = options.gdb_wait;
    emulation.outputs = std::move(options.outputs);
    RPROCTEE_CHECK(m->soc_->emulate_cores(std::move(emulation)));
  }
  if (options.populate)
    for (size_t i = 0; i < m->soc_->region_count(); ++i) m->soc_->region(i).populate();
  RPROCTEE_ASSIGN(auto rollback, platform::RollbackStore::open(options.state_dir));
  m->rollback_ = std::make_unique<platform::RollbackStore>(std::move(rollback));
  m->core_ = std::make_unique<tee::TeeCore>();
  soc::Soc& soc = *m->soc_;
  platform::RollbackStore& store = *m->rollback_;
  const platform::Description& description = m->description_;
  m->core_->register_ta(protocol::rproc_pta::kUuid, [&soc, &description, &store](tee::TeeCore&) {
    return std::make_unique<platform::RemoteprocPta>(soc, description, store);
  });
  m->core_->register_ta(protocol::rproc_ta::kUuid, [&description](tee::TeeCore& core) {
    return std::make_unique<ta::RemoteprocTa>(core, ta_processors(description));
  });
  return m;
}

bool Machine::reserve_shared_memory(uint64_t bytes) {
  std::lock_guard lock(shm_mutex_);
  if (shm_count_ >= limits_.shms_total ||
      bytes > limits_.shm_bytes_total - std::min(shm_bytes_, limits_.shm_bytes_total))
    return false;
  ++shm_count_;
  shm_bytes_ += bytes;
  return true;
}

void Machine::release_shared_memory(uint64_t bytes) {
  std::lock_guard lock(shm_mutex_);
  --shm_count_;
  shm_bytes_ -= bytes;
}

Result<Machine::MailboxPageFd> Machine::mailbox_page(size_t processor) {
  std::lock_guard lock(pages_mutex_);
  if (processor >= description_.layout.processors.size())
    return make_error(TeeCode::kBadParameters, "no processor {}", processor);
  pages_.resize(description_.layout.processors.size());
  if (!pages_[processor]) {
    RPROCTEE_ASSIGN(pages_[processor], MailboxPage::create(*soc_, processor));
  }
  const int fd = ::fcntl(pages_[processor]->fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return make_error(TeeCode::kOutOfMemory, "no descriptor for the mailbox page");
  return MailboxPageFd{fd, pages_[processor]->channel_mask()};
}

Machine::~Machine() {
  pages_.clear();
  core_.reset();
}

}  // namespace rproctee::machine
