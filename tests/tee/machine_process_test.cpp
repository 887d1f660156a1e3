// The real process boundary: `rproctee machine` as a child process serving TEE clients on a
// Unix socket. Clients in this process and in forked processes load, start and stop firmware;
// a client that crashes mid-call (SIGKILL, _exit from another thread) or while idle loses its
// session and the machine carries on; hundreds of clients do not make it grow; SIGTERM stops
// it cleanly; --dtb takes a user's .dts; an unknown --platform lists the presets.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/seqpacket.hpp"
#include "image/elf32.hpp"
#include "platform/secure_config.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_child.hpp"
#include "support/machine_fixture.hpp"
#include "support/rsc_builder.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

std::string trusted_key() {
  return (vectors_dir() / "keys" / "rsa2048.pub.pem").string();
}

using MachineProcess = MachineChild;

std::vector<std::string> stm32mp25_options() {
  return {"--platform", "stm32mp25", "--trust", trusted_key()};
}

/// Opens a session on `processor`, retrying while the processor is still held by a session
/// the machine has not closed yet (a dead client's, noticed asynchronously).
TEEC_Result open_when_free(RprocClient& c, uint32_t processor) {
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  uint32_t origin = 0;
  TEEC_Result r = c.open(processor, &origin);
  while (r == TEEC_ERROR_BUSY && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    r = c.open(processor, &origin);
  }
  return r;
}

/// LOAD, START, STOP through `c`, with the checks a driver would make.
void load_start_stop(RprocClient& c, const std::vector<uint8_t>& image) {
  ASSERT_EQ(c.load(image), TEEC_SUCCESS) << c.last_error();
  uint64_t address = 0, size = 0;
  ASSERT_EQ(c.rsc_table(address, size), TEEC_SUCCESS);
  EXPECT_EQ(address, 0x81200000u);
  EXPECT_EQ(size, demo_resource_table().size());
  ASSERT_EQ(c.start(), TEEC_SUCCESS);
  ASSERT_EQ(c.stop(), TEEC_SUCCESS);
  std::vector<uint8_t> core;
  EXPECT_EQ(c.coredump(core), TEEC_ERROR_BAD_STATE);  // wiped
}

const std::vector<uint8_t>& small_image() {
  static const auto kImage =
      sign_elfs({make_firmware(16384, demo_resource_table())}, test_key("rsa2048"));
  return kImage;
}

TEST(MachineProcess, ClientLoadsStartsAndStopsOverTheSocket) {
  MachineProcess m(stm32mp25_options());
  ASSERT_TRUE(m.wait_until_listening()) << m.stderr_text();
  EXPECT_THAT(m.stderr_text(), HasSubstr("trusting " + trusted_key()));
  RprocClient c(m.tee_name());
  ASSERT_TRUE(c.initialized());
  uint32_t origin = 0;
  ASSERT_EQ(c.open(0, &origin), TEEC_SUCCESS);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  const auto& image = small_image();
  ASSERT_EQ(c.load(image, &origin), TEEC_SUCCESS) << c.last_error();
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  // The machine's memory, seen through a core dump: the firmware's bytes where they belong in
  // the regions the normal world may read; the firewalled ones are not in it (default policy).
  std::vector<uint8_t> core;
  ASSERT_EQ(c.coredump(core), TEEC_SUCCESS);
  auto view = image::Elf32View::parse(core, "core");
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->header().type, 4);
  const auto preset = platform::load_preset("stm32mp25");
  ASSERT_TRUE(preset) << preset.error().message;
  size_t open_segments = 0;
  for (const auto& [pa, bytes] : expected_segments(image)) {
    bool found = false;
    for (const auto& ph : view->phdrs()) {
      if (ph.type != image::elf::kPtLoad || pa < ph.paddr || pa - ph.paddr >= ph.filesz) continue;
      const auto seg = *view->segment_bytes(ph);
      const auto at = seg.subspan(static_cast<size_t>(pa - ph.paddr), bytes.size());
      EXPECT_TRUE(std::equal(at.begin(), at.end(), bytes.begin())) << std::hex << pa;
      found = true;
    }
    const auto region = preset->layout.region_of(*preset->layout.processor(0), pa, bytes.size());
    ASSERT_TRUE(region) << std::hex << pa;
    const bool open = platform::exported_to_normal_world(*preset, *region);
    EXPECT_EQ(found, open) << std::hex << pa;
    open_segments += open;
  }
  EXPECT_EQ(open_segments, 1u);  // the resource table in ipc-shmem
  EXPECT_EQ(c.start(), TEEC_SUCCESS);
  EXPECT_EQ(c.start(), TEEC_SUCCESS);  // START while STARTED
  EXPECT_EQ(c.release(), TEEC_ERROR_BAD_STATE);
  EXPECT_EQ(c.stop(), TEEC_SUCCESS);
  EXPECT_EQ(c.coredump(core), TEEC_ERROR_BAD_STATE);
  // A second processor id does not exist on this preset.
  RprocClient other(m.tee_name());
  EXPECT_EQ(other.open(1, &origin), TEEC_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_TRUE(m.alive());
}

