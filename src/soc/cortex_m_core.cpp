#include "soc/cortex_m_core.hpp"

#include <unicorn/unicorn.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "soc/core_doorbell.hpp"
#include "soc/gdb_target.hpp"
#include "soc/virtual_clock.hpp"

namespace rproctee::soc {
namespace {

constexpr uint64_t kPage = 0x1000;
// uc_emu_start's end address: one the core never reaches (Thumb code is halfword aligned and
// 0xFFFFFFxx is the EXC_RETURN range).
constexpr uint64_t kUntil = 0xFFFFFFFE;
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
// QEMU's exception numbers as UC_HOOK_INTR reports them.
constexpr uint32_t kExcpSwi = 2, kExcpBkpt = 7, kExcpExceptionExit = 8;
constexpr uint32_t kXpsrThumb = 1u << 24, kXpsrAlign = 1u << 9, kIpsrMask = 0x1FF;
constexpr uint32_t kControlSpsel = 1u << 1, kControlFpca = 1u << 2;
// EXC_RETURN (Armv8-M): bit 6 S (Secure stack), 5 DCRS, 4 FType (no FP context), 3 Mode
// (thread), 2 SPSEL (process stack), 0 ES (Secure exception). Without the FType, Mode and
// SPSEL bits: non-secure 0xFFFFFFA0, secure 0xFFFFFFE1 (so 0xFFFFFFB8 / 0xFFFFFFF9 for thread
// mode on the main stack without FP context, the Armv7-M value in the Secure state).
constexpr uint32_t kExcReturnNonSecure = 0xFFFFFFA0, kExcReturnSecure = 0xFFFFFFE1;
constexpr uint32_t kExcReturnFType = 1u << 4, kExcReturnThread = 1u << 3, kExcReturnPsp = 1u << 2;
// Exception frames: R0-R3, R12, LR, PC, xPSR; with FP context also S0-S15, FPSCR, reserved.
constexpr uint32_t kBasicFrameWords = 8, kFpFrameWords = 26;

uint64_t page_up(uint64_t v) {
  return (v + kPage - 1) & ~(kPage - 1);
}

uint32_t reg(uc_engine* uc, int id) {
  uint32_t v = 0;
  uc_reg_read(uc, id, &v);
  return v;
}
void set_reg(uc_engine* uc, int id, uint32_t v) {
  uc_reg_write(uc, id, &v);
}

bool is_32bit_thumb(uint16_t first_halfword) {
  return (first_halfword >> 11) >= 0x1D;
}

// The Unicorn registers behind gdb::kDebugRegisters, in the same order.
constexpr int kDebugRegisterIds[] = {
    UC_ARM_REG_R0,      UC_ARM_REG_R1,        UC_ARM_REG_R2,      UC_ARM_REG_R3,
    UC_ARM_REG_R4,      UC_ARM_REG_R5,        UC_ARM_REG_R6,      UC_ARM_REG_R7,
    UC_ARM_REG_R8,      UC_ARM_REG_R9,        UC_ARM_REG_R10,     UC_ARM_REG_R11,
    UC_ARM_REG_R12,     UC_ARM_REG_SP,        UC_ARM_REG_LR,      UC_ARM_REG_PC,
    UC_ARM_REG_XPSR,    UC_ARM_REG_MSP,       UC_ARM_REG_PSP,     UC_ARM_REG_PRIMASK,
    UC_ARM_REG_BASEPRI, UC_ARM_REG_FAULTMASK, UC_ARM_REG_CONTROL, UC_ARM_REG_D0,
    UC_ARM_REG_D1,      UC_ARM_REG_D2,        UC_ARM_REG_D3,      UC_ARM_REG_D4,
    UC_ARM_REG_D5,      UC_ARM_REG_D6,        UC_ARM_REG_D7,      UC_ARM_REG_D8,
    UC_ARM_REG_D9,      UC_ARM_REG_D10,       UC_ARM_REG_D11,     UC_ARM_REG_D12,
    UC_ARM_REG_D13,     UC_ARM_REG_D14,       UC_ARM_REG_D15,     UC_ARM_REG_FPSCR};
static_assert(std::size(kDebugRegisterIds) == gdb::kRegisterCount);

/// The registers a debugger sees, read from `uc`.
DebugRegisters debug_registers(uc_engine* uc) {
  DebugRegisters values;
  for (size_t i = 0; i < gdb::kRegisterCount; ++i) {
    uint64_t v = 0;
    uc_reg_read(uc, kDebugRegisterIds[i], &v);
    values.push_back(gdb::kDebugRegisters[i].bits == 64 ? v : static_cast<uint32_t>(v));
  }
  return values;
}

/// The signal a debugger sees for a crash it is shown.
int crash_signal(CrashKind kind) {
  switch (kind) {
    case CrashKind::kBadAccess:
      return DebugStop::kSigsegv;
    case CrashKind::kUndefinedInstruction:
      return DebugStop::kSigill;
    case CrashKind::kBreakpoint:
      return DebugStop::kSigtrap;
    case CrashKind::kWatchdog:
      return DebugStop::kSigalrm;
    default:
      return DebugStop::kSigbus;
  }
}

}  // namespace

struct CortexMCore::Impl {
  struct DeviceSlot {
    Impl* impl;
    size_t index;
  };
  /// A window of unmodelled peripherals (--unmodelled ignore) starting at `base`.
  struct UnmodelledSlot {
    Impl* impl;
    uint32_t base;
  };

  explicit Impl(CortexMOptions o)
      : options(std::move(o)),
        scs(options.clock_hz),
        iwdg(options.clock_hz),
        clock(options.clock_hz) {}

  uc_engine* uc = nullptr;
  CortexMOptions options;
  std::vector<CoreMemory> memories;
  std::vector<MmioMapping> devices;
  std::vector<std::unique_ptr<DeviceSlot>> slots;
  std::vector<std::unique_ptr<UnmodelledSlot>> unmodelled_slots;
  std::vector<std::pair<uint32_t, uint32_t>> unmodelled_windows;  // (base, size), page aligned
  CrashCallback on_crash;
  CortexMCore* owner = nullptr;

  // Shared with other threads (device listeners, stop()): guarded by `mutex`.
  std::mutex mutex;
  std::condition_variable wake;
  Scs scs;
  Iwdg iwdg;
  DebugBlocks debug;
  bool stop_requested = false;
  // "Leave the emulator at the next block": a new interrupt, SCS change, deadline or stop
  // request (request_attention).
  std::atomic<bool> attention{false};
  VirtualClock clock;          // virtual time (soc/virtual_clock.hpp)
  uint64_t deadline = kNever;  // next SysTick request, watchdog expiry or timer event (cycles)
  // The engine runs (from the core thread's last look at `attention` until uc_emu_start
  // returns), and whether a hook stopped it this time (otherwise it stopped at WFI).
  bool in_engine = false, stop_issued = false;
  // The core thread's idle sleep also watches this word: every wake_core() bumps it.
  LocalWakeWord wake_seq;
  // The normal world's doorbell (soc/core_doorbell.hpp): `doorbell` is what its owner attached
  // (guarded by `mutex`); `serving` is what the core thread serves, changed only by that thread
  // (under `mutex`), with the word's address for the block hook and the value served last.
  CoreDoorbell* doorbell = nullptr;
  CoreDoorbell* serving = nullptr;
  const uint32_t* rung_word = nullptr;
  uint32_t rung_served = 0;
  bool serve_now = false;  // serve once whatever the word says (just taken over)
  std::condition_variable doorbell_released;
  // The timer thread: raises `attention` at `deadline`.
  std::thread timer;
  std::condition_variable timer_wake;
  VirtualClock::Host::time_point timer_due = VirtualClock::Host::time_point::max();
  bool timer_quit = false;

  // The core thread's own state (hooks run on it).
  bool masked_pending = false;  // an exception pends but PRIMASK/BASEPRI hold it back
  int masked_priority = 0;
  bool sleeping = false, yielded = false;
  std::optional<CrashReport> crash;
  std::optional<uint32_t> fault_address;
  unsigned fault_size = 0;       // bytes of the access that faulted
  std::set<std::string> warned;  // unmodelled peripherals let through this run
  uint32_t boot_address = 0;
  bool secure = false;  // the core runs in the Secure state (BOOTSEC)
  bool fresh = false;   // the engine has not run yet (nothing translated)
  // The engine worker (engine_worker_loop), guarded by `mutex`: it builds the next run's
  // engine (`spare`) while `want_spare`, and closes the used ones in `to_close`.
  std::thread engine_worker;
  std::condition_variable engine_work, spare_ready;
  uc_engine* spare = nullptr;
  bool want_spare = false, engine_worker_quit = false;
  std::vector<uc_engine*> to_close;
  // What a debugger reads between runs: the last run's registers, kept when its engine went
  // (retire_engine); guarded by `mutex`.
  std::optional<DebugRegisters> last_run_registers;

