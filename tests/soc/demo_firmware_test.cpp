// The demo firmware (firmware/, built with arm-none-eabi-gcc) on the emulated Cortex-M core:
// boot to the trace banner on both SoCs and from the TF-M stand-in, the wait for DRIVER_OK, the
// name-service announcement and echo over a minimal test-side vring driver, the "version" and
// "fault" commands, and the shutdown acknowledgement. The test loads the ELF PT_LOAD segments
// itself into plain host memory. Waits poll with a bound; no test asserts a duration.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "image/elf32.hpp"
#include "image/resource_table.hpp"
#include "soc/cortex_m_core.hpp"
#include "soc/ipcc.hpp"
#include "soc/ipcc_mmio.hpp"
#include "soc/mmio_device.hpp"

namespace rproctee::soc {
namespace {

#ifdef RPROCTEE_DEMO_FIRMWARE_DIR
const std::string kDir = RPROCTEE_DEMO_FIRMWARE_DIR;
#else
const std::string kDir;
#endif

constexpr auto kTimeout = std::chrono::seconds(10);

bool eventually(const std::function<bool()>& done) {
  auto end = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

// The SoC facts a variant needs (shared/spec/remoteproc.md).
struct Layout {
  std::vector<std::pair<uint32_t, uint32_t>> memories;  // da, size
  uint32_t ipcc_base, ipcc_rx_irq, ipcc_tx_irq, iwdg_base, boot;
  uint32_t vring0, vring1, buffers;  // where the host places the vrings and buffers
  std::string core;
};

const Layout kMp25{{{0x80000000, 0x100000},   // cm33-tfm
                    {0x80100000, 0x800000},   // cm33-firmware
                    {0x80A00000, 0x800000},   // cm33-data
                    {0x81200000, 0x100000}},  // ipc-shmem, vdev0vring0/1, vdev0buffer
                   0x40490000,
                   171,         // IPCC1_RX
                   172,         // IPCC1_TX
                   0x44040000,  // IWDG4
                   0x80100000,
                   0x812F8000,
                   0x812F9000,
                   0x812FA000,
                   "cortex-m33"};
// The STM32MP21: the same memories, its own interrupt numbers.
Layout mp21() {
  Layout l = kMp25;
  l.ipcc_rx_irq = 152;
  l.ipcc_tx_irq = 153;
  return l;
}
const Layout kMp21 = mp21();
const Layout kMp15{{{0x00000000, 0x10000},   // RETRAM as the M4 sees it
                    {0x10000000, 0x60000},   // mcuram2, vdev0vring0/1, vdev0buffer
                    {0x30000000, 0x40000}},  // mcuram
                   0x4C001000,
                   103,
                   104,
                   0x5A002000,
                   0x00000000,
                   0x10040000,
                   0x10041000,
                   0x10042000,
                   "cortex-m4"};

// The IWDG as a register file: the test checks the configuration the firmware writes (the
// watchdog model with its expiry belongs to the core).
class IwdgStub final : public MmioDevice {
 public:
  uint32_t read32(uint32_t) override { return 0; }  // SR: no update in progress
  void write32(uint32_t offset, uint32_t value) override {
    std::lock_guard lock(mutex_);
    if (offset == 0 && value == 0xCCCC) started_ = true;
    if (offset == 0 && value == 0xAAAA) ++refreshes_;
    if (offset == 4) pr_ = value;
    if (offset == 8) rlr_ = value;
  }
  bool started() {
    std::lock_guard lock(mutex_);
    return started_;
  }
  uint32_t pr() {
    std::lock_guard lock(mutex_);
    return pr_;
  }
  uint32_t rlr() {
    std::lock_guard lock(mutex_);
    return rlr_;
  }
  uint32_t refreshes() {
    std::lock_guard lock(mutex_);
    return refreshes_;
  }

 private:
  std::mutex mutex_;
  bool started_ = false;
  uint32_t pr_ = 0, rlr_ = 0xFFF, refreshes_ = 0;
};

struct Mapping {
  uint32_t da = 0, size = 0;
  uint8_t* host = nullptr;
};

struct Symbol {
  uint32_t value = 0, size = 0;
};

class DemoFirmwareTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (core_) core_->stop();
    core_.reset();
    for (Mapping& m : memories_) munmap(m.host, m.size);
  }

