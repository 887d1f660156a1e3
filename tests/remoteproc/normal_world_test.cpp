// The normal world against a machine in this process (MachineUnderTest, in-process transport):
// remoteproc::NormalWorld::create reads the platform description, opens one TEE session per
// processor and maps the regions the firewall exports; the tests drive it through its sysfs
// table (the strings and errnos of Linux) and the Rproc API, with signed firmware files in a
// temporary firmware folder, and check the machine's memories and the kernel log.
//
// Covered: boot and stop through `state` (memory holds exactly the image, then is wiped);
// resource_table / trace0 in debugfs; refcounting; a crash written to debugfs `crash` (core
// dump published as devcd, recovery re-authenticating the image: LOAD_FW again after the STOP
// wiped the memories); the firmware file replaced between a crash and its recovery (the old
// image comes back); a recovery the TA refuses (an injected signature-check failure) leaving an
// offline processor that `start` boots; boots the TA refuses (untrusted key, tampered image,
// plain ELF) failing with -EIO and the TA's reason and code in the log; the ELF preset (the
// normal world loads a plain ELF itself); two processors started and stopped by 4 threads.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/fault_injection.hpp"
#include "image/elf32.hpp"
#include "remoteproc/platform_driver.hpp"
#include "soc/soc.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/rsc_builder.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using remoteproc::NormalWorld;
using remoteproc::NormalWorldOptions;
using remoteproc::RprocState;
using Bytes = std::vector<uint8_t>;

constexpr const char* kState0 = "sys/class/remoteproc/remoteproc0/state";
constexpr const char* kFirmware0 = "sys/class/remoteproc/remoteproc0/firmware";
constexpr const char* kRecovery0 = "sys/class/remoteproc/remoteproc0/recovery";
constexpr const char* kCoredump0 = "sys/class/remoteproc/remoteproc0/coredump";
constexpr const char* kDebug0 = "sys/kernel/debug/remoteproc/remoteproc0";
constexpr uint32_t kTraceDa = 0x81201000;

/// The plain firmware of the normal-world layout (vdev + trace in ipc_shmem).
Bytes plain_firmware(size_t code_size = 8192) {
  return make_firmware(code_size, normal_world_resource_table());
}
Bytes signed_firmware(size_t code_size = 8192, const std::string& key = "rsa2048") {
  return sign_elfs({plain_firmware(code_size)}, test_key(key));
}

/// Processor 1 of the dual preset: code at 0x82000000, data at 0x82400000, and a resource
/// table in m1-ipc-shmem (0x82800000) with a trace and a vdev whose vrings the host places
/// (FW_RSC_ADDR_ANY): in processor 1's own vdev0vring0/1 regions (0x828f8000, 0x828f9000), not
/// in processor 0's regions of the same names.
Bytes processor1_firmware() {
  ElfBuilder b;
  const Bytes table = RscTableBuilder()
                          .add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0)
                          .add_trace(0x82801000, 0x200, "m1_trace")
                          .build();
  b.add_code(0x82000000, Bytes(0x800, 0x61), 0x82800000);
  b.add_segment({.paddr = 0x82400000, .data = Bytes(0x80, 0x62), .memsz = 0x400, .flags = 6});
  const size_t rsc = b.add_segment({.paddr = 0x82800000, .data = table, .flags = 6});
  b.add_section(
      {.name = ".resource_table", .segment = rsc, .size = static_cast<uint32_t>(table.size())});
  return sign_elfs({b.build()}, test_key("rsa2048"));
}

/// A signed image whose code segment was changed after signing (its digest no longer matches).
Bytes tampered(const Bytes& image) {
  RawImage raw = decompose(image);
  auto view = image::Elf32View::parse(raw.images[0], "fw");
  EXPECT_TRUE(view);
  raw.images[0][view->phdrs()[0].offset + 0x100] ^= 0x01;
  return assemble_raw(raw);
}