  mutable std::mutex regs_mutex;
  ArmRegisters regs{};

  // The debugger's state (soc/debug_target.hpp), guarded by `mutex`.
  struct Watchpoint {
    Impl* impl;
    WatchKind kind;
    uint32_t address, length;
    uc_hook hook = 0;
  };
  struct Debugger {
    bool attached = false;
    bool resumed = false;              // the debugger believes the core runs
    bool halt_request = false;         // halt at the top of the run loop
    bool halted = false;               // the core thread waits for the debugger
    bool step = false;                 // the next resume executes one instruction
    bool reset_request = false;        // k: back to the vector table
    bool crash_shown = false;          // this run's crash was shown to the debugger
    std::optional<DebugStop> pending;  // why the core is about to halt (core thread)
    std::optional<DebugStop> event;    // a stop the debugger has not taken yet
    std::map<uint32_t, uc_hook> breakpoints;
    std::vector<std::unique_ptr<Watchpoint>> watchpoints;
    uc_hook trace_hook = 0;           // per-instruction exits while watchpoints exist
    std::condition_variable changed;  // halted / event changed (the debugger waits on it)
  } dbg;
  std::optional<DebugStop> watch_hit;  // core thread: an access hit a watchpoint

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      timer_quit = engine_worker_quit = true;
    }
    timer_wake.notify_all();
    engine_work.notify_all();
    if (timer.joinable()) timer.join();
    if (engine_worker.joinable()) engine_worker.join();
    for (uc_engine* e : to_close) uc_close(e);
    if (spare) uc_close(spare);
    if (uc) uc_close(uc);
  }

  // --- leaving the engine ----------------------------------------------------------------
  //
  // Unicorn 2.0.1 can stop safely only at the start of a translated block: a uc_emu_stop that
  // lands after a load or store inside a block (the exit check Unicorn emits after every
  // memory access) resumes at the start of that block, so its first instructions run twice
  // (a PUSH would move SP twice; a store in an MMIO callback would repeat for ever). So other
  // threads never call uc_emu_stop: they set `attention`, and the block hook, the only thing
  // that runs at block starts, stops the engine there.

  /// Something for the core thread to look at (any thread, `mutex` held): a running engine
  /// stops at the next block, a core outside it looks before it enters.
  void request_attention() { attention.store(true, std::memory_order_release); }

  /// Wakes the core thread wherever it sleeps: idle in WFI (on `wake_seq`, with the doorbell)
  /// or halted for the debugger (on `wake`). Callers changed what it looks at first.
  void wake_core() {
    wake_seq.bump_and_wake();
    wake.notify_all();
  }

  /// The core thread serves the attached doorbell from now on (`mutex` held, core thread).
  void take_doorbell() {
    if (serving == doorbell) return;
    give_doorbell();
    if (!doorbell) return;
    const uint32_t* word = doorbell->words().address(doorbell->rung_offset());
    if (!word) return;
    serving = doorbell;
    rung_word = word;
    serve_now = true;  // what was rung before the owner's thread stood down
    serving->served_by_core(true);
  }

  /// Hands the doorbell back to its owner (`mutex` held, core thread): before the core thread
  /// stops looking at it (exit, a debugger halt, a detach).
  void give_doorbell() {
    if (!serving) return;
    serving->served_by_core(false);
    serving = nullptr;
    rung_word = nullptr;
    doorbell_released.notify_all();
  }

  /// Applies the doorbell's news to the IPCC (core thread, no lock held: raising the interrupt
  /// takes `mutex`).
  void serve_doorbell() {
    if (!serving) return;
    if (!serve_now && __atomic_load_n(rung_word, __ATOMIC_ACQUIRE) == rung_served) return;
    serve_now = false;
    rung_served = serving->serve();
  }

  /// uc_emu_stop where it is safe: in a hook at a block or an instruction (core thread).
  void stop_engine_from_hook() {
    stop_issued = true;
    uc_emu_stop(uc);
  }

  /// A new next event in virtual time (`mutex` held): wakes the timer thread if it is earlier
  /// than the one it waits for.
  void set_deadline(uint64_t cycles) {
    deadline = cycles;
    if (in_engine && timer_due > clock.when(deadline)) timer_wake.notify_one();
  }

  /// The per-core timer thread: at the next deadline (SysTick, watchdog, timers) of a core in
  /// the engine it raises `attention`. A core outside the engine needs nothing from it: it
  /// looks at the deadline before it enters and sleeps in WFI until it.
  void timer_loop() {
    std::unique_lock lock(mutex);
    while (!timer_quit) {
      auto next = VirtualClock::Host::time_point::max();
      if (in_engine) {
        const auto due = clock.when(deadline);
        if (VirtualClock::Host::now() >= due)
          request_attention();
        else
          next = due;
      }
      timer_due = next;
      if (next == VirtualClock::Host::time_point::max())
        timer_wake.wait(lock);
      else
        timer_wake.wait_until(lock, next);
    }
  }

  // --- the block hook ----------------------------------------------------------------------

  // One relaxed load per block: virtual time is the host's clock (nothing to count), and the
  // deadlines, interrupts and stop requests arrive as `attention`. While (and only while) an
  // exception pends masked by PRIMASK/BASEPRI/FAULTMASK, it also looks for the instruction
  // that unmasked it (CPSIE, MSR).
  static void on_block(uc_engine*, uint64_t, uint32_t, void* user) {
    auto* s = static_cast<Impl*>(user);
    if (s->attention.load(std::memory_order_relaxed) || (s->masked_pending && s->unmasked_now()) ||
        (s->rung_word && __atomic_load_n(s->rung_word, __ATOMIC_RELAXED) != s->rung_served))
      s->stop_engine_from_hook();
  }

  // --- the debugger's hooks (only in the engine while they have work) ----------------------

  static void on_breakpoint(uc_engine*, uint64_t, uint32_t, void* user) {
    auto* s = static_cast<Impl*>(user);
    std::lock_guard lock(s->mutex);
    if (!s->dbg.pending) s->dbg.pending = DebugStop{DebugStop::kSigtrap};
    s->stop_engine_from_hook();
  }

  // A watched access: the core stops after the instruction (on_traced_instruction).
  static void on_watched_access(uc_engine*, uc_mem_type type, uint64_t address, int size, int64_t,
                                void* user) {
    auto* w = static_cast<Watchpoint*>(user);
    const uint64_t end = address + static_cast<uint64_t>(size);
    if (end <= w->address || address >= uint64_t{w->address} + w->length) return;
    const bool write = type == UC_MEM_WRITE;
    if ((w->kind == WatchKind::kWrite && !write) || (w->kind == WatchKind::kRead && write)) return;
    if (!w->impl->watch_hit)
      w->impl->watch_hit = DebugStop{DebugStop::kSigtrap, w->kind,
                                     std::max(static_cast<uint32_t>(address), w->address)};
  }

  static void on_traced_instruction(uc_engine*, uint64_t, uint32_t, void* user) {
    auto* s = static_cast<Impl*>(user);
    if (!s->watch_hit) return;
    std::lock_guard lock(s->mutex);
    s->take_watch_hit();
    s->stop_engine_from_hook();
  }

  /// A watchpoint hit becomes the reason of the next halt (`mutex` held).
  void take_watch_hit() {
    if (watch_hit && !dbg.pending) dbg.pending = watch_hit;
    watch_hit.reset();
  }

  bool add_breakpoint_hook(uint32_t address, uc_hook& hook) {
    return uc_hook_add(uc, &hook, UC_HOOK_CODE, reinterpret_cast<void*>(&on_breakpoint), this,
                       address, address) == UC_ERR_OK;
  }

  bool add_watch_hook(Watchpoint& w) {
    const int type = w.kind == WatchKind::kWrite  ? UC_HOOK_MEM_WRITE
                     : w.kind == WatchKind::kRead ? UC_HOOK_MEM_READ
                                                  : UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE;
    // Unicorn matches an access by its first byte: start early enough for a wide access that
    // overlaps the watched bytes (on_watched_access checks the overlap).
    const uint64_t begin = w.address >= 7 ? w.address - 7 : 0;
    return uc_hook_add(uc, &w.hook, type, reinterpret_cast<void*>(&on_watched_access), &w, begin,
                       uint64_t{w.address} + w.length - 1) == UC_ERR_OK;
  }

  /// The per-instruction hook exists exactly while watchpoints do.
  void update_trace_hook() {
    const bool want = !dbg.watchpoints.empty();
    if (want && !dbg.trace_hook) {
      if (uc_hook_add(uc, &dbg.trace_hook, UC_HOOK_CODE,
                      reinterpret_cast<void*>(&on_traced_instruction), this, 1, 0) != UC_ERR_OK)
        dbg.trace_hook = 0;
    } else if (!want && dbg.trace_hook) {
      uc_hook_del(uc, dbg.trace_hook);
      dbg.trace_hook = 0;
    }
  }

  /// A new engine gets the debugger's hooks again.
  void install_debug_hooks() {
    for (auto& [address, hook] : dbg.breakpoints) add_breakpoint_hook(address, hook);
    for (auto& w : dbg.watchpoints) add_watch_hook(*w);
    dbg.trace_hook = 0;
    update_trace_hook();
  }

  void remove_debug_hooks() {
    for (auto& [address, hook] : dbg.breakpoints) uc_hook_del(uc, hook);
    for (auto& w : dbg.watchpoints) uc_hook_del(uc, w->hook);
    dbg.breakpoints.clear();
    dbg.watchpoints.clear();
    update_trace_hook();
  }

  /// The core thread halts for the debugger (`lock` held) until resumed or stopped.
  void halt_for_debugger(std::unique_lock<std::mutex>& lock) {
    take_watch_hit();
    dbg.event = dbg.pending.value_or(DebugStop{DebugStop::kSigint});
    if (!dbg.resumed && !dbg.pending) dbg.event.reset();  // nobody waits for a stop
    dbg.pending.reset();
    dbg.halt_request = false;
    dbg.halted = true;
    give_doorbell();  // the IPCC still takes doorbells while the core is held
    clock.pause();    // virtual time stands still while the debugger holds the core
    // Under the lock: once halted, the debugger's thread may write registers of this engine.
    snapshot_registers();
    dbg.changed.notify_all();
    wake.wait(lock, [&] { return !dbg.halted || stop_requested; });
    dbg.halted = false;
    clock.resume();
    take_doorbell();
  }

  /// The debugger may look at the engine: the core is halted or does not run.
  bool inspectable() const { return dbg.halted || !owner->running_.load(); }
  /// inspectable(), except that a core about to halt for the debugger (its start under
  /// --gdb-wait or with a debugger attached: the halt comes at its first block; or a Ctrl-C)
  /// is waited for, up to a second, rather than refused.
  bool inspectable_soon(std::unique_lock<std::mutex>& lock) {
    if (!inspectable() && dbg.halt_request)
      dbg.changed.wait_for(lock, std::chrono::seconds(1),
                           [&] { return inspectable() || !dbg.halt_request; });
    return inspectable();
  }

  static void on_interrupt(uc_engine* u, uint32_t intno, void* user) {
    auto* s = static_cast<Impl*>(user);
    std::lock_guard lock(s->mutex);
    switch (intno) {
      case kExcpExceptionExit:
        s->exception_return();
        break;
      case kExcpSwi:
        s->scs.set_pending(Scs::kSvcall);
        s->take_exception();
        break;
      case kExcpBkpt: {
        uint32_t pc = reg(u, UC_ARM_REG_PC);
        s->scs.record_fault(0, Scs::kHfsrDebugEvt, std::nullopt);
        s->set_crash(CrashKind::kBreakpoint, pc, 0,
                     fmt::format("breakpoint (BKPT) at pc 0x{:08x}", pc));
        break;
      }
      default: {
        uint32_t pc = reg(u, UC_ARM_REG_PC);
        s->scs.record_fault(Scs::kCfsrInvState, Scs::kHfsrForced, std::nullopt);
        s->set_crash(CrashKind::kUndefinedInstruction, pc, 0,
                     fmt::format("usage fault (CPU exception {}) at pc 0x{:08x}", intno, pc));
        break;
      }
    }
    if (s->crash) s->stop_engine_from_hook();
  }

  // WFE and YIELD arrive here (QEMU's EXCP_YIELD, PC after the instruction): they are hints,
  // so the core goes on. Anything else (UDF, undefined encodings: PC at the instruction)
  // stays invalid and ends the run with UC_ERR_INSN_INVALID.
  static bool on_invalid(uc_engine* u, void* user) {
    auto* s = static_cast<Impl*>(user);
    uint32_t pc = reg(u, UC_ARM_REG_PC);
    uint16_t before = 0;
    uint32_t before32 = 0;
    uc_mem_read(u, pc - 2, &before, 2);
    uc_mem_read(u, pc - 4, &before32, 4);
    bool hint16 = before == 0xBF20 || before == 0xBF10;              // WFE, YIELD
    bool hint32 = before32 == 0x8002F3AF || before32 == 0x8001F3AF;  // WFE.W, YIELD.W
    if (!hint16 && !hint32) return false;
    s->yielded = true;
    return true;
  }

  static bool on_unmapped(uc_engine*, uc_mem_type, uint64_t address, int size, int64_t,
                          void* user) {
    auto* s = static_cast<Impl*>(user);
    s->fault_address = static_cast<uint32_t>(address);
    s->fault_size = static_cast<unsigned>(size);
    return false;
  }

  static uint64_t scs_read(uc_engine*, uint64_t offset, unsigned size, void* user) {
    auto* s = static_cast<Impl*>(user);
    std::lock_guard lock(s->mutex);
    return s->scs.read(static_cast<uint32_t>(offset), size, s->clock.now());
  }

  static void scs_write(uc_engine*, uint64_t offset, unsigned size, uint64_t value, void* user) {
    auto* s = static_cast<Impl*>(user);
    std::lock_guard lock(s->mutex);
    const bool tracing = s->scs.trace_enabled();
    const uint64_t now = s->clock.now();
    s->scs.write(static_cast<uint32_t>(offset), static_cast<uint32_t>(value), size, now);
    if (tracing != s->scs.trace_enabled()) s->debug.retime(tracing, now);
    s->set_deadline(s->next_deadline());
    s->request_attention();  // pending/enable/priority/reset may have changed
  }

  static uint64_t iwdg_read(uc_engine*, uint64_t offset, unsigned, void* user) {
    auto* s = static_cast<Impl*>(user);
    std::lock_guard lock(s->mutex);
    return s->iwdg.read(static_cast<uint32_t>(offset & ~uint64_t{3}));
  }

  static void iwdg_write(uc_engine*, uint64_t offset, unsigned, uint64_t value, void* user) {
    auto* s = static_cast<Impl*>(user);
    std::lock_guard lock(s->mutex);
    s->iwdg.write(static_cast<uint32_t>(offset & ~uint64_t{3}), static_cast<uint32_t>(value),
                  s->clock.now());
    s->set_deadline(s->next_deadline());
  }

  static uint64_t debug_read(uc_engine*, uint64_t offset, unsigned size, void* user) {
    auto* s = static_cast<Impl*>(user);
    std::lock_guard lock(s->mutex);
    const uint32_t word = s->debug.read(static_cast<uint32_t>(offset & ~uint64_t{3}),
                                        s->scs.trace_enabled(), s->clock.now());
    return narrow(word, offset, size);
  }

  static void debug_write(uc_engine*, uint64_t offset, unsigned, uint64_t value, void* user) {
    auto* s = static_cast<Impl*>(user);
    std::lock_guard lock(s->mutex);
    s->debug.write(static_cast<uint32_t>(offset & ~uint64_t{3}), static_cast<uint32_t>(value),
                   s->scs.trace_enabled(), s->clock.now());
  }

  /// The bytes of a register word a narrow load at `offset` reads.
  static uint64_t narrow(uint32_t word, uint64_t offset, unsigned size) {
    word >>= static_cast<uint32_t>(offset & 3) * 8;
    return size >= 4 ? word : word & ((1u << (size * 8)) - 1);
  }

  uint64_t next_deadline() const {
    uint64_t d = std::min(scs.next_deadline(), iwdg.deadline());
    for (const MmioMapping& m : devices)
      if (!m.alias) d = std::min(d, m.device->deadline());
    return d;
  }

  // Device accesses run on the core's thread without its lock (the device may call its
  // listener, which takes it); a device that counts time is brought to the present first.
  static uint64_t device_read(uc_engine*, uint64_t offset, unsigned size, void* user) {
    auto* slot = static_cast<DeviceSlot*>(user);
    MmioDevice& d = *slot->impl->devices[slot->index].device;
    d.advance(slot->impl->clock.now());
    return narrow(d.read32(static_cast<uint32_t>(offset & ~uint64_t{3})), offset, size);
  }

  static void device_write(uc_engine*, uint64_t offset, unsigned size, uint64_t value, void* user) {
    auto* slot = static_cast<DeviceSlot*>(user);
    Impl& s = *slot->impl;
    MmioDevice& d = *s.devices[slot->index].device;
    const uint32_t shift = static_cast<uint32_t>(offset & 3) * 8;
    const auto v = static_cast<uint32_t>(value);
    const uint32_t word_offset = static_cast<uint32_t>(offset & ~uint64_t{3});
    d.advance(s.clock.now());
    if (size >= 4)
      d.write32(word_offset, v);
    else
      d.write_masked(word_offset, v << shift, ((1u << (size * 8)) - 1) << shift);
    std::lock_guard lock(s.mutex);
    s.set_deadline(std::min(s.deadline, d.deadline()));  // a timer may have been started
  }

  // --- peripherals nothing models ----------------------------------------------------------

  /// "RCC+0x1018" (the secure alias: "RCC_S+0x1018") and the peripheral's name.
  std::optional<std::pair<std::string, std::string>> unmodelled_at(uint32_t address) const {
    auto hit = options.unmodelled.find(address);
    if (!hit) return std::nullopt;
    const std::string& name = hit->peripheral->name;
    return std::pair{fmt::format("{}{}+{:#x}", name, hit->secure_alias ? "_S" : "", hit->offset),
                     name};
  }

  std::string unmodelled_access(bool write, uint32_t address, unsigned size, uint32_t pc) const {
    const auto where = unmodelled_at(address);
    return fmt::format("{} of {} ({}-bit) at pc 0x{:08x}: {} is not modelled",
                       write ? "write" : "read", where ? where->first : "?", size * 8, pc,
                       where ? where->second : "the peripheral");
  }

  // --unmodelled ignore: reads as zero, writes dropped, a warning the first time.
  void let_through(bool write, uint32_t address, unsigned size) {
    const auto where = unmodelled_at(address);
    if (!where || !warned.insert(where->second).second || !options.on_warning) return;
    options.on_warning(unmodelled_access(write, address, size, reg(uc, UC_ARM_REG_PC)) +
                       " (--unmodelled ignore: reads as zero, writes dropped)");
  }

  static uint64_t unmodelled_read(uc_engine*, uint64_t offset, unsigned size, void* user) {
    auto* slot = static_cast<UnmodelledSlot*>(user);
    slot->impl->let_through(false, slot->base + static_cast<uint32_t>(offset), size);
    return 0;
  }

  static void unmodelled_write(uc_engine*, uint64_t offset, unsigned size, uint64_t, void* user) {
    auto* slot = static_cast<UnmodelledSlot*>(user);
    slot->impl->let_through(true, slot->base + static_cast<uint32_t>(offset), size);
  }

  // --- interrupt lines ---------------------------------------------------------------------

  void sample_lines(size_t index) {
    {
      // The levels are read under the core's lock: two listeners racing (the host ringing a
      // channel while the firmware clears another) must not apply their samples out of order,
      // or a stale level would stick (a lost interrupt, or one that never goes away).
      std::lock_guard lock(mutex);
      sample_lines_locked(index);
    }
    wake_core();
  }

  void sample_lines_locked(size_t index) {
    const MmioMapping& m = devices[index];
    if (m.alias) return;
    const uint32_t levels = m.device->irq_lines();
    for (size_t line = 0; line < m.irqs.size() && line < 32; ++line)
      scs.set_line(m.irqs[line], (levels >> line) & 1);
    request_attention();
  }

  /// Brings the devices that count time to `now` (`mutex` held).
  void advance_devices(uint64_t now) {
    for (size_t i = 0; i < devices.size(); ++i) {
      if (devices[i].alias || devices[i].device->deadline() > now) continue;
      devices[i].device->advance(now);
      sample_lines_locked(i);
    }
  }

  // --- exceptions (core thread, `mutex` held) ---------------------------------------------

  bool unmasked_now() {
    int exec = scs.execution_priority(reg(uc, UC_ARM_REG_PRIMASK) & 1, reg(uc, UC_ARM_REG_BASEPRI),
                                      reg(uc, UC_ARM_REG_FAULTMASK) & 1);
    return masked_priority < exec;
  }

  void set_crash(CrashKind kind, uint32_t pc, uint32_t address, std::string text) {
    if (!crash) crash = CrashReport{kind, pc, address, std::move(text)};
  }

  /// Takes the best pending exception if it beats the execution priority.
  bool take_exception() {
    auto p = scs.best_pending();
    if (!p) {
      masked_pending = false;
      return false;
    }
    int exec = scs.execution_priority(reg(uc, UC_ARM_REG_PRIMASK) & 1, reg(uc, UC_ARM_REG_BASEPRI),
                                      reg(uc, UC_ARM_REG_FAULTMASK) & 1);
    if (p->group_priority >= exec) {
      masked_pending = true;
      masked_priority = p->group_priority;
      return false;
    }
    masked_pending = false;
    enter_exception(p->exception);
    sleeping = false;
    owner->exceptions_taken_.fetch_add(1);
    return true;
  }

  void enter_exception(uint32_t exception) {
    uint32_t xpsr = reg(uc, UC_ARM_REG_XPSR);
    uint32_t control = reg(uc, UC_ARM_REG_CONTROL);
    bool handler = (xpsr & kIpsrMask) != 0;
    bool psp = !handler && (control & kControlSpsel);
    // With an active floating-point context (CONTROL.FPCA) the frame also holds S0-S15 and
    // FPSCR. Saved at once: lazy preservation (FPCCR.LSPEN) has the same visible result.
    const bool fp = control & kControlFpca;
    const uint32_t words = fp ? kFpFrameWords : kBasicFrameWords;
    uint32_t sp = reg(uc, UC_ARM_REG_SP);
    uint32_t align = (sp >> 2) & 1;
    uint32_t frame = (sp - 4 * words) & ~7u;
    uint32_t w[kFpFrameWords] = {reg(uc, UC_ARM_REG_R0),       reg(uc, UC_ARM_REG_R1),
                                 reg(uc, UC_ARM_REG_R2),       reg(uc, UC_ARM_REG_R3),
                                 reg(uc, UC_ARM_REG_R12),      reg(uc, UC_ARM_REG_LR),
                                 reg(uc, UC_ARM_REG_PC) & ~1u, (xpsr & ~kXpsrAlign) | (align << 9)};
    if (fp) {
      for (uint32_t i = 0; i < 16; ++i)
        w[kBasicFrameWords + i] = reg(uc, UC_ARM_REG_S0 + static_cast<int>(i));
      w[kBasicFrameWords + 16] = reg(uc, UC_ARM_REG_FPSCR);
    }
    uint32_t pc = w[6];
    if (uc_mem_write(uc, frame, w, 4 * words) != UC_ERR_OK) {
      scs.record_fault(0, Scs::kHfsrForced, std::nullopt);
      set_crash(CrashKind::kLockup, pc, frame,
                fmt::format("lockup: stacking for exception {} at sp 0x{:08x} failed (stack "
                            "overflow?)",
                            exception, frame));
      return;
    }
    uint32_t vector = 0;
    uint32_t vector_at = scs.vtor() + 4 * exception;
    if (uc_mem_read(uc, vector_at, &vector, 4) != UC_ERR_OK) {
      scs.record_fault(0, Scs::kHfsrVectTbl, std::nullopt);
      set_crash(CrashKind::kLockup, pc, vector_at,
                fmt::format("lockup: vector {} at 0x{:08x} unreadable", exception, vector_at));
      return;
    }
    set_reg(uc, UC_ARM_REG_SP, frame);
    // The handler runs on the main stack without a floating-point context of its own.
    set_reg(uc, UC_ARM_REG_CONTROL, control & ~(kControlSpsel | kControlFpca));
    set_reg(uc, UC_ARM_REG_LR,
            (secure ? kExcReturnSecure : kExcReturnNonSecure) | (fp ? 0 : kExcReturnFType) |
                (handler ? 0 : kExcReturnThread) | (psp ? kExcReturnPsp : 0));
    set_reg(uc, UC_ARM_REG_XPSR, kXpsrThumb | exception);
    set_reg(uc, UC_ARM_REG_IPSR, exception);
    set_reg(uc, UC_ARM_REG_PC, vector | 1);
    scs.activate(exception);
  }

  void exception_return() {
    uint32_t excret = reg(uc, UC_ARM_REG_PC) | 1;
    uint32_t returning = reg(uc, UC_ARM_REG_XPSR) & kIpsrMask;
    scs.deactivate(returning);
    const bool to_thread = excret & kExcReturnThread;
    const bool from_psp = excret & kExcReturnPsp;
    const bool fp = !(excret & kExcReturnFType);
    const uint32_t words = fp ? kFpFrameWords : kBasicFrameWords;
    // Select the stack the frame is on before reading SP: back in thread mode with the
    // process stack, CONTROL.SPSEL switches the banked SP.
    uint32_t control = reg(uc, UC_ARM_REG_CONTROL) & ~(kControlSpsel | kControlFpca);
    if (to_thread && from_psp) control |= kControlSpsel;
    if (fp) control |= kControlFpca;
    uint32_t frame = reg(uc, from_psp ? UC_ARM_REG_PSP : UC_ARM_REG_MSP);
    uint32_t w[kFpFrameWords] = {};
    if (uc_mem_read(uc, frame, w, 4 * words) != UC_ERR_OK) {
      scs.record_fault(0, Scs::kHfsrForced, std::nullopt);
      set_crash(CrashKind::kLockup, excret, frame,
                fmt::format("lockup: unstacking at 0x{:08x} failed", frame));
      return;
    }
    set_reg(uc, UC_ARM_REG_XPSR, w[7] & ~kXpsrAlign);
    set_reg(uc, UC_ARM_REG_IPSR, to_thread ? 0 : (w[7] & kIpsrMask));
    set_reg(uc, UC_ARM_REG_CONTROL, control);
    set_reg(uc, UC_ARM_REG_SP, frame + 4 * words + (((w[7] >> 9) & 1) << 2));
    set_reg(uc, UC_ARM_REG_R0, w[0]);
    set_reg(uc, UC_ARM_REG_R1, w[1]);
    set_reg(uc, UC_ARM_REG_R2, w[2]);
    set_reg(uc, UC_ARM_REG_R3, w[3]);
    set_reg(uc, UC_ARM_REG_R12, w[4]);
    set_reg(uc, UC_ARM_REG_LR, w[5]);
    set_reg(uc, UC_ARM_REG_PC, w[6] | 1);
    if (fp) {
      for (uint32_t i = 0; i < 16; ++i)
        set_reg(uc, UC_ARM_REG_S0 + static_cast<int>(i), w[kBasicFrameWords + i]);
      set_reg(uc, UC_ARM_REG_FPSCR, w[kBasicFrameWords + 16]);
    }
    take_exception();  // tail-chaining, or what the lowered priority now lets through
  }

  /// The pages the unmodelled peripherals occupy (both aliases), merged into windows, without
  /// the pages of anything mapped otherwise (memories, devices, the watchdog).
  std::vector<std::pair<uint32_t, uint32_t>> compute_unmodelled_windows() const {
    std::vector<std::pair<uint64_t, uint64_t>> taken;  // [begin, end)
    for (const CoreMemory& m : memories) taken.emplace_back(m.da, m.da + m.size);
    for (const MmioMapping& d : devices) taken.emplace_back(d.base, d.base + page_up(d.size));
    if (options.watchdog_base)
      taken.emplace_back(options.watchdog_base, options.watchdog_base + page_up(Iwdg::kSize));
    auto free_page = [&](uint64_t page) {
      return std::none_of(taken.begin(), taken.end(),
                          [&](const auto& t) { return page + kPage > t.first && page < t.second; });
    };
    const dt::PeripheralMap& map = options.unmodelled;
    std::vector<uint64_t> aliases = {0};
    if (map.secure_alias) aliases.push_back(map.secure_alias);
    std::set<uint64_t> pages;
    for (const dt::Peripheral& p : map.peripherals)
      for (uint64_t alias : aliases)
        for (uint64_t page = (p.base + alias) & ~(kPage - 1); page < p.base + alias + p.size;
             page += kPage)
          if (free_page(page)) pages.insert(page);
    std::vector<std::pair<uint32_t, uint32_t>> windows;
    for (uint64_t page : pages) {
      if (!windows.empty() && uint64_t{windows.back().first} + windows.back().second == page)
        windows.back().second += static_cast<uint32_t>(kPage);
      else
        windows.emplace_back(static_cast<uint32_t>(page), static_cast<uint32_t>(kPage));
    }
    return windows;
  }

  // --- the engine ----------------------------------------------------------------------------

  // Every run gets a new engine: Unicorn 2.0.1 recycles its translation buffer only when it
  // is full (1 GiB) and a full flush touches all of it, so a fresh engine per run is what keeps
  // the resident memory flat over thousands of boots. Closing a used engine and opening a new
  // one take ~2 and ~2.5 ms here: the engine worker does both beside the runs, and a run
  // takes the spare it built, so neither a stop nor a START waits for Unicorn.

  /// A new engine for the next run (`lock` held on `mutex`): the spare, waiting for the
  /// worker when it is still building it, or, when the worker could not build one, one built
  /// here (with the error if that fails too). The used engine goes to the worker.
  Status replace_engine(std::unique_lock<std::mutex>& lock) {
    spare_ready.wait(lock, [&] { return spare || !want_spare; });
    uc_engine* next = std::exchange(spare, nullptr);
    if (!next) {
      RPROCTEE_ASSIGN(next, open_engine());
    }
    retire(adopt_engine(next));
    return {};
  }

  /// `next` becomes the engine, with the debugger's hooks (`mutex` held); returns the old one.
  uc_engine* adopt_engine(uc_engine* next) {
    uc_engine* old = std::exchange(uc, next);
    install_debug_hooks();
    fresh = true;
    return old;
  }

  /// The worker closes `used` (may be null) and builds the next spare (`mutex` held).
  void retire(uc_engine* used) {
    if (used) to_close.push_back(used);
    want_spare = true;
    engine_work.notify_all();
  }

  /// At the end of a run (core thread, `mutex` held): the spare, when ready, replaces the
  /// used engine at once (a debugger reads the used one's registers until the next start).
  void retire_engine() {
    last_run_registers = debug_registers(uc);
    if (spare) retire(adopt_engine(std::exchange(spare, nullptr)));
  }

  void engine_worker_loop() {
    std::unique_lock lock(mutex);
    while (!engine_worker_quit) {
      if (want_spare && !spare) {
        lock.unlock();
        auto next = open_engine();
        lock.lock();
        if (next) spare = *next;
        want_spare = false;  // a failure: replace_engine builds one and reports why not
        spare_ready.notify_all();
      } else if (!to_close.empty()) {
        std::vector<uc_engine*> used = std::move(to_close);
        to_close.clear();
        lock.unlock();
        for (uc_engine* e : used) uc_close(e);
        lock.lock();
      } else {
        engine_work.wait(lock);
      }
    }
  }

  /// A new Unicorn engine with the memories, the SCS, the watchdog, the devices and the
  /// exception hooks, not the debugger's. Reads only what create() fixed: any thread may
  /// build one.
  Result<uc_engine*> open_engine() {
    uc_engine* engine = nullptr;
    uc_err err =
        uc_open(UC_ARCH_ARM, static_cast<uc_mode>(UC_MODE_THUMB | UC_MODE_MCLASS), &engine);
    if (err != UC_ERR_OK)
      return make_error(TeeCode::kGeneric, "cannot create the Cortex-M emulator: {}",
                        uc_strerror(err));
    auto built = map_engine(engine);
    if (!built) {
      uc_close(engine);
      return built.error();
    }
    return engine;
  }

  Status map_engine(uc_engine* engine) {
    uc_ctl_set_cpu_model(engine, UC_CPU_ARM_CORTEX_M33);  // the default M-class model otherwise
    uc_err err = UC_ERR_OK;
    for (const CoreMemory& m : memories) {
      err = uc_mem_map_ptr(engine, m.da, m.size, UC_PROT_ALL, m.host);
      if (err != UC_ERR_OK)
        return make_error(TeeCode::kBadParameters,
                          "cannot map core memory at da 0x{:08x} (size 0x{:x}): {}", m.da, m.size,
                          uc_strerror(err));
    }
    err =
        uc_mmio_map(engine, Scs::kBase, Scs::kSize, &Impl::scs_read, this, &Impl::scs_write, this);
    if (err == UC_ERR_OK)
      err = uc_mmio_map(engine, DebugBlocks::kBase, DebugBlocks::kSize, &Impl::debug_read, this,
                        &Impl::debug_write, this);
    if (err != UC_ERR_OK)
      return make_error(TeeCode::kGeneric, "cannot map the SCS: {}", uc_strerror(err));
    if (options.watchdog_base) {
      err = uc_mmio_map(engine, options.watchdog_base, Iwdg::kSize, &Impl::iwdg_read, this,
                        &Impl::iwdg_write, this);
      if (err != UC_ERR_OK)
        return make_error(TeeCode::kBadParameters, "cannot map the watchdog at 0x{:08x}: {}",
                          options.watchdog_base, uc_strerror(err));
    }
    for (size_t i = 0; i < devices.size(); ++i) {
      const MmioMapping& d = devices[i];
      err = uc_mmio_map(engine, d.base, page_up(d.size), &Impl::device_read, slots[i].get(),
                        &Impl::device_write, slots[i].get());
      if (err != UC_ERR_OK)
        return make_error(TeeCode::kBadParameters, "cannot map {} at 0x{:08x}: {}", d.name, d.base,
                          uc_strerror(err));
    }
    for (size_t i = 0; i < unmodelled_slots.size(); ++i) {
      const auto& [base, size] = unmodelled_windows[i];
      err = uc_mmio_map(engine, base, size, &Impl::unmodelled_read, unmodelled_slots[i].get(),
                        &Impl::unmodelled_write, unmodelled_slots[i].get());
      if (err != UC_ERR_OK)
        return make_error(TeeCode::kBadParameters, "cannot map the peripherals at 0x{:08x}: {}",
                          base, uc_strerror(err));
    }
    // One block hook (on_block: a flag test per block), the exception hooks; the debugger's
    // hooks only while it has breakpoints or watchpoints.
    uc_hook h{};
    if (uc_hook_add(engine, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&Impl::on_block), this, 1,
                    0) ||
        uc_hook_add(engine, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&Impl::on_interrupt), this, 1,
                    0) ||
        uc_hook_add(engine, &h, UC_HOOK_INSN_INVALID, reinterpret_cast<void*>(&Impl::on_invalid),
                    this, 1, 0) ||
        uc_hook_add(engine, &h, UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(&Impl::on_unmapped),
                    this, 1, 0))
      return make_error(TeeCode::kGeneric, "cannot install the Cortex-M emulator hooks");
    return {};
  }

  // --- reset and faults --------------------------------------------------------------------

  Status reset_cpu(uint32_t boot) {
    uint32_t vectors[2] = {};
    if (uc_mem_read(uc, boot, vectors, sizeof vectors) != UC_ERR_OK)
      return make_error(TeeCode::kBadParameters,
                        "the vector table at 0x{:08x} is outside the core's memories; load the "
                        "firmware there or fix the boot address",
                        boot);
    set_reg(uc, UC_ARM_REG_IPSR, 0);
    set_reg(uc, UC_ARM_REG_CONTROL, 0);
    set_reg(uc, UC_ARM_REG_PRIMASK, 0);
    set_reg(uc, UC_ARM_REG_BASEPRI, 0);
    set_reg(uc, UC_ARM_REG_FAULTMASK, 0);
    for (int r = UC_ARM_REG_R0; r <= UC_ARM_REG_R12; ++r) set_reg(uc, r, 0);
    set_reg(uc, UC_ARM_REG_PSP, 0);
    set_reg(uc, UC_ARM_REG_MSP, vectors[0] & ~3u);
    set_reg(uc, UC_ARM_REG_LR, 0xFFFFFFFF);
    set_reg(uc, UC_ARM_REG_XPSR, kXpsrThumb);
    set_reg(uc, UC_ARM_REG_PC, vectors[1] | 1);
    scs.reset(boot);
    iwdg.reset();  // every run starts with the watchdog stopped, as after power-on
    debug.reset();
    for (const MmioMapping& m : devices)
      if (!m.alias) m.device->reset();
    warned.clear();
    boot_address = boot;
    clock.restart();
    deadline = kNever;
    masked_pending = sleeping = yielded = false;
    fault_address.reset();
    for (size_t i = 0; i < devices.size(); ++i) sample_lines_locked(i);
    return {};
  }

  void snapshot_registers() {
    ArmRegisters r{};
    for (int i = 0; i <= 12; ++i) r[static_cast<size_t>(i)] = reg(uc, UC_ARM_REG_R0 + i);
    r[13] = reg(uc, UC_ARM_REG_SP);
    r[14] = reg(uc, UC_ARM_REG_LR);
    r[15] = reg(uc, UC_ARM_REG_PC);
    r[16] = reg(uc, UC_ARM_REG_XPSR);
    r[17] = 0;
    std::lock_guard lock(regs_mutex);
    regs = r;
  }

  // Unicorn reports a data abort with PC at the start of the translated block. Find the
  // instruction: replay each instruction of the block alone, from the registers as they are
  // now (those before the faulting one), on a scratch engine that holds only copies of the
  // code pages, and take the first one that faults the same way at the same address.
  uint32_t locate_data_fault(uint32_t block_pc, uc_err err, std::optional<uint32_t> address) {
    uc_engine* t = nullptr;
    if (uc_open(UC_ARCH_ARM, static_cast<uc_mode>(UC_MODE_THUMB | UC_MODE_MCLASS), &t) != UC_ERR_OK)
      return block_pc;
    uc_ctl_set_cpu_model(t, UC_CPU_ARM_CORTEX_M33);
    uint64_t first = block_pc & ~(kPage - 1);
    for (uint64_t page = first; page < first + 2 * kPage; page += kPage)
      for (const CoreMemory& m : memories)
        if (page >= m.da && page + kPage <= m.da + m.size) {
          uc_mem_map(t, page, kPage, UC_PROT_ALL);
          uc_mem_write(t, page, m.host + (page - m.da), kPage);
        }
    std::optional<uint32_t> replay_address;
    uc_hook h{};
    uc_hook_add(t, &h, UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(&replay_unmapped),
                &replay_address, 1, 0);
    uint32_t found = block_pc;
    uint32_t at = block_pc;
    for (int n = 0; n < 128; ++n) {
      for (int r = UC_ARM_REG_R0; r <= UC_ARM_REG_R12; ++r) set_reg(t, r, reg(uc, r));
      set_reg(t, UC_ARM_REG_SP, reg(uc, UC_ARM_REG_SP));
      set_reg(t, UC_ARM_REG_LR, reg(uc, UC_ARM_REG_LR));
      set_reg(t, UC_ARM_REG_XPSR, reg(uc, UC_ARM_REG_XPSR) & ~kIpsrMask);
      replay_address.reset();
      uc_err e = uc_emu_start(t, at | 1, kUntil, 0, 1);
      if (e == err && (!address || replay_address == address)) {
        found = at;
        break;
      }
      uint16_t hw = 0;
      if (uc_mem_read(t, at, &hw, 2) != UC_ERR_OK) break;
      at += is_32bit_thumb(hw) ? 4u : 2u;
    }
    uc_close(t);
    return found;
  }

  static bool replay_unmapped(uc_engine*, uc_mem_type, uint64_t address, int, int64_t, void* user) {
    *static_cast<std::optional<uint32_t>*>(user) = static_cast<uint32_t>(address);
    return false;
  }

  void fault(uc_err err) {
    uint32_t pc = reg(uc, UC_ARM_REG_PC);
    switch (err) {
      case UC_ERR_READ_UNMAPPED:
      case UC_ERR_WRITE_UNMAPPED:
      case UC_ERR_READ_PROT:
      case UC_ERR_WRITE_PROT:
      case UC_ERR_READ_UNALIGNED:
      case UC_ERR_WRITE_UNALIGNED: {
        uint32_t at = locate_data_fault(pc, err, fault_address);
        uint32_t address = fault_address.value_or(0);
        bool write = err == UC_ERR_WRITE_UNMAPPED || err == UC_ERR_WRITE_PROT ||
                     err == UC_ERR_WRITE_UNALIGNED;
        scs.record_fault(Scs::kCfsrPreciseErr | Scs::kCfsrBfarValid, Scs::kHfsrForced, address);
        set_reg(uc, UC_ARM_REG_PC, at | 1);
        // An access to a peripheral nothing models says which one (the bus fault of
        // --unmodelled fault); anything else is a plain bad access.
        set_crash(CrashKind::kBadAccess, at, address,
                  unmodelled_at(address)
                      ? unmodelled_access(write, address, fault_size, at)
                      : fmt::format("bad memory access: {} of 0x{:08x} at pc 0x{:08x} ({})",
                                    write ? "write" : "read", address, at, uc_strerror(err)));
        break;
      }
      case UC_ERR_FETCH_UNMAPPED:
      case UC_ERR_FETCH_PROT:
      case UC_ERR_FETCH_UNALIGNED:
        scs.record_fault(Scs::kCfsrIbusErr, Scs::kHfsrForced, std::nullopt);
        set_crash(CrashKind::kBadAccess, pc, pc,
                  fmt::format("bad memory access: instruction fetch at 0x{:08x} ({})", pc,
                              uc_strerror(err)));
        break;
      case UC_ERR_INSN_INVALID:
        scs.record_fault(Scs::kCfsrUndefInstr, Scs::kHfsrForced, std::nullopt);
        set_crash(CrashKind::kUndefinedInstruction, pc, 0,
                  fmt::format("undefined instruction at pc 0x{:08x}", pc));
        break;
      default:
        scs.record_fault(0, Scs::kHfsrForced, std::nullopt);
        set_crash(CrashKind::kLockup, pc, 0,
                  fmt::format("lockup at pc 0x{:08x}: {}", pc, uc_strerror(err)));
        break;
    }
  }
};