  static bool built() { return !kDir.empty() && std::ifstream(kDir + "/demo-m33.elf").good(); }

  // Maps the layout's memories, loads the ELF files and starts the core at `boot`.
  // With `core_watchdog`, the core's own IWDG model (expiry = a watchdog crash) replaces the
  // register stub.
  void boot(const Layout& layout, const std::vector<std::string>& elfs, uint32_t boot,
            bool core_watchdog = false) {
    layout_ = &layout;
    ipcc_.emplace(layout.ipcc_base);
    ipcc_mmio_.emplace(*ipcc_);
    std::vector<CoreMemory> memories;
    for (auto [da, size] : layout.memories) {
      void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      ASSERT_NE(p, MAP_FAILED);
      memories_.push_back({da, size, static_cast<uint8_t*>(p)});
      memories.push_back({da, static_cast<uint8_t*>(p), size});
    }
    for (const std::string& name : elfs) ASSERT_NO_FATAL_FAILURE(load(kDir + "/" + name));
    ASSERT_NE(rsc_, 0u) << "no .resource_table section";
    auto table = image::parse_resource_table(std::span<const uint8_t>(at(rsc_), rsc_size_));
    ASSERT_TRUE(table) << table.error().message;
    for (const auto& e : table->entries) {
      if (auto* t = std::get_if<image::RscTrace>(&e.body)) trace_da_ = t->da, trace_len_ = t->len;
      if (auto* v = std::get_if<image::RscVdev>(&e.body)) {
        ASSERT_EQ(v->vrings.size(), 2u);
        status_ = rsc_ + v->status_offset;
        vring_entry_[0] = rsc_ + v->vrings[0].offset;
        vring_entry_[1] = rsc_ + v->vrings[1].offset;
      }
    }
    ASSERT_NE(trace_da_, 0u);
    ASSERT_NE(status_, 0u);
    std::vector<MmioMapping> devices{ipcc_mmio_->mapping(layout.ipcc_rx_irq, layout.ipcc_tx_irq)};
    CortexMOptions options;
    if (core_watchdog)
      options.watchdog_base = layout.iwdg_base;
    else
      devices.push_back(MmioMapping{layout.iwdg_base, 0x400, &iwdg_, {}});
    auto core = CortexMCore::create(
        std::move(memories), std::move(devices),
        [this](const CrashReport& r) {
          std::lock_guard lock(mutex_);
          crashes_.push_back(r);
        },
        options);
    ASSERT_TRUE(core) << core.error().message;
    core_ = std::move(core).value();
    auto started = core_->start(boot, false);
    ASSERT_TRUE(started) << started.error().message;
  }