/// `signed_image` as the normal world leaves it in memory while it runs: the resource table is
/// the one copy the normal world rewrites (by design): the vdev's vrings get the device
/// addresses `vring_das`, and its status byte is whatever the host driver last set (read from
/// memory). Every other byte is the signed one.
Bytes as_loaded(MachineUnderTest& m, const Bytes& signed_image,
                const std::vector<uint32_t>& vring_das) {
  RawImage raw = decompose(signed_image);
  Bytes& elf = raw.images[0];
  auto view = image::Elf32View::parse(elf, "fw");
  EXPECT_TRUE(view);
  if (!view) return signed_image;
  const std::vector<image::Elf32Phdr> phdrs(view->phdrs().begin(), view->phdrs().end());
  for (const image::Elf32Phdr& p : phdrs) {
    if (p.type != image::elf::kPtLoad || p.filesz == 0) continue;
    auto table = image::parse_resource_table(std::span(elf).subspan(p.offset, p.filesz));
    if (!table) continue;  // not the resource-table segment
    for (const image::RscEntry& e : table->entries)
      if (const auto* v = std::get_if<image::RscVdev>(&e.body)) {
        for (size_t i = 0; i < v->vrings.size() && i < vring_das.size(); ++i)
          put_u32(elf, p.offset + v->vrings[i].offset, vring_das[i]);
        elf[p.offset + v->status_offset] = m.read(p.paddr + v->status_offset, 1)[0];
      }
  }
  return assemble_raw(raw);
}

/// memory_holds_exactly for the normal-world layout of processor 0 (vrings in vdev0vring0/1).
bool holds_image(MachineUnderTest& m, const Bytes& signed_image) {
  return memory_holds_exactly(m, as_loaded(m, signed_image, {0x812f8000, 0x812f9000}));
}

/// True when the bytes of every PT_LOAD segment of `plain_elf` are at their addresses (ELF
/// mode: nothing is wiped, so only the segments are compared).
bool memory_holds_segments(MachineUnderTest& m, const Bytes& plain_elf) {
  const Bytes image =
      as_loaded(m, sign_elfs({plain_elf}, test_key("rsa2048")), {0x812f8000, 0x812f9000});
  for (const auto& [pa, bytes] : expected_segments(image))
    if (m.read(pa, bytes.size()) != bytes) return false;
  return true;
}

