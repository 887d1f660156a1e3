#include "remoteproc/rproc.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "common/byte_reader.hpp"  // range_fits
#include "common/scope_guard.hpp"
#include "image/core_file.hpp"
#include "remoteproc/rsc_patch.hpp"
#include "remoteproc/vdev.hpp"

namespace rproctee::remoteproc {

std::string_view state_name(RprocState s) {
  switch (s) {
    case RprocState::kOffline:
      return "offline";
    case RprocState::kSuspended:
      return "suspended";
    case RprocState::kRunning:
      return "running";
    case RprocState::kCrashed:
      return "crashed";
    case RprocState::kDeleted:
      return "deleted";
    case RprocState::kAttached:
      return "attached";
    case RprocState::kDetached:
      return "detached";
  }
  return "invalid";
}

std::string_view crash_type_name(CrashType t) {
  switch (t) {
    case CrashType::kMmuFault:
      return "mmufault";
    case CrashType::kWatchdog:
      return "watchdog";
    case CrashType::kFatalError:
      return "fatal error";
  }
  return "unknown";
}

std::string_view coredump_mode_name(CoredumpMode m) {
  switch (m) {
    case CoredumpMode::kDisabled:
      return "disabled";
    case CoredumpMode::kEnabled:
      return "enabled";
    case CoredumpMode::kInline:
      return "inline";
  }
  return "?";
}

int RprocOps::coredump(Rproc& rproc, std::vector<uint8_t>& out) {
  // The memories the normal world can see, at their device addresses.
  std::vector<image::CoreSegment> segments;
  for (const MemoryMapping& m : rproc.carveouts())
    segments.push_back({static_cast<uint32_t>(m.da), {m.va, static_cast<size_t>(m.size)}});
  out.resize(static_cast<size_t>(image::coredump_size(segments)));
  image::write_coredump(segments, {}, out);
  return 0;
}

Rproc::Rproc(int index, std::string name, std::unique_ptr<RprocOps> ops, RprocEnvironment env,
             std::vector<MemoryMapping> carveouts, std::string default_firmware)
    : index_(index),
      name_(std::move(name)),
      ops_(std::move(ops)),
      env_(std::move(env)),
      carveouts_(std::move(carveouts)),
      firmware_(std::move(default_firmware)) {
  worker_ = std::thread([this] { crash_worker(); });
}

Rproc::~Rproc() {
  ops_->quiesce();  // no interrupt may reach a processor being torn down
  {
    std::lock_guard lock(work_mutex_);
    work_stop_ = true;
  }
  work_cv_.notify_all();
  worker_.join();
  std::lock_guard lock(lock_);
  if (state_ == RprocState::kRunning || state_ == RprocState::kCrashed) {
    power_ = 1;
    (void)stop_processor(false);
    release_boot();
  }
}

std::string Rproc::dev_name() const {
  return fmt::format("remoteproc{}", index_);
}

RprocState Rproc::state() const {
  // Without the lock (as Linux's state_show): readable while recovery waits for an inline dump.
  return state_.load();
}
std::string Rproc::firmware() const {
  std::lock_guard lock(lock_);
  return firmware_;
}
bool Rproc::recovery_disabled() const {
  std::lock_guard lock(lock_);
  return recovery_disabled_;
}
CoredumpMode Rproc::coredump_mode() const {
  std::lock_guard lock(lock_);
  return coredump_;
}
uint32_t Rproc::crash_count() const {
  std::lock_guard lock(lock_);
  return crash_count_;
}
int Rproc::power() const {
  std::lock_guard lock(lock_);
  return power_;
}
Rproc::BootTimes Rproc::boot_times() const {
  std::lock_guard lock(lock_);
  return boot_times_;
}

std::vector<TraceBuffer> Rproc::traces() const {
  std::lock_guard lock(lock_);
  return traces_;
}

std::vector<uint8_t> Rproc::table_snapshot() const {
  std::lock_guard lock(lock_);
  if (loaded_table_) return {loaded_table_, loaded_table_ + cached_table_.size()};
  return cached_table_;
}

int Rproc::set_firmware(std::string name) {
  std::lock_guard lock(lock_);
  if (state_ != RprocState::kOffline) return -EBUSY;
  if (!name.empty() && name.back() == '\n') name.pop_back();
  if (name.empty() || name.find('\n') != std::string::npos) return -EINVAL;
  firmware_ = std::move(name);
  return 0;
}

int Rproc::set_recovery_disabled(bool disabled) {
  std::lock_guard lock(lock_);
  recovery_disabled_ = disabled;
  return 0;
}

int Rproc::set_coredump(CoredumpMode mode) {
  std::lock_guard lock(lock_);
  if (state_ == RprocState::kCrashed) return -EBUSY;
  coredump_ = mode;
  return 0;
}

const MemoryMapping* Rproc::find_carveout(const std::string& name) const {
  for (const MemoryMapping& m : carveouts_)
    if (m.name == name) return &m;
  return nullptr;
}

uint8_t* Rproc::da_to_va(uint64_t da, uint64_t len) {
  for (MemoryMapping& m : carveouts_)
    if (da >= m.da && range_fits(da - m.da, len, m.size)) return m.va + (da - m.da);
  return nullptr;
}

uint8_t* Rproc::pa_to_va(uint64_t pa, uint64_t len) {
  for (MemoryMapping& m : carveouts_)
    if (pa >= m.pa && range_fits(pa - m.pa, len, m.size)) return m.va + (pa - m.pa);
  return nullptr;
}

void Rproc::set_cached_table(std::vector<uint8_t> table) {
  cached_table_ = std::move(table);
}

std::span<uint8_t> Rproc::table() {
  if (loaded_table_) return {loaded_table_, cached_table_.size()};
  return cached_table_;
}

void Rproc::add_subdevice(std::unique_ptr<Subdevice> s) {
  subdevices_.push_back(std::move(s));
}

// --- boot ---------------------------------------------------------------------------------

int Rproc::boot() {
  std::lock_guard lock(lock_);
  if (state_ == RprocState::kDeleted) return -ENODEV;
  if (state_ == RprocState::kCrashed) return -EBUSY;  // recovery owns it
  if (++power_ > 1) {
    info("powered up already ({} users)", power_);
    return 0;
  }
  info("powering up {}", name_);
  quick_crashes_ = 0;
  Firmware fw;
  int err = env_.request_firmware(firmware_, fw);
  if (err)
    info("Direct firmware load for {} failed with error {}", firmware_, err);
  else
    err = fw_boot(fw);
  if (err) {
    power_ = 0;
    return err;
  }
  running_fw_ = std::move(fw);
  return 0;
}

int Rproc::fw_boot(const Firmware& fw) {
  info("Booting fw image {}, size {}", fw.name, fw.data.size());
  if (int err = ops_->prepare(*this); err) {
    info("can't prepare rproc {}: {}", name_, err);
    return err;
  }
  // One unwind path, as Linux's goto ladders: whatever step fails, the guards of
  // start_processor undo its own steps, then this one the resources, the firmware (release_fw
  // exactly once) and prepare.
  int err = 0;
  ScopeGuard unwind([&] {
    info("Failed to boot {}: {} ({})", name_, err, std::strerror(-err));
    release_boot();
  });
  cached_table_.clear();
  boot_times_ = {};
  boot_times_.parse_begin = std::chrono::steady_clock::now();
  err = ops_->parse_fw(*this, fw);
  boot_times_.parse_end = std::chrono::steady_clock::now();
  if (err || (err = handle_resources()) || (err = start_processor(fw))) return err;
  unwind.dismiss();
  return 0;
}

int Rproc::start_processor(const Firmware& fw) {
  if (int err = ops_->load(*this, fw); err) {
    info("Failed to load program segments: {}", err);
    return err;
  }
  uint8_t* loaded = nullptr;
  if (int err = ops_->find_loaded_rsc_table(*this, fw, loaded); err) return err;
  if (loaded && !cached_table_.empty()) {
    // Resources were resolved on the cached copy; the firmware reads the loaded one.
    std::memcpy(loaded, cached_table_.data(), cached_table_.size());
    loaded_table_ = loaded;
  }
  ScopeGuard reset_table([&] { loaded_table_ = nullptr; });
  if (int err = prepare_subdevices(); err) return err;
  ScopeGuard unprepare([&] { unprepare_subdevices(); });
  boot_times_.start_begin = std::chrono::steady_clock::now();
  vq_interrupts_at_start_ = vq_interrupts_.load();
  const int started = ops_->start(*this);
  boot_times_.start_end = std::chrono::steady_clock::now();
  if (started) {
    info("can't start rproc {}: {}", name_, started);
    return started;
  }
  ScopeGuard stop([&] { (void)ops_->stop(*this); });
  if (int err = start_subdevices(); err) return err;
  stop.dismiss();
  unprepare.dismiss();
  reset_table.dismiss();
  state_ = RprocState::kRunning;
  info("remote processor {} is now up", name_);
  return 0;
}

// --- resources ----------------------------------------------------------------------------

int Rproc::handle_resources() {
  vdev_count_ = 0;
  if (cached_table_.empty()) {
    info("no resource table: booting without resources");
    return 0;
  }
  // The table comes from the firmware (or the normal world's own memory): untrusted input.
  const auto parsed = image::parse_resource_table(cached_table_);
  if (!parsed) {
    info("invalid resource table: {}", parsed.error().message);
    return -EINVAL;
  }
  // Linux's rproc_loading_handlers, indexed by resource type.
  using Handler = int (Rproc::*)(const image::RscEntry&);
  static constexpr std::array<Handler, 4> kHandlers = {
      &Rproc::handle_carveout,  // RSC_CARVEOUT
      &Rproc::handle_devmem,    // RSC_DEVMEM
      &Rproc::handle_trace,     // RSC_TRACE
      &Rproc::handle_vdev,      // RSC_VDEV
  };
  for (const image::RscEntry& e : parsed->entries) {
    int err = 0;
    if (e.type < kHandlers.size())
      err = (this->*kHandlers[e.type])(e);
    else if (e.type >= image::rsc::kVendorFirst && e.type <= image::rsc::kVendorLast)
      err = handle_vendor(e);
    else
      info("unsupported resource type {} at offset {:#x}: ignored", e.type, e.offset);
    if (err) return err;
  }
  return 0;
}

int Rproc::handle_carveout(const image::RscEntry& e) {
  const auto& c = std::get<image::RscCarveout>(e.body);
  const MemoryMapping* m = find_carveout(c.name);
  if (!m || c.len > m->size || (c.da != image::rsc::kAddrAny && c.da != m->da)) {
    info("carveout {}: da {:#x} len {:#x} has no matching memory region", c.name, c.da, c.len);
    return -ENOMEM;
  }
  if (auto s = set_memory_addresses(cached_table_, e, m->da, m->pa); !s) {
    info("carveout {}: {}", c.name, s.error().message);
    return s.error().code();
  }
  info("carveout {}: da {:#x}, pa {:#x}, len {:#x}", c.name, m->da, m->pa, c.len);
  return 0;
}

int Rproc::handle_devmem(const image::RscEntry& e) {
  const auto& d = std::get<image::RscDevmem>(e.body);
  info("devmem {}: da {:#x} -> pa {:#x}, len {:#x}", d.name, d.da, d.pa, d.len);
  return 0;
}

int Rproc::handle_trace(const image::RscEntry& e) {
  const auto& t = std::get<image::RscTrace>(e.body);
  const uint8_t* va = da_to_va(t.da, t.len);
  if (!va) {
    info("trace {}: da {:#x} len {:#x} is not in memory the normal world can read", t.name, t.da,
         t.len);
    return -EINVAL;
  }
  traces_.push_back(TraceBuffer{t.name, t.da, t.len, va});
  info("trace{} added: da {:#x}, len {:#x}", traces_.size() - 1, t.da, t.len);
  return 0;
}

int Rproc::handle_vdev(const image::RscEntry& e) {
  auto vdev = std::make_unique<Vdev>(*this, vdev_count_++, std::get<image::RscVdev>(e.body));
  if (int err = vdev->allocate(cached_table_); err) return err;
  add_subdevice(std::move(vdev));
  return 0;
}

int Rproc::handle_vendor(const image::RscEntry& e) {
  // The parser checked that the type word lies inside the table.
  const size_t body = std::min<size_t>(e.offset + 4, cached_table_.size());
  const int verdict =
      ops_->handle_rsc(*this, e.type, std::span<uint8_t>(cached_table_).subspan(body));
  if (verdict == kRscIgnored)
    info("unsupported resource type {} at offset {:#x}: ignored", e.type, e.offset);
  else if (verdict < 0)
    info("vendor resource type {} at offset {:#x} refused: {}", e.type, e.offset, verdict);
  return verdict < 0 ? verdict : 0;
}

// --- subdevices -----------------------------------------------------------------------------

int Rproc::prepare_subdevices() {
  for (size_t prepared = 0; prepared < subdevices_.size(); ++prepared)
    if (int err = subdevices_[prepared]->prepare(); err) {
      while (prepared-- > 0) subdevices_[prepared]->unprepare();
      return err;
    }
  return 0;
}

int Rproc::start_subdevices() {
  for (size_t started = 0; started < subdevices_.size(); ++started)
    if (int err = subdevices_[started]->start(); err) {
      while (started-- > 0) subdevices_[started]->stop(true);
      return err;
    }
  return 0;
}

void Rproc::stop_subdevices(bool crashed) {
  for (auto it = subdevices_.rbegin(); it != subdevices_.rend(); ++it) (*it)->stop(crashed);
}

void Rproc::unprepare_subdevices() {
  for (auto& s : subdevices_) s->unprepare();
}

// --- shutdown -----------------------------------------------------------------------------

int Rproc::shutdown() {
  std::lock_guard lock(lock_);
  if (state_ == RprocState::kCrashed && recovery_waiting_) return cancel_recovery_locked();
  if (state_ != RprocState::kRunning && state_ != RprocState::kAttached) return -EINVAL;
  if (--power_ > 0) return 0;
  if (const int err = stop_processor(false); err) {
    ++power_;
    return err;
  }
  release_boot();
  running_fw_.reset();
  return 0;
}

int Rproc::stop_processor(bool crashed) {
  stop_subdevices(crashed);
  // The dump comes before the stop: the secure world wipes the memories on STOP.
  if (crashed) take_coredump();
  loaded_table_ = nullptr;  // back to the cached copy: the device memory is about to go
  const int err = ops_->stop(*this);
  if (err) {
    info("can't stop rproc: {}", err);
    if (!crashed) return err;
  }
  unprepare_subdevices();
  state_ = RprocState::kOffline;
  if (!crashed) info("stopped remote processor {}", name_);
  return err;
}

void Rproc::release_boot() {
  subdevices_.clear();
  traces_.clear();
  cached_table_.clear();
  loaded_table_ = nullptr;
  ops_->release_fw(*this);
  ops_->unprepare(*this);
}

bool Rproc::vq_interrupt(uint32_t notifyid) {
  ++vq_interrupts_;
  std::lock_guard lock(lock_);
  for (auto& s : subdevices_)
    if (s->vring_interrupt(notifyid)) return true;
  return false;
}

void Rproc::kick(uint32_t notifyid) {
  ops_->kick(*this, static_cast<int>(notifyid));
}

int Rproc::detach() {
  std::lock_guard lock(lock_);
  if (state_ != RprocState::kAttached) return -EINVAL;
  return -EOPNOTSUPP;
}

// --- crash and recovery ---------------------------------------------------------------------

void Rproc::report_crash(CrashType type) {
  {
    std::lock_guard lock(work_mutex_);
    // Only the first report counts: one already queued or being handled (the recovery runs
    // with the state crashed, then offline, then running) is this same crash. Once the
    // recovered firmware runs, a report is a new crash, even before the worker is idle again.
    const bool handling = work_busy_ && state_ != RprocState::kRunning;
    if (handling || !work_.empty() || state_ == RprocState::kCrashed) {
      info("crash reported in {} (type {}) while one is handled: ignored", name_,
           crash_type_name(type));
      return;
    }
    work_.push_back(type);
  }
  info("crash detected in {}: type {}", name_, crash_type_name(type));
  work_cv_.notify_all();
}

void Rproc::flush_crash_work() {
  std::unique_lock lock(work_mutex_);
  work_cv_.wait(lock, [&] { return work_.empty() && !work_busy_; });
}

void Rproc::crash_worker() {
  std::unique_lock lock(work_mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] { return work_stop_ || !work_.empty(); });
    if (work_stop_) return;
    const CrashType type = work_.front();
    work_.pop_front();
    work_busy_ = true;
    lock.unlock();
    handle_crash(type);
    lock.lock();
    work_busy_ = false;
    work_cv_.notify_all();
  }
}