  void load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), {});
    auto elf = image::Elf32View::parse(file, path);
    ASSERT_TRUE(elf) << elf.error().message;
    for (const image::Elf32Phdr& ph : elf->phdrs()) {
      if (ph.type != image::elf::kPtLoad) continue;
      uint8_t* dst = at(ph.paddr, ph.memsz);
      ASSERT_NE(dst, nullptr) << path << ": segment at " << std::hex << ph.paddr;
      auto bytes = elf->segment_bytes(ph);
      ASSERT_TRUE(bytes);
      std::memcpy(dst, bytes->data(), bytes->size());
      std::memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
    }
    auto sections = elf->sections();
    ASSERT_TRUE(sections);
    const image::Elf32Section *symtab = nullptr, *strtab = nullptr;
    for (const auto& s : *sections) {
      if (s.name == ".resource_table") rsc_ = s.header.addr, rsc_size_ = s.header.size;
      if (s.name == ".symtab") symtab = &s;
      if (s.name == ".strtab") strtab = &s;
    }
    if (!symtab || !strtab) return;
    for (uint32_t off = 0; off + 16 <= symtab->header.size; off += 16) {
      const uint8_t* sym = file.data() + symtab->header.offset + off;
      uint32_t name = 0, value = 0, size = 0;
      std::memcpy(&name, sym, 4);
      std::memcpy(&value, sym + 4, 4);
      std::memcpy(&size, sym + 8, 4);
      if (name < strtab->header.size)
        symbols_[reinterpret_cast<const char*>(file.data() + strtab->header.offset + name)] = {
            value, size};
    }
  }

  uint8_t* at(uint32_t da, uint32_t len = 1) {
    for (Mapping& m : memories_)
      if (da >= m.da && da - m.da < m.size && len <= m.size - (da - m.da))
        return m.host + (da - m.da);
    return nullptr;
  }
  template <typename T>
  T get(uint32_t da) {
    T v;
    std::atomic_thread_fence(std::memory_order_acquire);
    std::memcpy(&v, const_cast<const uint8_t*>(static_cast<volatile uint8_t*>(at(da, sizeof v))),
                sizeof v);
    return v;
  }
  template <typename T>
  void put(uint32_t da, T v) {
    std::memcpy(at(da, sizeof v), &v, sizeof v);
    std::atomic_thread_fence(std::memory_order_release);
  }

  std::string trace() {
    std::atomic_thread_fence(std::memory_order_acquire);
    const char* p = reinterpret_cast<const char*>(at(trace_da_, trace_len_));
    return std::string(p, strnlen(p, trace_len_));
  }
  bool traced(const std::string& line) {
    return eventually([&] { return trace().find(line + "\n") != std::string::npos; });
  }
  std::vector<CrashReport> crashes() {
    std::lock_guard lock(mutex_);
    return crashes_;
  }

  // --- a minimal virtio-rpmsg driver (the host's side) -----------------------------------
  static constexpr uint32_t kNum = 16, kBuf = 512;
  uint32_t used_ring(uint32_t vring) const {
    return (vring + 16 * kNum + 6 + 2 * kNum + 15) & ~15u;
  }
  uint16_t used_idx(uint32_t vring) { return get<uint16_t>(used_ring(vring) + 2); }

  // Places the vrings, posts 16 RX buffers on vring0 (descriptors 0..15).
  void setup_vrings() {
    put<uint32_t>(vring_entry_[0], layout_->vring0);
    put<uint32_t>(vring_entry_[1], layout_->vring1);
    for (uint32_t i = 0; i < kNum; ++i) {
      uint32_t d = layout_->vring0 + 16 * i;
      put<uint64_t>(d, layout_->buffers + kBuf * i);
      put<uint32_t>(d + 8, kBuf);
      put<uint16_t>(d + 12, 2);  // VRING_DESC_F_WRITE
      put<uint16_t>(layout_->vring0 + 16 * kNum + 4 + 2 * i, static_cast<uint16_t>(i));
    }
    put<uint16_t>(layout_->vring0 + 16 * kNum + 2, kNum);  // avail idx
  }
  /// The host's driver accepted the name service (gfeatures, 8 bytes before the status) and
  /// set DRIVER_OK.
  void driver_ok(uint32_t accepted_features = 1) {
    put<uint32_t>(status_ - 8, accepted_features);
    put<uint8_t>(status_, 7);  // ACKNOWLEDGE | DRIVER | DRIVER_OK
    ipcc_->host_send(0);
  }

  struct Message {
    uint32_t src = 0, dst = 0;
    std::string payload;
  };
  // The n-th message the firmware sent on vring0 (0-based), once it is there.
  std::optional<Message> received(uint16_t n) {
    if (!eventually([&] { return used_idx(layout_->vring0) > n; })) return std::nullopt;
    uint32_t elem = used_ring(layout_->vring0) + 4 + 8 * (n % kNum);
    uint32_t id = get<uint32_t>(elem), len = get<uint32_t>(elem + 4);
    if (id >= kNum || len < 16 || len > kBuf) return std::nullopt;
    uint32_t buf = layout_->buffers + kBuf * id;
    Message m{get<uint32_t>(buf), get<uint32_t>(buf + 4), {}};
    uint16_t plen = get<uint16_t>(buf + 12);
    if (plen != len - 16) return std::nullopt;
    m.payload.assign(reinterpret_cast<const char*>(at(buf + 16, plen)), plen);
    ipcc_->host_ack(0);
    return m;
  }
  // Sends `payload` from `src` to 0x400 on vring1 (TX buffers after the 16 RX buffers).
  void send(uint32_t src, const std::string& payload) {
    uint16_t i = sent_++;
    uint32_t slot = i % kNum, buf = layout_->buffers + kBuf * (kNum + slot);
    put<uint32_t>(buf, src);
    put<uint32_t>(buf + 4, 0x400);
    put<uint32_t>(buf + 8, 0);
    put<uint16_t>(buf + 12, static_cast<uint16_t>(payload.size()));
    put<uint16_t>(buf + 14, 0);
    std::memcpy(at(buf + 16, static_cast<uint32_t>(payload.size())), payload.data(),
                payload.size());
    uint32_t d = layout_->vring1 + 16 * slot;
    put<uint64_t>(d, buf);
    put<uint32_t>(d + 8, 16 + static_cast<uint32_t>(payload.size()));
    put<uint16_t>(d + 12, 0);
    put<uint16_t>(layout_->vring1 + 16 * kNum + 4 + 2 * slot, static_cast<uint16_t>(slot));
    put<uint16_t>(layout_->vring1 + 16 * kNum + 2, sent_);
    ipcc_->host_send(1);
  }

  std::string banner(const std::string& image) const {
    return "rproctee demo firmware 1.0.0 on " + layout_->core + " (" + image + ")";
  }

  const Layout* layout_ = nullptr;
  std::vector<Mapping> memories_;
  std::optional<Ipcc> ipcc_;
  std::optional<IpccMmio> ipcc_mmio_;
  IwdgStub iwdg_;
  std::unique_ptr<CortexMCore> core_;
  std::mutex mutex_;
  std::vector<CrashReport> crashes_;
  std::map<std::string, Symbol> symbols_;
  uint32_t rsc_ = 0, rsc_size_ = 0, trace_da_ = 0, trace_len_ = 0, status_ = 0;
  uint32_t vring_entry_[2] = {};
  uint16_t sent_ = 0;
};