bool contains(const Bytes& haystack, const Bytes& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

/// The first bytes of the first PT_LOAD segment of a signed image (what a dump must hold).
Bytes code_prefix(const Bytes& image, size_t n = 256) {
  const auto segments = expected_segments(image);
  return Bytes(segments[0].second.begin(), segments[0].second.begin() + static_cast<long>(n));
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class NormalWorldTest : public ::testing::Test {
 protected:
  void TearDown() override {
    disarm_faults();
    nw_.reset();
    machine_.reset();
  }

  /// A machine with `config` and the normal world on it; firmware files from dir_.
  void Start(MachineConfig config = {}) {
    machine_ = std::make_unique<MachineUnderTest>(TransportKind::kInProcess, config);
    NormalWorldOptions options;
    options.firmware_path = {dir_.path().string()};
    options.echo_log = false;
    options.inline_dump_timeout = std::chrono::milliseconds(10000);
    auto w = NormalWorld::create(machine_->tee_name(), std::move(options));
    ASSERT_TRUE(w) << w.error().message;
    nw_ = std::move(*w);
  }

  /// Writes `data` as firmware file `name` and selects it for remoteproc`index`.
  void Install(const std::string& name, const Bytes& data, int index = 0) {
    write_bytes(dir_ / name, data);
    ASSERT_EQ(Write(fmt::format("sys/class/remoteproc/remoteproc{}/firmware", index), name + "\n"),
              0);
  }

  std::string Read(const std::string& path) {
    std::string out;
    const int err = nw_->sysfs().read(path, out);
    EXPECT_EQ(err, 0) << path;
    return out;
  }
  int Write(const std::string& path, const std::string& value) {
    return nw_->sysfs().write(path, value);
  }
  remoteproc::Rproc& rproc(size_t index = 0) { return *nw_->rproc(index); }
  std::string Log() { return nw_->log().contents(); }
  /// The core of processor `index` as the SoC sees it.
  soc::CoreControl& core(size_t index = 0) { return machine_->machine().soc().core(index); }

  TempDir dir_;
  std::unique_ptr<MachineUnderTest> machine_;
  std::unique_ptr<NormalWorld> nw_;
};

TEST_F(NormalWorldTest, TreeAndDefaults) {
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(Read("sys/class/remoteproc/remoteproc0/name"), "m33\n");
  EXPECT_EQ(Read(kState0), "offline\n");
  EXPECT_EQ(Read(kFirmware0), "rproc-m33-fw\n");
  EXPECT_EQ(Read(kRecovery0), "enabled\n");
  EXPECT_EQ(Read(kCoredump0), "disabled\n");  // the kernel default
  std::vector<std::string> names;
  ASSERT_EQ(nw_->sysfs().list("sys/class/remoteproc", names), 0);
  EXPECT_EQ(names, std::vector<std::string>{"remoteproc0"});
  // Only the regions the firewall exports are mapped: no firmware or data memory.
  EXPECT_EQ(rproc().find_carveout("cm33-firmware"), nullptr);
  EXPECT_EQ(rproc().find_carveout("cm33-data"), nullptr);
  ASSERT_NE(rproc().find_carveout("ipc-shmem"), nullptr);
  EXPECT_NE(rproc().find_carveout("vdev0vring0"), nullptr);
  EXPECT_NE(rproc().find_carveout("vdev0buffer"), nullptr);
  const std::string carveouts = Read(std::string(kDebug0) + "/carveout_memories");
  EXPECT_NE(carveouts.find("Name: ipc-shmem"), std::string::npos) << carveouts;
  EXPECT_EQ(carveouts.find("cm33-firmware"), std::string::npos) << carveouts;
  // The default firmware file does not exist: -ENOENT, offline.
  EXPECT_EQ(Write(kState0, "start\n"), -ENOENT);
  EXPECT_EQ(Read(kState0), "offline\n");
  EXPECT_NE(Log().find("Direct firmware load for rproc-m33-fw failed with error -2"),
            std::string::npos)
      << Log();
}

TEST_F(NormalWorldTest, BootThroughSysfsLoadsTheImageAndStopWipesIt) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Bytes image = signed_firmware();
  ASSERT_NO_FATAL_FAILURE(Install("fw.sign", image));
  ASSERT_EQ(Write(kState0, "start\n"), 0) << Log();
  EXPECT_EQ(Read(kState0), "running\n");
  EXPECT_TRUE(core().running());
  EXPECT_TRUE(holds_image(*machine_, image));
  EXPECT_EQ(Write(kFirmware0, "other\n"), -EBUSY);

  // debugfs: the table as in use now (vrings placed, status set), and the trace buffer.
  const std::string table = Read(std::string(kDebug0) + "/resource_table");
  EXPECT_NE(table.find("Entry 0 is of type vdev\n  ID 7\n"), std::string::npos) << table;
  EXPECT_NE(table.find("Vring 0\n    Device Address 0x812f8000"), std::string::npos) << table;
  EXPECT_NE(table.find("Vring 1\n    Device Address 0x812f9000"), std::string::npos) << table;
  EXPECT_NE(table.find("Entry 1 is of type trace\n  Device Address 0x81201000\n  Length 0x400"),
            std::string::npos)
      << table;
  // The loaded table (in ipc_shmem, where the firmware reads it) holds the vring addresses.
  const Bytes loaded = machine_->read(0x81200000, normal_world_resource_table().size());
  auto parsed = image::parse_resource_table(loaded);
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto& vdev = std::get<image::RscVdev>(parsed->entries[0].body);
  EXPECT_EQ(vdev.vrings[0].da, 0x812f8000u);
  EXPECT_EQ(vdev.vrings[1].da, 0x812f9000u);

  std::vector<std::string> names;
  ASSERT_EQ(nw_->sysfs().list(kDebug0, names), 0);
  EXPECT_NE(std::find(names.begin(), names.end(), "trace0"), names.end());
  const auto traces = rproc().traces();
  ASSERT_EQ(traces.size(), 1u);
  EXPECT_EQ(traces[0].da, kTraceDa);
  EXPECT_EQ(traces[0].len, 0x400u);
  EXPECT_EQ(Read(std::string(kDebug0) + "/trace0"), "");
  // What the firmware writes into its trace buffer (shared memory) shows up in trace0.
  const std::string text = "[m33] hello from the firmware\n";
  uint8_t* trace = rproc().da_to_va(kTraceDa, 0x400);
  ASSERT_NE(trace, nullptr);
  std::memcpy(trace, text.c_str(), text.size() + 1);
  EXPECT_EQ(Read(std::string(kDebug0) + "/trace0"), text);

  ASSERT_EQ(Write(kState0, "stop"), 0) << Log();
  EXPECT_EQ(Read(kState0), "offline\n");
  EXPECT_FALSE(core().running());
  EXPECT_TRUE(machine_->memories_zero());
  std::string out;
  EXPECT_EQ(nw_->sysfs().read(std::string(kDebug0) + "/trace0", out), -ENOENT);
  EXPECT_EQ(Read(std::string(kDebug0) + "/resource_table"), "No resource table found\n");
  EXPECT_EQ(Write(kState0, "stop"), -EINVAL);
  EXPECT_EQ(Write(kState0, "bogus"), -EINVAL);
  EXPECT_EQ(Write(kState0, "detach"), -EINVAL);

  // And again: the TA accepts the same image after a STOP.
  ASSERT_EQ(Write(kState0, "start"), 0) << Log();
  EXPECT_TRUE(holds_image(*machine_, image));
  ASSERT_EQ(Write(kState0, "stop"), 0);
  EXPECT_TRUE(machine_->memories_zero());
}

TEST_F(NormalWorldTest, RefcountThroughTheApi) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Bytes image = signed_firmware();
  ASSERT_NO_FATAL_FAILURE(Install("fw.sign", image));
  ASSERT_EQ(rproc().boot(), 0) << Log();
  disarm_faults();  // zeroes the event counters
  ASSERT_EQ(rproc().boot(), 0);
  ASSERT_EQ(Write(kState0, "start"), 0);           // a third user
  EXPECT_EQ(fault_events(FaultPoint::kHash), 0u);  // no new authentication for more users
  EXPECT_EQ(rproc().power(), 3);
  ASSERT_EQ(rproc().shutdown(), 0);
  ASSERT_EQ(Write(kState0, "stop"), 0);
  EXPECT_EQ(Read(kState0), "running\n");
  EXPECT_TRUE(holds_image(*machine_, image));
  ASSERT_EQ(rproc().shutdown(), 0);
  EXPECT_EQ(Read(kState0), "offline\n");
  EXPECT_TRUE(machine_->memories_zero());
  EXPECT_EQ(rproc().shutdown(), -EINVAL);
  EXPECT_EQ(rproc().power(), 0);
  // One authentication per boot from offline: "Booting fw image" once.
  EXPECT_EQ(occurrences(Log(), "Booting fw image fw.sign"), 1u) << Log();
}