void Rproc::handle_crash(CrashType type) {
  std::unique_lock lock(lock_);
  if (state_ == RprocState::kCrashed || state_ == RprocState::kOffline) return;  // later reports
  state_ = RprocState::kCrashed;
  ++crash_count_;
  info("handling crash #{} in {} ({})", crash_count_, name_, crash_type_name(type));
  if (recovery_disabled_) return;
  if (const auto delay = recovery_delay(); delay.count() > 0) {
    info(
        "{} crashed {} times in a row during its boot (within {} ms of its start): recovery in "
        "{} ms",
        name_, quick_crashes_, kQuickCrash.count(), delay.count());
    recovery_waiting_ = true;
    lock.unlock();  // a stop may come meanwhile
    {
      std::unique_lock work(work_mutex_);
      work_cv_.wait_for(work, delay, [&] { return work_stop_ || recovery_cancelled_; });
      recovery_cancelled_ = false;
    }
    lock.lock();
    recovery_waiting_ = false;
    if (state_ != RprocState::kCrashed || recovery_disabled_) return;  // stopped meanwhile
  }
  boot_recovery();
}

std::chrono::milliseconds Rproc::recovery_delay() {
  const auto since_start = std::chrono::steady_clock::now() - boot_times_.start_end;
  const bool during_boot =
      since_start < kQuickCrash && vq_interrupts_.load() == vq_interrupts_at_start_;
  quick_crashes_ = during_boot ? quick_crashes_ + 1 : 0;
  if (quick_crashes_ < 2) return std::chrono::milliseconds(0);  // one crash: at once
  const uint32_t doublings = std::min<uint32_t>(quick_crashes_ - 2, 16);
  return std::min(kFirstBackoff * (1u << doublings), kMaxBackoff);
}