#define SKIP_UNLESS_BUILT() \
  if (!built()) GTEST_SKIP() << "the demo firmware was not built (arm-none-eabi-gcc missing?)"

TEST_F(DemoFirmwareTest, M33BootsToItsBannerAndStartsTheWatchdog) {
  SKIP_UNLESS_BUILT();
  ASSERT_NO_FATAL_FAILURE(boot(kMp25, {"demo-m33.elf"}, kMp25.boot));
  ASSERT_TRUE(eventually([&] { return !trace().empty(); })) << "no trace";
  ASSERT_TRUE(traced(banner("demo-m33"))) << trace();
  EXPECT_EQ(trace().substr(0, trace().find('\n')), banner("demo-m33"));  // the first line
  EXPECT_EQ(trace_da_, 0x81200000u + rsc_size_ + (8 - rsc_size_ % 8) % 8);
  ASSERT_TRUE(traced("watchdog: started, 1000 ms timeout")) << trace();  // after the banner
  EXPECT_TRUE(iwdg_.started());
  EXPECT_EQ(iwdg_.pr(), 1u);      // /8
  EXPECT_EQ(iwdg_.rlr(), 3999u);  // 1 s
  EXPECT_TRUE(eventually([&] { return iwdg_.refreshes() >= 2; }));
  EXPECT_TRUE(core_->running());
  EXPECT_TRUE(crashes().empty());
}