TEST_F(NormalWorldTest, CrashIsDumpedAndRecoveryReauthenticates) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Bytes image = signed_firmware();
  ASSERT_NO_FATAL_FAILURE(Install("fw.sign", image));
  ASSERT_EQ(Write(kCoredump0, "enabled"), 0);  // the kernel default is "disabled"
  ASSERT_EQ(Write(kState0, "start"), 0) << Log();
  auto* held = dynamic_cast<soc::HeldCore*>(&core());
  const uint64_t starts = held ? held->starts() : 0;
  disarm_faults();  // zeroes the event counters: hashing events from here on are the recovery's

  EXPECT_EQ(Write(std::string(kDebug0) + "/crash", "watchdog"), -EINVAL);  // numbers only
  ASSERT_EQ(Write(std::string(kDebug0) + "/crash", "1\n"), 0);
  rproc().flush_crash_work();
  EXPECT_EQ(Read(kState0), "running\n") << Log();
  EXPECT_EQ(rproc().crash_count(), 1u);
  EXPECT_EQ(rproc().power(), 1);
  EXPECT_TRUE(holds_image(*machine_, image));
  if (held) {
    EXPECT_EQ(held->starts(), starts + 1);  // STOP then START again
  }
  // Re-authenticated: the secure world hashed the header and TLVs, checked the signature and
  // hashed the three segments again.
  EXPECT_EQ(fault_events(FaultPoint::kHash), 5u);

  // The dump: an ELF core file taken before the STOP wiped the memories. The default coredump
  // policy leaves the firewalled regions out: the code is not in it, the shared memory is.
  const auto list = nw_->dumps().list();
  ASSERT_EQ(list.size(), 1u);
  const std::string dir = fmt::format("sys/class/devcoredump/devcd{}", list[0]);
  // failing_device: a link to the device that crashed, as devcoredump makes it.
  std::string target;
  ASSERT_EQ(nw_->sysfs().readlink(dir + "/failing_device", target), 0);
  EXPECT_EQ(target, "../../../devices/platform/m33/remoteproc/remoteproc0");
  EXPECT_EQ(Read(dir + "/failing_device/name"), "m33\n");
  const std::string data = Read(dir + "/data");
  ASSERT_GT(data.size(), 52u);
  EXPECT_EQ(data.substr(0, 4),
            "\x7f"
            "ELF");
  EXPECT_EQ(static_cast<uint8_t>(data[16]), 4);  // ET_CORE
  EXPECT_FALSE(contains(Bytes(data.begin(), data.end()), code_prefix(image)));
  EXPECT_NE(data.find("cm33_trace"), std::string::npos);  // the resource table in ipc-shmem
  EXPECT_NE(Log().find(fmt::format("coredump available as {}/data", dir)), std::string::npos)
      << Log();
  // Writing to the data file dismisses it.
  ASSERT_EQ(Write(dir + "/data", "1"), 0);
  EXPECT_TRUE(nw_->dumps().list().empty());

  // Recovery went through LOAD_FW again: the image was booted (authenticated) twice.
  const std::string log = Log();
  EXPECT_NE(log.find("crash detected in m33: type watchdog"), std::string::npos) << log;
  EXPECT_EQ(occurrences(log, "Booting fw image fw.sign"), 2u) << log;
  EXPECT_NE(log.find("recovery of m33 done"), std::string::npos) << log;

  ASSERT_EQ(Write(kState0, "stop"), 0);
  EXPECT_TRUE(machine_->memories_zero());
}