CortexMCore::CortexMCore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->owner = this;
}

Result<std::unique_ptr<CortexMCore>> CortexMCore::create(std::vector<CoreMemory> memories,
                                                         std::vector<MmioMapping> devices,
                                                         CrashCallback on_crash,
                                                         CortexMOptions options) {
  auto impl = std::make_unique<Impl>(options);
  Impl& s = *impl;
  s.on_crash = std::move(on_crash);
  for (const CoreMemory& m : memories)
    if (m.da % kPage || m.size % kPage || m.size == 0 ||
        reinterpret_cast<uintptr_t>(m.host) % kPage)
      return make_error(TeeCode::kBadParameters,
                        "core memory at da 0x{:08x} (size 0x{:x}) is not 4 KiB aligned", m.da,
                        m.size);
  s.memories = std::move(memories);
  s.devices = std::move(devices);
  for (size_t i = 0; i < s.devices.size(); ++i) {
    const MmioMapping& d = s.devices[i];
    if (!d.device || d.base % kPage)
      return make_error(TeeCode::kBadParameters,
                        "device {} at 0x{:08x}: no device or base not 4 KiB aligned", i, d.base);
    s.slots.push_back(std::make_unique<Impl::DeviceSlot>(Impl::DeviceSlot{&s, i}));
  }
  if (s.options.unmodelled_policy == UnmodelledPolicy::kIgnore) {
    s.unmodelled_windows = s.compute_unmodelled_windows();
    for (const auto& [base, size] : s.unmodelled_windows)
      s.unmodelled_slots.push_back(
          std::make_unique<Impl::UnmodelledSlot>(Impl::UnmodelledSlot{&s, base}));
  }
  RPROCTEE_ASSIGN(uc_engine * first, s.open_engine());
  s.adopt_engine(first);
  std::unique_ptr<CortexMCore> core(new CortexMCore(std::move(impl)));
  Impl* raw = core->impl_.get();
  raw->timer = std::thread([raw] { raw->timer_loop(); });
  raw->engine_worker = std::thread([raw] { raw->engine_worker_loop(); });
  {
    std::lock_guard lock(raw->mutex);
    raw->retire(nullptr);  // the second run's engine
  }
  for (size_t i = 0; i < raw->devices.size(); ++i) {
    if (raw->devices[i].alias) continue;
    raw->devices[i].device->set_irq_listener([raw, i] { raw->sample_lines(i); });
    raw->sample_lines(i);
  }
  return core;
}