TEST_F(DemoFirmwareTest, WaitsForDriverOkThenAnnouncesAndEchoes) {
  SKIP_UNLESS_BUILT();
  ASSERT_NO_FATAL_FAILURE(boot(kMp25, {"demo-m33.elf"}, kMp25.boot));
  ASSERT_TRUE(traced(banner("demo-m33"))) << trace();
  setup_vrings();
  ipcc_->host_send(0);  // a kick before DRIVER_OK: the firmware acknowledges it, sends nothing
  auto f = ipcc_->wait([](const Ipcc::Flags& x) { return (x.occupied & 1) == 0; }, kTimeout);
  ASSERT_EQ(f.occupied & 1, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(used_idx(kMp25.vring0), 0u);
  EXPECT_EQ(ipcc_->flags().received, 0u);
  EXPECT_EQ(trace().find("vdev:"), std::string::npos) << trace();

  driver_ok();
  auto ns = received(0);
  ASSERT_TRUE(ns) << trace();
  EXPECT_EQ(ns->src, 0x400u);
  EXPECT_EQ(ns->dst, 0x35u);
  ASSERT_EQ(ns->payload.size(), 40u);
  EXPECT_STREQ(ns->payload.c_str(), "rpmsg-tty");
  uint32_t addr = 0, flags = 0;
  std::memcpy(&addr, ns->payload.data() + 32, 4);
  std::memcpy(&flags, ns->payload.data() + 36, 4);
  EXPECT_EQ(addr, 0x400u);
  EXPECT_EQ(flags, 0u);
  EXPECT_TRUE(traced("vdev: DRIVER_OK, vring0 @ 0x812f8000, vring1 @ 0x812f9000")) << trace();
  EXPECT_TRUE(traced("rpmsg: announced \"rpmsg-tty\" at 0x400")) << trace();

  // An echo, byte-exact, to the sender's address; the TX buffer comes back on vring1.
  std::string hello("hello\0demo\n", 11);
  send(0x401, hello);
  auto echo = received(1);
  ASSERT_TRUE(echo) << trace();
  EXPECT_EQ(echo->src, 0x400u);
  EXPECT_EQ(echo->dst, 0x401u);
  EXPECT_EQ(echo->payload, hello);
  EXPECT_TRUE(eventually([&] { return used_idx(kMp25.vring1) == 1; }));

  // The largest payload.
  std::string big(496, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  send(0x402, big);
  auto big_echo = received(2);
  ASSERT_TRUE(big_echo) << trace();
  EXPECT_EQ(big_echo->dst, 0x402u);
  EXPECT_EQ(big_echo->payload, big);

  send(0x401, "version\r\n");
  auto version = received(3);
  ASSERT_TRUE(version) << trace();
  EXPECT_EQ(version->payload, banner("demo-m33"));
  EXPECT_TRUE(crashes().empty());
}

TEST_F(DemoFirmwareTest, FaultCommandIsABadAccessInDemoFault) {
  SKIP_UNLESS_BUILT();
  ASSERT_NO_FATAL_FAILURE(boot(kMp25, {"demo-m33.elf"}, kMp25.boot));
  ASSERT_TRUE(traced(banner("demo-m33"))) << trace();
  setup_vrings();
  driver_ok();
  ASSERT_TRUE(received(0)) << trace();
  send(0x401, "fault\n");
  ASSERT_TRUE(eventually([&] { return !crashes().empty(); })) << trace();
  CrashReport r = crashes()[0];
  EXPECT_EQ(r.kind, CrashKind::kBadAccess) << r.text;
  EXPECT_EQ(r.address, 0x60000000u) << r.text;
  ASSERT_TRUE(symbols_.count("demo_fault"));
  Symbol f = symbols_["demo_fault"];
  EXPECT_GE(r.pc, f.value & ~1u) << r.text;
  EXPECT_LT(r.pc, (f.value & ~1u) + f.size) << r.text;
  EXPECT_NE(trace().find("command: fault\n"), std::string::npos) << trace();
}

TEST_F(DemoFirmwareTest, HangCommandLetsTheWatchdogExpire) {
  SKIP_UNLESS_BUILT();
  ASSERT_NO_FATAL_FAILURE(boot(kMp25, {"demo-m33.elf"}, kMp25.boot, /*core_watchdog=*/true));
  ASSERT_TRUE(traced(banner("demo-m33"))) << trace();
  setup_vrings();
  driver_ok();
  ASSERT_TRUE(received(0)) << trace();
  // Idle in WFI, virtual time follows the wall clock: longer than the 1 s timeout, refreshed.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(crashes().empty()) << crashes()[0].text;
  send(0x401, "hang");
  ASSERT_TRUE(eventually([&] { return !crashes().empty(); })) << trace();
  EXPECT_EQ(crashes()[0].kind, CrashKind::kWatchdog) << crashes()[0].text;
  EXPECT_NE(trace().find("command: hang\n"), std::string::npos) << trace();
}

TEST_F(DemoFirmwareTest, ShutdownRequestIsAcknowledged) {
  SKIP_UNLESS_BUILT();
  ASSERT_NO_FATAL_FAILURE(boot(kMp25, {"demo-m33.elf"}, kMp25.boot));
  ASSERT_TRUE(traced(banner("demo-m33"))) << trace();
  ipcc_->host_send(2);
  auto f = ipcc_->wait([](const Ipcc::Flags& x) { return (x.occupied & 4) == 0; }, kTimeout);
  EXPECT_EQ(f.occupied & 4, 0u);
  EXPECT_TRUE(traced("shutdown requested")) << trace();
  EXPECT_TRUE(core_->running());
  EXPECT_TRUE(crashes().empty());
}

TEST_F(DemoFirmwareTest, MultiImageBootsThroughTheTfmStandIn) {
  SKIP_UNLESS_BUILT();
  ASSERT_NO_FATAL_FAILURE(boot(kMp25, {"demo-tfm.elf", "demo-m33-ns.elf"}, 0x80000000));
  ASSERT_TRUE(traced(banner("demo-multi"))) << trace();
  EXPECT_TRUE(crashes().empty());
}

TEST_F(DemoFirmwareTest, WithoutTheNameServiceAcceptedNothingIsAnnounced) {
  SKIP_UNLESS_BUILT();
  ASSERT_NO_FATAL_FAILURE(boot(kMp25, {"demo-m33.elf"}, kMp25.boot));
  ASSERT_TRUE(traced(banner("demo-m33"))) << trace();
  setup_vrings();
  driver_ok(0);  // a host that negotiated no feature: OpenAMP sends no announcement either
  ASSERT_TRUE(traced("rpmsg: the host does not take name-service announcements")) << trace();
  EXPECT_EQ(used_idx(kMp25.vring0), 0u);
  send(0x401, "still echoes");
  auto echo = received(0);
  ASSERT_TRUE(echo) << trace();
  EXPECT_EQ(echo->payload, "still echoes");
}

TEST_F(DemoFirmwareTest, Mp21VariantUsesItsInterruptNumbers) {
  SKIP_UNLESS_BUILT();
  ASSERT_NO_FATAL_FAILURE(boot(kMp21, {"demo-m33-mp21.elf"}, kMp21.boot));
  ASSERT_TRUE(traced(banner("demo-m33-mp21"))) << trace();
  setup_vrings();
  driver_ok();
  ASSERT_TRUE(received(0)) << trace();  // the announcement: IPCC1_RX is NVIC input 152 there
  send(0x401, "mp21");
  auto echo = received(1);
  ASSERT_TRUE(echo) << trace();
  EXPECT_EQ(echo->payload, "mp21");
  EXPECT_TRUE(crashes().empty());
}

TEST_F(DemoFirmwareTest, M4BootsWithItsLayout) {
  SKIP_UNLESS_BUILT();
  ASSERT_NO_FATAL_FAILURE(boot(kMp15, {"demo-m4.elf"}, kMp15.boot));
  ASSERT_TRUE(traced(banner("demo-m4"))) << trace();
  ASSERT_TRUE(traced("watchdog: started, 1000 ms timeout")) << trace();  // after the banner
  EXPECT_TRUE(iwdg_.started());
  setup_vrings();
  driver_ok();
  auto ns = received(0);
  ASSERT_TRUE(ns) << trace();
  EXPECT_EQ(ns->dst, 0x35u);
  EXPECT_TRUE(traced("vdev: DRIVER_OK, vring0 @ 0x10040000, vring1 @ 0x10041000")) << trace();
  send(0x401, "ping");
  auto echo = received(1);
  ASSERT_TRUE(echo) << trace();
  EXPECT_EQ(echo->payload, "ping");
  ipcc_->host_send(2);
  auto f = ipcc_->wait([](const Ipcc::Flags& x) { return (x.occupied & 4) == 0; }, kTimeout);
  EXPECT_EQ(f.occupied & 4, 0u);
  EXPECT_TRUE(traced("shutdown requested")) << trace();
  EXPECT_TRUE(crashes().empty());
}

}  // namespace
}  // namespace rproctee::soc