enum class Crash { kKilledMidCall, kExitedMidCall, kKilledIdle };

std::string crash_name(Crash c) {
  switch (c) {
    case Crash::kKilledMidCall:
      return "KilledMidCall";
    case Crash::kExitedMidCall:
      return "ExitedMidCall";
    case Crash::kKilledIdle:
      return "KilledIdle";
  }
  return "?";
}

class CrashingClient : public ::testing::TestWithParam<Crash> {};

TEST_P(CrashingClient, TheMachineSurvivesAndTheProcessorIsFreedForTheNextClient) {
  const Crash crash = GetParam();
  MachineProcess m(stm32mp25_options());
  ASSERT_TRUE(m.wait_until_listening()) << m.stderr_text();
  // A big image (7 MiB of code): its LOAD takes long enough to be interrupted.
  static const auto kBig =
      sign_elfs({make_firmware(7 << 20, demo_resource_table())}, test_key("rsa2048"));
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The crashing client: a session, shared memory, and a LOAD it never sees the end of.
    ::close(ready[0]);
    RprocClient c(m.tee_name());
    if (c.open(0) != TEEC_SUCCESS) ::_exit(10);
    TEEC_SharedMemory shm{};
    shm.size = kBig.size();
    shm.flags = TEEC_MEM_INPUT;
    if (TEEC_AllocateSharedMemory(&c.context(), &shm) != TEEC_SUCCESS) ::_exit(11);
    std::memcpy(shm.buffer, kBig.data(), kBig.size());
    const char byte = 'x';
    if (::write(ready[1], &byte, 1) != 1) ::_exit(12);
    if (crash == Crash::kExitedMidCall)
      std::thread([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        ::_exit(0);
      }).detach();
    if (crash == Crash::kKilledIdle) {
      ::pause();  // killed while holding the session and the memory
      ::_exit(13);
    }
    TEEC_Operation op{};
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
    op.params[1].memref.parent = &shm;
    (void)c.invoke(protocol::rproc_ta::kLoadFw, op);
    ::_exit(0);  // the call won the race: leave without closing anything either
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  if (crash != Crash::kExitedMidCall) {
    if (crash == Crash::kKilledMidCall) std::this_thread::sleep_for(std::chrono::milliseconds(3));
    ::kill(child, SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  if (crash == Crash::kExitedMidCall) {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  } else {
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  }

  // The machine is still there, and the dead client's session was closed: a new client gets
  // the processor (possibly after the machine finished the interrupted LOAD).
  EXPECT_TRUE(m.alive()) << m.stderr_text();
  RprocClient next(m.tee_name());
  ASSERT_TRUE(next.initialized());
  ASSERT_EQ(open_when_free(next, 0), TEEC_SUCCESS);
  // Whatever the interrupted LOAD left (OFF or LOADED), RELEASE cleans it up and the
  // processor works as new.
  EXPECT_EQ(next.release(), TEEC_SUCCESS);
  std::vector<uint8_t> core;
  EXPECT_EQ(next.coredump(core), TEEC_ERROR_BAD_STATE);
  load_start_stop(next, small_image());
  EXPECT_TRUE(m.alive());
  EXPECT_EQ(m.signal_and_wait(SIGTERM), 0) << m.stderr_text();
}

INSTANTIATE_TEST_SUITE_P(Crashes, CrashingClient,
                         ::testing::Values(Crash::kKilledMidCall, Crash::kExitedMidCall,
                                           Crash::kKilledIdle),
                         [](const auto& param) { return crash_name(param.param); });

TEST(MachineProcess, HundredsOfClientsDoNotAccumulate) {
  MachineProcess m(stm32mp25_options());
  ASSERT_TRUE(m.wait_until_listening()) << m.stderr_text();
  auto one_client = [&] {
    RprocClient c(m.tee_name());
    ASSERT_TRUE(c.initialized());
    ASSERT_EQ(open_when_free(c, 0), TEEC_SUCCESS);
    EXPECT_EQ(c.stop(), TEEC_SUCCESS);
  };
  for (int i = 0; i < 20; ++i) ASSERT_NO_FATAL_FAILURE(one_client());
  const uint64_t before = m.vm_size_kib();
  ASSERT_GT(before, 0u);
  constexpr int kClients = 600;
  for (int i = 0; i < kClients; ++i) ASSERT_NO_FATAL_FAILURE(one_client());
  // Each client had a thread in the machine. A finished thread that is never joined keeps its
  // stack (8 MiB by default, 2 MiB at least): 600 of them are gigabytes. What may legitimately
  // appear is a few malloc arenas (64 MiB each) for the threads that come and go.
  const uint64_t after = m.vm_size_kib();
  EXPECT_LT(after, before + 512 * 1024)
      << "VmSize grew from " << before << " to " << after << " KiB over " << kClients << " clients";
  EXPECT_TRUE(m.alive());
}

TEST(MachineProcess, SigtermExitsZeroAndRemovesTheSocket) {
  MachineProcess m(stm32mp25_options());
  ASSERT_TRUE(m.wait_until_listening()) << m.stderr_text();
  // A connected client holding a session does not keep the machine up.
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  ASSERT_EQ(c.load(small_image()), TEEC_SUCCESS) << c.last_error();
  const int status = m.signal_and_wait(SIGTERM);
  ASSERT_NE(status, -1) << "the machine did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(std::filesystem::exists(m.socket()));
  EXPECT_THAT(m.stderr_text(), HasSubstr("stopped"));
  // The client sees the machine gone.
  uint32_t origin = 0;
  TEEC_Operation op{};
  EXPECT_EQ(c.invoke(protocol::rproc_ta::kStartFw, op, &origin), TEEC_ERROR_COMMUNICATION);
  EXPECT_EQ(origin, TEEC_ORIGIN_COMMS);
  RprocClient late(m.tee_name());
  EXPECT_FALSE(late.initialized());
}

// systemd socket activation: the machine serves the listening socket it inherits as descriptor
// 3 (LISTEN_PID, LISTEN_FDS) and leaves the socket file, systemd's, where it is.
TEST(MachineProcess, ServesTheSocketSystemdPasses) {
  TempDir dir;
  const std::string path = dir / "activated.sock";
  auto listener = listen_seqpacket(path);
  ASSERT_TRUE(listener) << listener.error().message;
  MachineChild m(stm32mp25_options(), *listener);
  ::close(*listener);
  ASSERT_TRUE(m.wait_until_listening()) << m.stderr_text();
  EXPECT_THAT(m.stderr_text(), HasSubstr("listening on the socket passed by the service manager"));
  EXPECT_FALSE(std::filesystem::exists(m.socket()));  // no socket of its own
  {
    RprocClient c("unix:" + path);
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
    ASSERT_EQ(c.load(small_image()), TEEC_SUCCESS) << c.last_error();
    EXPECT_EQ(c.start(), TEEC_SUCCESS);
    EXPECT_EQ(c.stop(), TEEC_SUCCESS);
  }
  const int status = m.signal_and_wait(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(std::filesystem::exists(path));

  // Anything but a listening SOCK_SEQPACKET socket is refused with what it is.
  const int file = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  MachineChild wrong(stm32mp25_options(), file);
  ::close(file);
  const int refused = wrong.signal_and_wait(0);
  EXPECT_TRUE(WIFEXITED(refused) && WEXITSTATUS(refused) == 1) << refused << wrong.stderr_text();
  EXPECT_THAT(wrong.stderr_text(), HasSubstr("descriptor 3 is not a socket"));
}

constexpr char kOwnBoard[] = R"(/dts-v1/;
/ {
	model = "my own board";
	#address-cells = <1>;
	#size-cells = <1>;

	reserved-memory {
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;
		fw: fw@90000000 {
			reg = <0x90000000 0x100000>;
			no-map;
		};
		shm: shm@90100000 {
			reg = <0x90100000 0x10000>;
			no-map;
		};
	};

	firmware {
		optee: optee {
			compatible = "linaro,optee-tz";
		};
	};

	rproc {
		compatible = "rproctee,remoteproc";
		st,rproc-tee = <&optee 3>;
		memory-region = <&fw>, <&shm>;
		rproctee,boot-address = <0x90000000>;
	};

	secure-world {
		compatible = "rproctee,secure-world";
		remoteproc-3 {
			rproc-id = <3>;
			secure-regions = <&fw>;
		};
	};
};
)";

/// A firmware for kOwnBoard: code at 0x90000000, resource table at 0x90100000.
std::vector<uint8_t> own_board_firmware() {
  ElfBuilder b;
  std::vector<uint8_t> code(4096);
  for (size_t i = 0; i < code.size(); ++i) code[i] = static_cast<uint8_t>(i * 3 + 1);
  b.add_code(0x90000000, code, 0x90100000);
  RscTableBuilder rsc;
  rsc.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0);
  b.add_resource_table(0x90100000, rsc.build());
  return b.build();
}

TEST(MachineProcess, OwnDeviceTreeSource) {
  TempDir dir;
  const std::string dts = dir / "board.dts";
  write_bytes(dts, std::vector<uint8_t>(kOwnBoard, kOwnBoard + sizeof kOwnBoard - 1));
  MachineProcess m({"--dtb", dts, "--trust", trusted_key()});
  ASSERT_TRUE(m.wait_until_listening()) << m.stderr_text();
  EXPECT_THAT(
      m.stderr_text(),
      HasSubstr("my own board (1 remote processor(s), 1 TEE-controlled, 1 trusted key(s))"));
  RprocClient c(m.tee_name());
  uint32_t origin = 0;
  EXPECT_EQ(c.open(0, &origin), TEEC_ERROR_NOT_SUPPORTED);  // the board's processor is id 3
  ASSERT_EQ(c.open(3, &origin), TEEC_SUCCESS);
  const auto image = sign_elfs({own_board_firmware()}, test_key("rsa2048"));
  ASSERT_EQ(c.load(image), TEEC_SUCCESS) << c.last_error();
  uint64_t address = 0, size = 0;
  ASSERT_EQ(c.rsc_table(address, size), TEEC_SUCCESS);
  EXPECT_EQ(address, 0x90100000u);
  EXPECT_GT(size, 0u);
  EXPECT_EQ(c.start(), TEEC_SUCCESS);
  EXPECT_EQ(c.stop(), TEEC_SUCCESS);
  // A firmware for another SoC does not fit this board's memories.
  EXPECT_EQ(c.load(small_image()), TEEC_ERROR_ACCESS_DENIED);
  EXPECT_THAT(c.last_error(), HasSubstr("is not inside one memory region of the processor"));
}

TEST(MachineProcess, BrokenDeviceTreeSourceIsRefusedWithItsPlace) {
  TempDir dir;
  std::string text = kOwnBoard;
  const std::string line = "\t\tmemory-region = <&fw>, <&shm>;\n";
  text.erase(text.find(line), line.size());
  const std::string dts = dir / "broken.dts";
  write_bytes(dts, std::vector<uint8_t>(text.begin(), text.end()));
  const auto r = run_rproctee({"machine", "--dtb", dts, "--socket", dir / "m.sock"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(dts + ": /rproc: property \"memory-region\" is missing"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.sock"));
}

TEST(MachineProcess, UnknownPlatformListsThePresets) {
  TempDir dir;
  const auto r = run_rproctee({"machine", "--platform", "stm32mp99", "--socket", dir / "m.sock"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no platform preset named \"stm32mp99\" (presets: stm32mp25, "
                               "stm32mp21, stm32mp15, stm32mp25-dual, stm32mp25-elf)"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.sock"));
}

}  // namespace
}  // namespace rproctee::test
