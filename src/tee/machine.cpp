#include "tee/machine.hpp"

#include "platform/remoteproc_pta.hpp"
#include "ta/remoteproc_ta.hpp"

namespace rproctee::tee {

Result<std::unique_ptr<Machine>> Machine::create(MachineOptions options) {
  std::unique_ptr<Machine> m(new Machine());
  RPROCTEE_ASSIGN(m->soc_, soc::Soc::create(options.description));
  if (options.emulate_cores) {
    auto observer = [on_crash = options.on_crash, d = options.description](
                        size_t p, const soc::CrashReport& report) {
      if (on_crash) on_crash(d.processors[p].name, report);
    };
    RPROCTEE_CHECK(m->soc_->emulate_cores(options.core_clock_hz, observer));
  }
  if (options.populate)
    for (size_t i = 0; i < m->soc_->region_count(); ++i) m->soc_->region(i).populate();
  RPROCTEE_ASSIGN(auto rollback, platform::RollbackStore::open(options.state_dir));
  m->rollback_ = std::make_unique<platform::RollbackStore>(std::move(rollback));
  m->core_ = std::make_unique<TeeCore>();
  soc::Soc& soc = *m->soc_;
  platform::RollbackStore& store = *m->rollback_;
  m->core_->register_ta(kRemoteprocPtaUuid, [&soc, &store](TeeCore&) {
    return std::make_unique<platform::RemoteprocPta>(soc, store);
  });
  m->core_->register_ta(kRemoteprocTaUuid, [&soc](TeeCore& core) {
    return std::make_unique<ta::RemoteprocTa>(core, soc.description());
  });
  return m;
}

Machine::~Machine() {
  core_.reset();
}

}  // namespace rproctee::tee