TEST_F(NormalWorldTest, CoredumpDisabledPublishesNothing) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Install("fw.sign", signed_firmware()));
  ASSERT_EQ(Write(kCoredump0, "disabled\n"), 0);
  EXPECT_EQ(Read(kCoredump0), "disabled\n");
  EXPECT_EQ(Write(kCoredump0, "sometimes"), -EINVAL);
  ASSERT_EQ(Write(kState0, "start"), 0);
  ASSERT_EQ(Write(std::string(kDebug0) + "/crash", "0"), 0);
  rproc().flush_crash_work();
  EXPECT_EQ(Read(kState0), "running\n");
  EXPECT_TRUE(nw_->dumps().list().empty());
}

TEST_F(NormalWorldTest, InlineCoredumpHoldsRecoveryUntilTheDumpIsRead) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Bytes image = signed_firmware();
  ASSERT_NO_FATAL_FAILURE(Install("fw.sign", image));
  ASSERT_EQ(Write(kCoredump0, "inline"), 0);
  ASSERT_EQ(Write(kState0, "start"), 0);
  ASSERT_EQ(Write(std::string(kDebug0) + "/crash", "2"), 0);
  std::vector<int> list;
  for (int i = 0; i < 10000 && list.empty(); ++i) {
    list = nw_->dumps().list();
    if (list.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(list.size(), 1u);
  // Recovery is waiting for the dump: the processor is still crashed, and its memories still
  // hold the image (the STOP that wipes them comes after the dump).
  EXPECT_EQ(Read(kState0), "crashed\n");
  EXPECT_EQ(Write(kCoredump0, "enabled"), -EBUSY);
  EXPECT_TRUE(holds_image(*machine_, image));
  nw_->dumps().consumed(list[0]);  // what reading devcdN/data to its end does (fuse_tree)
  rproc().flush_crash_work();
  EXPECT_EQ(Read(kState0), "running\n") << Log();
  EXPECT_EQ(Log().find("inline coredump not read"), std::string::npos) << Log();
}

TEST_F(NormalWorldTest, RecoveryRunsTheOldImageWhenTheFileWasReplaced) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Bytes old_image = signed_firmware(8192);
  const Bytes new_image = signed_firmware(12288);
  ASSERT_NE(old_image, new_image);
  ASSERT_NO_FATAL_FAILURE(Install("fw.sign", old_image));
  ASSERT_EQ(Write(kRecovery0, "disabled\n"), 0);
  EXPECT_EQ(Read(kRecovery0), "disabled\n");
  ASSERT_EQ(Write(kState0, "start"), 0) << Log();
  ASSERT_EQ(Write(std::string(kDebug0) + "/crash", "1"), 0);
  rproc().flush_crash_work();
  ASSERT_EQ(Read(kState0), "crashed\n");
  // Nothing happens to a crashed processor with recovery disabled.
  EXPECT_TRUE(holds_image(*machine_, old_image));
  EXPECT_EQ(Write(kState0, "start"), 0);  // Linux: one more user, nothing else
  EXPECT_EQ(rproc().power(), 2);
  EXPECT_EQ(Write(kState0, "stop"), -EINVAL);  // Linux: only running/attached stop
  EXPECT_EQ(Write(kFirmware0, "x"), -EBUSY);

  write_bytes(dir_ / "fw.sign", new_image);  // a firmware update lands meanwhile
  ASSERT_EQ(Write(kRecovery0, "recover\n"), 0) << Log();
  EXPECT_EQ(Read(kState0), "running\n");
  EXPECT_TRUE(holds_image(*machine_, old_image));
  EXPECT_FALSE(holds_image(*machine_, new_image));
  ASSERT_EQ(rproc().traces().size(), 1u);

  // The next boot from offline picks up the new file (two stops: two users).
  ASSERT_EQ(Write(kState0, "stop"), 0);
  EXPECT_EQ(Read(kState0), "running\n");
  ASSERT_EQ(Write(kState0, "stop"), 0);
  ASSERT_EQ(Write(kState0, "start"), 0) << Log();
  EXPECT_TRUE(holds_image(*machine_, new_image));
  ASSERT_EQ(Write(kRecovery0, "enabled"), 0);
  EXPECT_EQ(Write(kRecovery0, "maybe"), -EINVAL);
}