CortexMCore::~CortexMCore() {
  stop();
  for (const MmioMapping& d : impl_->devices)
    if (!d.alias) d.device->set_irq_listener(nullptr);
}

Status CortexMCore::start(uint32_t boot_address, bool secure_boot) {
  if (running_.load())
    return make_error(TeeCode::kBadState, "the core is already running; stop it first");
  if (thread_.joinable()) thread_.join();
  Impl& s = *impl_;
  {
    std::unique_lock lock(s.mutex);
    s.stop_requested = false;
    s.crash.reset();
    s.last_run_registers.reset();
    if (!s.fresh) RPROCTEE_CHECK(s.replace_engine(lock));  // nothing translated by an earlier run
    s.fresh = false;
    s.secure = secure_boot;
    RPROCTEE_CHECK(s.reset_cpu(boot_address));
    // --gdb-wait, or a debugger that believes the core is stopped: halt at the reset vector.
    s.dbg.crash_shown = s.dbg.step = false;
    s.dbg.pending.reset();
    s.watch_hit.reset();
    s.dbg.halt_request =
        (s.options.wait_for_debugger && !s.dbg.attached) || (s.dbg.attached && !s.dbg.resumed);
  }
  s.snapshot_registers();
  exceptions_taken_ = 0;
  resets_ = 0;
  running_ = true;
  thread_ = std::thread([this] { run(); });
  return {};
}

