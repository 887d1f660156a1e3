// A machine under test, reachable through either transport, plus a typed client of the
// remoteproc TA written with the GlobalPlatform client API (as a Linux driver would).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "machine/machine.hpp"
#include "machine/socket_server.hpp"
#include "teec/tee_client_kernel.h"

namespace rproctee::test {

enum class TransportKind { kInProcess, kSocket };
std::string transport_name(TransportKind kind);

struct MachineConfig {
  std::string preset = "stm32mp25";
  std::string dts;  // when set: this device tree source instead of the preset
  std::vector<std::string> trust = {"rsa2048", "p256"};  // test keys (tests/data/vectors/keys)
  std::vector<std::string> trust_files;                  // public key files
  std::optional<std::vector<uint8_t>> aes_key;
  std::string state_dir;
  bool populate = false;       // resident memories (benchmarks); tests start faster without
  bool emulate_cores = false;  // run the firmware (real code only: test images are patterns)
  machine::ClientLimits limits;
};

/// A machine in this process; with kSocket it is served on a Unix socket by a thread, so that
/// clients go through the real message encoding and descriptor passing.
class MachineUnderTest {
 public:
  explicit MachineUnderTest(TransportKind kind, MachineConfig config = {});
  ~MachineUnderTest();

  /// The TEE name for TEEC_InitializeContext.
  const std::string& tee_name() const { return tee_name_; }
  machine::Machine& machine() { return *machine_; }
  /// Every memory region of processor `id` is zero.
  bool memories_zero(uint32_t id = 0);
  /// Bytes at a physical address (any region).
  std::vector<uint8_t> read(uint64_t pa, size_t size);
  /// Waits until the socket server holds no client connection (their sockets closed; a client
  /// that went away is noticed by its server thread a moment later). False after `timeout`.
  bool wait_no_connection(std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<machine::Machine> machine_;
  std::unique_ptr<machine::SocketServer> server_;
  std::thread server_thread_;
  std::string tee_name_;
  std::string socket_path_;
};

/// A device tree source compiled with dtc, loaded as a description.
platform::Description description_from_dts(const std::string& dts);

/// The remoteproc TA through the TEE Client API.
class RprocClient {
 public:
  explicit RprocClient(const std::string& tee_name);
  ~RprocClient();
  RprocClient(const RprocClient&) = delete;

  TEEC_Result open(uint32_t processor, uint32_t* origin = nullptr);
  void close();
  /// LOAD_FW from shared memory allocated with TEEC_AllocateSharedMemory (zero copy).
  TEEC_Result load(std::span<const uint8_t> image, uint32_t* origin = nullptr);
  TEEC_Result start();
  TEEC_Result stop();
  TEEC_Result release();
  TEEC_Result rsc_table(uint64_t& address, uint64_t& size);
  TEEC_Result coredump(std::vector<uint8_t>& out);
  std::string last_error();
  /// Any command with p0 = processor id and the given other parameters.
  TEEC_Result invoke(uint32_t command, TEEC_Operation& op, uint32_t* origin = nullptr);

  TEEC_Context& context() { return ctx_; }
  TEEC_Session& session() { return session_; }
  uint32_t processor() const { return processor_; }
  bool initialized() const { return initialized_; }

 private:
  TEEC_Context ctx_{};
  TEEC_Session session_{};
  bool initialized_ = false;
  bool open_ = false;
  uint32_t processor_ = 0;
};

inline constexpr TEEC_UUID kRemoteprocUuid = {
    0x80a4c275, 0x0a47, 0x4905, {0x82, 0x85, 0x14, 0x86, 0xa9, 0x77, 0x1a, 0x08}};
inline constexpr TEEC_UUID kPtaUuid = {
    0x54af4a68, 0x19be, 0x40d7, {0xbb, 0xe6, 0x89, 0x50, 0x35, 0x0a, 0x87, 0x44}};

/// What processor memory must hold after loading `signed_image`: (pa, bytes) per PT_LOAD
/// (file bytes then zeros up to p_memsz). Plain images only.
std::vector<std::pair<uint64_t, std::vector<uint8_t>>> expected_segments(
    std::span<const uint8_t> signed_image);

/// True when the machine's memories hold exactly `signed_image` for processor 0: every
/// expected segment byte for byte, and zeros everywhere else.
bool memory_holds_exactly(MachineUnderTest& m, std::span<const uint8_t> signed_image,
                          uint32_t id = 0);

}  // namespace rproctee::test