TEST_F(NormalWorldTest, RecoveryRefusedByTheTaLeavesAProcessorThatStartBoots) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Bytes image = signed_firmware();
  ASSERT_NO_FATAL_FAILURE(Install("fw.sign", image));
  ASSERT_EQ(Write(kRecovery0, "disabled"), 0);
  ASSERT_EQ(Write(kState0, "start"), 0) << Log();
  ASSERT_EQ(Write(kState0, "start"), 0);  // two users
  ASSERT_EQ(Write(std::string(kDebug0) + "/crash", "0"), 0);
  rproc().flush_crash_work();
  ASSERT_EQ(Read(kState0), "crashed\n");
  // The re-authentication during recovery fails: the signature check (hash event 1 of the
  // LOAD: 0 is the header digest) is made to fail in the secure world.
  arm_fault(FaultPoint::kHash, 1);
  EXPECT_EQ(Write(kRecovery0, "recover"), -EIO);
  disarm_faults();
  EXPECT_EQ(Read(kState0), "offline\n");
  EXPECT_EQ(rproc().power(), 0);
  EXPECT_FALSE(core().running());
  EXPECT_TRUE(machine_->memories_zero());
  const std::string log = Log();
  EXPECT_NE(log.find("TEE LOAD_FW failed: TEE_ERROR_SIGNATURE_INVALID (0xffff3072, origin 4): "
                     "LOAD_FW rejected:"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("recovery of m33 failed: -5"), std::string::npos) << log;
  EXPECT_EQ(Write(kState0, "stop"), -EINVAL);

  // Not Linux's pitfall (power left at 1, `start` a silent no-op): start really boots.
  ASSERT_EQ(Write(kState0, "start"), 0) << Log();
  EXPECT_EQ(Read(kState0), "running\n");
  EXPECT_EQ(rproc().power(), 1);
  EXPECT_TRUE(core().running());
  EXPECT_TRUE(holds_image(*machine_, image));
  ASSERT_EQ(Write(kState0, "stop"), 0);
  EXPECT_TRUE(machine_->memories_zero());
}

struct Rejected {
  std::string name;
  Bytes image;
  std::string code;                  // in the log: TEE code name and value
  std::vector<std::string> reasons;  // in the log: the TA's reason, the driver's advice
};

class NormalWorldRejected : public NormalWorldTest, public ::testing::WithParamInterface<int> {};

std::vector<Rejected> rejected_images() {
  return {
      {"UntrustedKey",
       signed_firmware(8192, "rsa4096"),
       "TEE_ERROR_SIGNATURE_INVALID (0xffff3072, origin 4)",
       {"LOAD_FW rejected: the signature over the header and TLVs verifies with none of the "
        "provisioned keys"}},
      {"TamperedCode",
       tampered(signed_firmware()),
       "TEE_ERROR_SECURITY (0xffff000f, origin 4)",
       {"LOAD_FW rejected: image 1 segment 0 (LOAD at 0x80100000, 0x2000 bytes): its SHA-256 in "
        "memory does not match the signed digest"}},
      {"PlainElf",
       plain_firmware(),
       "TEE_ERROR_BAD_PARAMETERS (0xffff0006, origin 4)",
       {"LOAD_FW rejected: header magic is 0x464c457f",
        "fw.bin is a plain ELF file, but m33 is started by the TEE: it only runs signed images "
        "(rproctee sign --in fw.bin --key KEY --out fw.bin.sign)"}},
  };
}