bool CortexMCore::attach_doorbell(CoreDoorbell* doorbell) {
  if (!doorbell || !SharedWords::can_wait_either()) return false;
  Impl& s = *impl_;
  std::lock_guard lock(s.mutex);
  s.doorbell = doorbell;
  s.request_attention();  // a running core thread takes it over at its next look
  s.wake_core();
  return true;
}

void CortexMCore::detach_doorbell() {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  s.doorbell = nullptr;
  s.request_attention();
  s.wake_core();
  s.doorbell_released.wait(lock, [&] { return s.serving == nullptr; });
}

void CortexMCore::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    s.stop_requested = true;
    s.request_attention();
  }
  s.wake_core();
  if (!thread_.joinable() || thread_.get_id() == std::this_thread::get_id()) return;
  thread_.join();
  running_ = false;
}

ArmRegisters CortexMCore::registers() const {
  std::lock_guard lock(impl_->regs_mutex);
  return impl_->regs;
}

void CortexMCore::run() {
  Impl& s = *impl_;
  while (true) {
    bool step = false;
    s.serve_doorbell();
    {
      std::unique_lock lock(s.mutex);
      s.attention.store(false);
      if (s.stop_requested) break;
      if (s.serving != s.doorbell) {  // attached, detached or given back at a halt
        s.take_doorbell();
        if (s.serving) continue;  // serve what is pending first
      }
      s.take_watch_hit();
      if (s.crash) {
        // A debugger sees the crash first (the core stays as it crashed); resuming hands it
        // to the normal crash path.
        if (s.dbg.attached && !s.dbg.crash_shown) {
          s.dbg.crash_shown = true;
          s.dbg.pending = DebugStop{crash_signal(s.crash->kind)};
          s.halt_for_debugger(lock);
        }
        break;
      }
      if (s.dbg.halt_request || s.dbg.pending) {
        s.halt_for_debugger(lock);
        if (s.stop_requested) break;
      }
      step = std::exchange(s.dbg.step, false);
      if (s.scs.take_reset_request() ||
          std::exchange(s.dbg.reset_request,
                        false)) {  // AIRCR.SYSRESETREQ: back to the vector table
        // Drop translated code: the host may have written memory through its mappings (per
        // memory: UC_CTL_TB_FLUSH of Unicorn 2.0.1 touches its whole 1 GiB code buffer).
        for (const CoreMemory& m : s.memories) uc_ctl_remove_cache(s.uc, m.da, m.da + m.size);
        if (!s.reset_cpu(s.boot_address).ok()) {
          s.set_crash(CrashKind::kLockup, s.boot_address, s.boot_address,
                      "lockup: the vector table vanished at reset");
          continue;
        }
        resets_.fetch_add(1);
      }
      const uint64_t now = s.clock.now();
      s.scs.advance(now);
      s.advance_devices(now);
      if (s.iwdg.expired(now)) {
        uint32_t pc = reg(s.uc, UC_ARM_REG_PC);
        s.set_crash(CrashKind::kWatchdog, pc, 0,
                    fmt::format("watchdog: IWDG not refreshed for {:.0f} ms (pc 0x{:08x})",
                                s.iwdg.timeout_ms(), pc));
        continue;
      }
      s.deadline = s.next_deadline();
      bool took = s.take_exception();
      if (s.crash) continue;
      if (s.sleeping && !took) {
        if (s.scs.best_pending()) {
          s.sleeping = false;  // WFI wakes on a pending exception even when it is masked
        } else {
          // Idle: sleep until an interrupt, a stop, or the next deadline (virtual time is the
          // host's clock, so it went on meanwhile).
          const auto until = std::min(s.clock.when(s.deadline),
                                      VirtualClock::Host::now() + std::chrono::seconds(1));
          if (!s.serving) {
            s.wake.wait_until(lock, until, [&] { return s.stop_requested || s.attention.load(); });
            continue;
          }
          // One sleep on the core's wake word and the normal world's doorbell.
          const uint32_t seen = s.wake_seq.load();
          if (s.stop_requested || s.attention.load()) continue;
          CoreDoorbell& db = *s.serving;
          lock.unlock();
          db.words().wait_either(db.rung_offset(), db.sleepers_offset(), s.rung_served, s.wake_seq,
                                 seen, std::chrono::microseconds(0), until);
          continue;
        }
      }
      // Whatever arrived since the top of the loop is looked at before the engine starts;
      // from here on the block hook sees it.
      if (s.attention.load() || s.clock.now() >= s.deadline) continue;
      s.in_engine = true;
      s.stop_issued = false;
      if (s.timer_due > s.clock.when(s.deadline)) s.timer_wake.notify_one();
    }
    s.yielded = false;
    s.fault_address.reset();
    uc_err err = uc_emu_start(s.uc, reg(s.uc, UC_ARM_REG_PC) | 1, kUntil, 0, step ? 1 : 0);
    {
      std::lock_guard lock(s.mutex);
      s.in_engine = false;
      if (err != UC_ERR_OK && !s.crash) s.fault(err);
      if (step && !s.dbg.pending) s.dbg.pending = DebugStop{DebugStop::kSigtrap};
      // Stopped for the debugger (a breakpoint, a watchpoint, Ctrl-C, a step), not by WFI.
      if (s.dbg.pending || s.dbg.halt_request || s.watch_hit) s.stop_issued = true;
    }
    s.snapshot_registers();
    if (s.crash) continue;
    // The engine returns on its own only at WFI (and WFE/YIELD, which on_invalid marks): the
    // idle point. A WFI that meets a stop request completes at once, as the architecture
    // allows.
    if (!s.stop_issued && !s.yielded) s.sleeping = true;
  }
  {
    std::lock_guard lock(s.mutex);
    s.give_doorbell();
    // A debugger that resumed the core waits on for the next start (a recovery, a new
    // firmware); Ctrl-C ends its wait.
    s.dbg.halted = false;
    s.dbg.changed.notify_all();
    s.retire_engine();
  }
  running_ = false;
  if (s.crash && s.on_crash) s.on_crash(*s.crash);
}

