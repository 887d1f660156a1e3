// What a debugger drives on one emulated core (the gdb server, soc/gdb_server.hpp): halt,
// resume or step, registers and memory as the core sees them, breakpoints and watchpoints.
// Implemented by CortexMCore; called from the debugger's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace rproctee::soc {

enum class WatchKind { kWrite, kRead, kAccess };

/// Why the core stopped for the debugger. Signals are gdb's numbers (GDB_SIGNAL_*).
struct DebugStop {
  static constexpr int kSigint = 2, kSigill = 4, kSigtrap = 5, kSigbus = 10, kSigsegv = 11,
                       kSigalrm = 14;
  int signal = kSigtrap;
  std::optional<WatchKind> watch;  ///< set when a watchpoint triggered
  uint32_t watch_address = 0;
};

/// How many breakpoints and watchpoints one core takes from a debugger (more are refused): each
/// is an emulator hook, so a client could otherwise grow the machine without bound.
inline constexpr size_t kMaxDebugBreakpoints = 1024;
inline constexpr size_t kMaxDebugWatchpoints = 64;

/// The registers a debugger sees, in the order of the target description (soc/gdb_target.hpp).
using DebugRegisters = std::vector<uint64_t>;

class DebugTarget {
 public:
  virtual ~DebugTarget() = default;
  /// A debugger connects: the core halts; returns why it is stopped.
  virtual DebugStop debug_attach() = 0;
  /// The debugger leaves: its breakpoints and watchpoints go, the core runs on (a crash held
  /// for the debugger takes its normal course).
  virtual void debug_detach() = 0;
  /// Ctrl-C: halt as soon as possible (a stop event with SIGINT follows).
  virtual void debug_interrupt() = 0;
  /// Runs on (or executes one instruction when `step`).
  virtual void debug_resume(bool step) = 0;
  /// The next stop, or nullopt after `timeout` without one.
  virtual std::optional<DebugStop> debug_wait_stop(std::chrono::milliseconds timeout) = 0;
  /// The core resets (back to its vector table) and runs on without the debugger.
  virtual void debug_kill() = 0;

  /// Registers, memory and points: only while halted (false / empty otherwise).
  virtual std::optional<DebugRegisters> debug_read_registers() = 0;
  virtual bool debug_write_register(size_t index, uint64_t value) = 0;
  /// Reads what the core would read at `address`: memories and the System Control Space;
  /// other peripherals are refused (a read may have side effects). Returns the bytes read
  /// from the start (fewer at the end of a memory; none: refused).
  virtual size_t debug_read_memory(uint32_t address, std::span<uint8_t> out) = 0;
  virtual bool debug_write_memory(uint32_t address, std::span<const uint8_t> bytes) = 0;
  virtual bool debug_set_breakpoint(uint32_t address, bool insert) = 0;
  virtual bool debug_set_watchpoint(WatchKind kind, uint32_t address, uint32_t length,
                                    bool insert) = 0;
};

}  // namespace rproctee::soc