TEST_P(NormalWorldRejected, BootFailsWithEioAndTheTaReasonIsLogged) {
  const Rejected r = rejected_images()[static_cast<size_t>(GetParam())];
  SCOPED_TRACE(r.name);
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Install("fw.bin", r.image));
  // A shell shows "write error: Input/output error".
  EXPECT_EQ(Write(kState0, "start\n"), -EIO);
  EXPECT_EQ(Read(kState0), "offline\n");
  EXPECT_EQ(rproc().power(), 0);
  EXPECT_FALSE(core().running());
  EXPECT_TRUE(machine_->memories_zero());
  const std::string dmesg = Read("dmesg");
  EXPECT_EQ(dmesg, Log());
  EXPECT_NE(dmesg.find("remoteproc remoteproc0: TEE LOAD_FW failed: " + r.code), std::string::npos)
      << dmesg;
  for (const std::string& reason : r.reasons)
    EXPECT_NE(dmesg.find(reason), std::string::npos) << reason << "\nnot in\n" << dmesg;
  EXPECT_NE(dmesg.find("remoteproc remoteproc0: Boot failed: -5"), std::string::npos) << dmesg;
  // The processor is usable afterwards.
  const Bytes good = signed_firmware();
  ASSERT_NO_FATAL_FAILURE(Install("good.sign", good));
  ASSERT_EQ(Write(kState0, "start"), 0) << Log();
  EXPECT_TRUE(holds_image(*machine_, good));
  ASSERT_EQ(Write(kState0, "stop"), 0);
}

INSTANTIATE_TEST_SUITE_P(NormalWorldImages, NormalWorldRejected, ::testing::Values(0, 1, 2),
                         [](const auto& p) {
                           return rejected_images()[static_cast<size_t>(p.param)].name;
                         });

TEST_F(NormalWorldTest, ElfModeLoadsAPlainElfAndDumpsIt) {
  MachineConfig config;
  config.preset = "stm32mp25-elf";
  ASSERT_NO_FATAL_FAILURE(Start(config));
  // Every region of the processor is the normal world's to load.
  EXPECT_NE(rproc().find_carveout("cm33-firmware"), nullptr);
  EXPECT_NE(rproc().find_carveout("cm33-data"), nullptr);
  const Bytes elf = plain_firmware();
  ASSERT_NO_FATAL_FAILURE(Install("fw.elf", elf));
  ASSERT_EQ(Write(kCoredump0, "enabled"), 0);  // the kernel default is "disabled"
  ASSERT_EQ(Write(kState0, "start"), 0) << Log();
  EXPECT_EQ(Read(kState0), "running\n");
  EXPECT_TRUE(core().running());
  if (auto* held = dynamic_cast<soc::HeldCore*>(&core())) {
    EXPECT_EQ(held->boot_address(), 0x80100000u);
  }
  EXPECT_TRUE(memory_holds_segments(*machine_, elf));
  ASSERT_EQ(rproc().traces().size(), 1u);
  EXPECT_NE(Read(std::string(kDebug0) + "/resource_table").find("Entry 0 is of type vdev"),
            std::string::npos);

  ASSERT_EQ(Write(std::string(kDebug0) + "/crash", "1"), 0);
  rproc().flush_crash_work();
  EXPECT_EQ(Read(kState0), "running\n") << Log();
  EXPECT_TRUE(core().running());
  const auto list = nw_->dumps().list();
  ASSERT_EQ(list.size(), 1u);
  const auto dump = nw_->dumps().get(list[0]);
  ASSERT_NE(dump, nullptr);
  ASSERT_GT(dump->size(), 52u);
  EXPECT_EQ(std::memcmp(dump->data(),
                        "\x7f"
                        "ELF",
                        4),
            0);
  EXPECT_EQ((*dump)[16], 4);  // ET_CORE
  EXPECT_TRUE(contains(*dump, code_prefix(sign_elfs({elf}, test_key("rsa2048")))));
  EXPECT_TRUE(memory_holds_segments(*machine_, elf));

  ASSERT_EQ(Write(kState0, "stop"), 0);
  EXPECT_EQ(Read(kState0), "offline\n");
  EXPECT_FALSE(core().running());
}

TEST_F(NormalWorldTest, ElfModeRefusesASignedImage) {
  MachineConfig config;
  config.preset = "stm32mp25-elf";
  ASSERT_NO_FATAL_FAILURE(Start(config));
  ASSERT_NO_FATAL_FAILURE(Install("fw.sign", signed_firmware()));
  EXPECT_EQ(Write(kState0, "start"), -EINVAL);
  EXPECT_EQ(Read(kState0), "offline\n");
  EXPECT_FALSE(core().running());
  EXPECT_NE(Log().find("Image is corrupted"), std::string::npos) << Log();
}

