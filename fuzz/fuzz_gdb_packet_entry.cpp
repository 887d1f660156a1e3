#include "fuzz_gdb_packet_entry.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

#include "soc/gdb_packet.hpp"
#include "soc/gdb_request.hpp"
#include "soc/gdb_session.hpp"
#include "soc/gdb_target.hpp"

namespace rproctee::fuzz {
namespace {

/// A halted core with 4 KiB of RAM at 0x20000000: enough for every answer path.
class InMemoryCore final : public soc::DebugTarget {
 public:
  soc::DebugStop debug_attach() override { return {}; }
  void debug_detach() override {}
  void debug_interrupt() override {}
  void debug_resume(bool) override {}
  std::optional<soc::DebugStop> debug_wait_stop(std::chrono::milliseconds) override {
    return soc::DebugStop{};
  }
  void debug_kill() override {}
  std::optional<soc::DebugRegisters> debug_read_registers() override {
    return soc::DebugRegisters(regs_.begin(), regs_.end());
  }
  bool debug_write_register(size_t index, uint64_t value) override {
    if (index >= regs_.size()) return false;
    regs_[index] = value;
    return true;
  }
  size_t debug_read_memory(uint32_t address, std::span<uint8_t> out) override {
    if (address < kBase || address - kBase >= ram_.size()) return 0;
    const size_t n = std::min<size_t>(out.size(), ram_.size() - (address - kBase));
    std::memcpy(out.data(), ram_.data() + (address - kBase), n);
    return n;
  }
  bool debug_write_memory(uint32_t address, std::span<const uint8_t> bytes) override {
    if (address < kBase || address - kBase > ram_.size() ||
        bytes.size() > ram_.size() - (address - kBase))
      return false;
    std::copy(bytes.begin(), bytes.end(), ram_.begin() + (address - kBase));
    return true;
  }
  bool debug_set_breakpoint(uint32_t, bool) override { return true; }
  bool debug_set_watchpoint(soc::WatchKind, uint32_t, uint32_t length, bool) override {
    return length > 0;
  }

 private:
  static constexpr uint32_t kBase = 0x20000000;
  std::array<uint64_t, soc::gdb::kRegisterCount> regs_{};
  std::array<uint8_t, 4096> ram_{};
};

}  // namespace

void fuzz_gdb_packet_one(std::span<const uint8_t> data) {
  using namespace soc::gdb;
  InMemoryCore core;
  std::atomic<bool> stopping{false};
  Session session(core, -1, stopping);
  PacketDecoder decoder(4096);
  decoder.feed(data);
  // A few packets per input reach every state the session has; inputs of hundreds of packets,
  // each answered with a register dump, only slowed the campaign from 10,000 to 700 inputs/s.
  constexpr int kMaxPacketsPerInput = 16;
  int packets = 0;
  while (auto frame = decoder.next()) {
    if (frame->kind != Frame::Kind::kPacket) continue;
    if (++packets > kMaxPacketsPerInput) break;
    (void)expand_run_length(frame->payload);
    auto request = parse_request(frame->payload);
    if (!request) continue;
    auto answer = session.answer(*request);
    if (!answer) continue;
    // The reply survives its own framing: escaped, checksummed, decoded back.
    PacketDecoder back;
    const std::string packet = encode_packet(*answer);
    back.feed({reinterpret_cast<const uint8_t*>(packet.data()), packet.size()});
    auto again = back.next();
    if (!again || again->kind != Frame::Kind::kPacket) __builtin_trap();
    auto raw = unescape_binary(again->payload);
    if (!raw || std::string(raw->begin(), raw->end()) != *answer) __builtin_trap();
  }
}

}  // namespace rproctee::fuzz