// --- DebugTarget -----------------------------------------------------------------------------

DebugStop CortexMCore::debug_attach() {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  s.dbg.attached = true;
  s.dbg.resumed = false;
  s.dbg.event.reset();
  halt_and_wait(lock);
  s.dbg.event.reset();
  if (s.crash && s.dbg.halted) return DebugStop{crash_signal(s.crash->kind)};
  return DebugStop{DebugStop::kSigtrap};
}

void CortexMCore::halt_and_wait(std::unique_lock<std::mutex>& lock) {
  Impl& s = *impl_;
  if (!running_.load() || s.dbg.halted) return;
  s.dbg.halt_request = true;
  s.request_attention();
  s.wake_core();
  while (!s.dbg.halted && running_.load())
    s.dbg.changed.wait_for(lock, std::chrono::milliseconds(20));
}

void CortexMCore::debug_detach() {
  Impl& s = *impl_;
  {
    std::unique_lock lock(s.mutex);
    // The hooks go while the engine is still (a debugger that hung up while the core ran).
    s.dbg.resumed = false;
    halt_and_wait(lock);
    s.remove_debug_hooks();
    s.dbg.attached = false;
    s.dbg.resumed = true;
    s.dbg.halt_request = s.dbg.step = false;
    s.dbg.pending.reset();
    s.dbg.event.reset();
    s.watch_hit.reset();
    s.dbg.halted = false;
  }
  s.wake_core();
}