TEST_F(NormalWorldTest, TwoProcessorsStartedAndStoppedConcurrently) {
  MachineConfig config;
  config.preset = "stm32mp25-dual";
  ASSERT_NO_FATAL_FAILURE(Start(config));
  ASSERT_EQ(nw_->rprocs().size(), 2u);
  EXPECT_EQ(Read("sys/class/remoteproc/remoteproc1/name"), "m33-1\n");
  const Bytes image0 = signed_firmware();
  const Bytes image1 = processor1_firmware();
  ASSERT_NO_FATAL_FAILURE(Install("m33.sign", image0, 0));
  ASSERT_NO_FATAL_FAILURE(Install("m1.sign", image1, 1));
  auto holds = [&](int p) {
    return p == 0 ? holds_image(*machine_, image0)
                  : memory_holds_exactly(*machine_,
                                         as_loaded(*machine_, image1, {0x828f8000, 0x828f9000}), 1);
  };
  // Each alone first.
  for (int p = 0; p < 2; ++p) {
    const std::string state = fmt::format("sys/class/remoteproc/remoteproc{}/state", p);
    ASSERT_EQ(Write(state, "start"), 0) << Log();
    EXPECT_TRUE(holds(p));
    ASSERT_EQ(Write(state, "stop"), 0);
    EXPECT_TRUE(machine_->memories_zero(static_cast<uint32_t>(p)));
  }
  ASSERT_NE(rproc(1).find_carveout("m1-ipc-shmem"), nullptr);

  constexpr int kThreads = 4;
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
  constexpr int kIterations = 75;  // 300 writes: slow builds
#else
  constexpr int kIterations = 150;  // 600 writes
#endif
  std::atomic<int> starts[2] = {0, 0}, stops[2] = {0, 0}, unexpected{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      uint32_t seed = 0x9E3779B9u * static_cast<uint32_t>(t + 1);
      for (int i = 0; i < kIterations; ++i) {
        seed = seed * 1664525u + 1013904223u;
        const int p = static_cast<int>((seed >> 16) & 1);
        const bool start = ((seed >> 20) & 3) != 0 ? (i % 2 == 0) : ((seed >> 24) & 1);
        const std::string path = fmt::format("sys/class/remoteproc/remoteproc{}/state", p);
        const int err = Write(path, start ? "start\n" : "stop\n");
        if (err == 0)
          ++(start ? starts[p] : stops[p]);
        else if (start || err != -EINVAL)
          ++unexpected;
      }
    });
  // A reader meanwhile: every state read is one of the two expected strings.
  std::atomic<int> bad_reads{0};
  std::thread reader([&] {
    while (!done) {
      for (int p = 0; p < 2; ++p) {
        std::string s;
        if (nw_->sysfs().read(fmt::format("sys/class/remoteproc/remoteproc{}/state", p), s) != 0 ||
            (s != "running\n" && s != "offline\n"))
          ++bad_reads;
      }
      std::this_thread::yield();
    }
  });
  for (auto& th : threads) th.join();
  done = true;
  reader.join();
  EXPECT_EQ(unexpected.load(), 0) << Log().substr(0, 4000);
  EXPECT_EQ(bad_reads.load(), 0);

  // The references left are exactly the successful starts minus the successful stops; that
  // many stops bring each processor offline with its memories wiped.
  for (int p = 0; p < 2; ++p) {
    SCOPED_TRACE(p);
    const int held = starts[p].load() - stops[p].load();
    ASSERT_GE(held, 0);
    EXPECT_EQ(rproc(static_cast<size_t>(p)).power(), held);
    const std::string state = fmt::format("sys/class/remoteproc/remoteproc{}/state", p);
    EXPECT_EQ(Read(state), held > 0 ? "running\n" : "offline\n");
    if (held > 0) {
      EXPECT_TRUE(holds(p));
    }
    for (int i = 0; i < held; ++i) ASSERT_EQ(Write(state, "stop"), 0) << i;
    EXPECT_EQ(Read(state), "offline\n");
    EXPECT_EQ(Write(state, "stop"), -EINVAL);
    EXPECT_EQ(rproc(static_cast<size_t>(p)).power(), 0);
    EXPECT_FALSE(core(static_cast<size_t>(p)).running());
    EXPECT_TRUE(machine_->memories_zero(static_cast<uint32_t>(p)));
  }
  // Both still work, together.
  ASSERT_EQ(Write("sys/class/remoteproc/remoteproc0/state", "start"), 0) << Log();
  ASSERT_EQ(Write("sys/class/remoteproc/remoteproc1/state", "start"), 0) << Log();
  EXPECT_TRUE(holds(0));
  EXPECT_TRUE(holds(1));
  ASSERT_EQ(rproc(1).traces().size(), 1u);
  EXPECT_EQ(rproc(1).traces()[0].da, 0x82801000u);
}

}  // namespace
}  // namespace rproctee::test