int Rproc::cancel_recovery_locked() {
  {
    std::lock_guard work(work_mutex_);
    recovery_cancelled_ = true;
  }
  work_cv_.notify_all();
  // What a recovery would have stopped, without the dump (the crash took it already).
  stop_subdevices(true);
  loaded_table_ = nullptr;
  const int err = ops_->stop(*this);
  unprepare_subdevices();
  release_boot();
  state_ = RprocState::kOffline;
  power_ = 0;
  running_fw_.reset();
  info("recovery of {} cancelled: stopped", name_);
  return err;
}

int Rproc::trigger_recovery() {
  std::lock_guard lock(lock_);
  if (state_ != RprocState::kCrashed) return 0;
  return boot_recovery();
}

void Rproc::take_coredump() {
  if (coredump_ == CoredumpMode::kDisabled) return;
  std::vector<uint8_t> dump;
  if (int err = ops_->coredump(*this, dump); err) {
    info("coredump failed: {}", err);
    return;
  }
  info("coredump of {}: {} bytes", name_, dump.size());
  if (env_.publish_coredump) env_.publish_coredump(*this, std::move(dump));
  if (coredump_ == CoredumpMode::kInline && env_.wait_inline_dump) env_.wait_inline_dump(*this);
}

int Rproc::boot_recovery() {
  info("recovering {}", name_);
  int err = stop_processor(true);
  release_boot();  // fw_boot prepares again: one unprepare per prepare
  // The very image that was running, not whatever the file holds now.
  if (!err && running_fw_)
    err = fw_boot(*running_fw_);
  else if (!running_fw_)
    err = -EINVAL;
  if (err) {
    info("recovery of {} failed: {}: offline, `start` boots it again", name_, err);
    state_ = RprocState::kOffline;
    power_ = 0;
    running_fw_.reset();
    return err;
  }
  info("recovery of {} done", name_);
  return 0;
}

}  // namespace rproctee::remoteproc