void CortexMCore::debug_kill() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    s.dbg.reset_request = running_.load();
  }
  debug_detach();
}

void CortexMCore::debug_interrupt() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    if (s.dbg.halted || !running_.load()) {
      s.dbg.event = DebugStop{DebugStop::kSigint};
    } else {
      s.dbg.halt_request = true;
      s.request_attention();
    }
    s.dbg.changed.notify_all();
  }
  s.wake_core();
}

void CortexMCore::debug_resume(bool step) {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    s.dbg.event.reset();
    s.dbg.resumed = true;
    if (s.dbg.halted) {
      s.dbg.step = step;
      s.dbg.halted = false;
    } else if (step) {
      s.dbg.event = DebugStop{DebugStop::kSigtrap};  // no core runs: nothing to execute
    }
  }
  s.wake_core();
}

std::optional<DebugStop> CortexMCore::debug_wait_stop(std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (!s.dbg.changed.wait_for(lock, timeout, [&] { return s.dbg.event.has_value(); }))
    return std::nullopt;
  s.dbg.resumed = false;
  return std::exchange(s.dbg.event, std::nullopt);
}

std::optional<DebugRegisters> CortexMCore::debug_read_registers() {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (!s.inspectable_soon(lock)) return std::nullopt;
  if (s.last_run_registers) return s.last_run_registers;  // the run ended, its engine went
  return debug_registers(s.uc);
}

bool CortexMCore::debug_write_register(size_t index, uint64_t value) {
  Impl& s = *impl_;
  {
    std::unique_lock lock(s.mutex);
    if (!s.inspectable_soon(lock) || index >= gdb::kRegisterCount) return false;
    // Between runs there is no processor state to change: the next start resets it.
    if (s.last_run_registers) return false;
    const int id = kDebugRegisterIds[index];
    if (id == UC_ARM_REG_PC) value |= 1;  // the core stays in Thumb state
    if (uc_reg_write(s.uc, id, &value) != UC_ERR_OK) return false;
    // Under the lock: once it is released, a STOP may retire this engine.
    s.snapshot_registers();
  }
  return true;
}

size_t CortexMCore::debug_read_memory(uint32_t address, std::span<uint8_t> out) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (!s.inspectable_soon(lock)) return 0;
  for (const CoreMemory& m : s.memories) {
    if (address < m.da || address - m.da >= m.size) continue;
    const size_t n = std::min<uint64_t>(out.size(), m.size - (address - m.da));
    std::memcpy(out.data(), m.host + (address - m.da), n);
    return n;
  }
  // The System Control Space reads as the core would read it (whole words); other
  // peripherals are refused: a read may change them (a receive register, a clear-on-read flag).
  const uint64_t offset = uint64_t{address} - Scs::kBase;
  if (address < Scs::kBase || offset >= Scs::kSize || address % 4 || out.size() % 4) return 0;
  const size_t n = std::min<uint64_t>(out.size(), Scs::kSize - offset);
  for (size_t i = 0; i < n; i += 4) {
    const uint32_t word = s.scs.read(static_cast<uint32_t>(offset + i), 4, s.clock.now());
    std::memcpy(out.data() + i, &word, 4);
  }
  return n;
}

bool CortexMCore::debug_write_memory(uint32_t address, std::span<const uint8_t> bytes) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (!s.inspectable_soon(lock)) return false;
  for (const CoreMemory& m : s.memories) {
    if (address < m.da || address - m.da >= m.size || bytes.size() > m.size - (address - m.da))
      continue;
    std::memcpy(m.host + (address - m.da), bytes.data(), bytes.size());
    // Code translated from these bytes is stale now.
    uc_ctl_remove_cache(s.uc, address, uint64_t{address} + bytes.size());
    return true;
  }
  return bytes.empty();
}

bool CortexMCore::debug_set_breakpoint(uint32_t address, bool insert) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (!s.inspectable_soon(lock)) return false;
  address &= ~1u;
  auto it = s.dbg.breakpoints.find(address);
  if (!insert) {
    if (it == s.dbg.breakpoints.end()) return true;
    uc_hook_del(s.uc, it->second);
    s.dbg.breakpoints.erase(it);
    return true;
  }
  if (it != s.dbg.breakpoints.end()) return true;
  if (s.dbg.breakpoints.size() >= kMaxDebugBreakpoints) return false;  // answered E01
  uc_hook hook = 0;
  if (!s.add_breakpoint_hook(address, hook)) return false;
  s.dbg.breakpoints.emplace(address, hook);
  return true;
}

bool CortexMCore::debug_set_watchpoint(WatchKind kind, uint32_t address, uint32_t length,
                                       bool insert) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (!s.inspectable_soon(lock) || length == 0 || uint64_t{address} + length > (uint64_t{1} << 32))
    return false;
  auto& list = s.dbg.watchpoints;
  auto it = std::find_if(list.begin(), list.end(), [&](const auto& w) {
    return w->kind == kind && w->address == address && w->length == length;
  });
  if (!insert) {
    if (it != list.end()) {
      uc_hook_del(s.uc, (*it)->hook);
      list.erase(it);
    }
  } else if (it == list.end()) {
    if (list.size() >= kMaxDebugWatchpoints) return false;  // answered E01
    auto w = std::make_unique<Impl::Watchpoint>(Impl::Watchpoint{&s, kind, address, length});
    if (!s.add_watch_hook(*w)) return false;
    list.push_back(std::move(w));
  }
  s.update_trace_hook();
  return true;
}

}  // namespace rproctee::soc
