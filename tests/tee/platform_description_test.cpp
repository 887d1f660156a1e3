// Platform descriptions from device trees: the three presets in full (processors, ids,
// regions, secure regions, mailboxes, boot addresses, the M4's dma-ranges), the v16 and v22
// bindings, exported_to_normal_world, precise errors (node path + property) for mistakes in a
// user's .dts, garbage .dtb files, and the M4 preset loading a firmware at da 0 through the TA.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "dt/device_tree.hpp"
#include "dt/presets.hpp"
#include "image/elf32.hpp"
#include "platform/secure_config.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/rsc_builder.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using dt::ProcessorMode;
using platform::Description;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// --- Presets --------------------------------------------------------------------------------

struct RegionWant {
  std::string name;
  uint64_t pa = 0, size = 0;
  bool secure = false;
};

const dt::Processor& processor_named(const Description& d, const std::string& name) {
  for (const auto& p : d.layout.processors)
    if (p.name == name) return p;
  throw std::runtime_error("no processor " + name);
}

/// The processor's memory-region list, in order, with sizes, secure flags, and the firewall
/// policy that follows (a secure region is never exported to the normal world).
void expect_regions(const Description& d, const dt::Processor& p,
                    const std::vector<RegionWant>& want) {
  ASSERT_EQ(p.regions.size(), want.size()) << p.name;
  size_t secure = 0;
  // Only a TEE-controlled processor has secure settings (ELF ids are indices, not TEE ids).
  const platform::SecureProcessor* settings =
      p.mode == ProcessorMode::kTee ? d.secure.processor(p.id) : nullptr;
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& r = d.layout.regions[p.regions[i]];
    SCOPED_TRACE(p.name + " region " + want[i].name);
    EXPECT_EQ(r.name, want[i].name);
    EXPECT_EQ(r.pa, want[i].pa);
    EXPECT_EQ(r.size, want[i].size);
    EXPECT_EQ(settings && settings->is_secure(p.regions[i]), want[i].secure);
    EXPECT_EQ(platform::exported_to_normal_world(d, p.regions[i]), !want[i].secure);
    secure += want[i].secure;
  }
  EXPECT_EQ(settings ? settings->secure_regions.size() : 0, secure);
}

void expect_mailboxes(const dt::Processor& p, uint64_t controller) {
  ASSERT_EQ(p.mailboxes.size(), 4u);
  const char* names[] = {"vq0", "vq1", "shutdown", "detach"};
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p.mailboxes[i].name, names[i]);
    EXPECT_EQ(p.mailboxes[i].controller, controller);
    EXPECT_EQ(p.mailboxes[i].channel, i);
  }
}

const std::vector<RegionWant> kM33Regions = {
    {"cm33-tfm", 0x80000000, 0x100000, true},   {"cm33-firmware", 0x80100000, 0x800000, true},
    {"cm33-data", 0x80a00000, 0x800000, true},  {"ipc-shmem", 0x81200000, 0xf8000, false},
    {"vdev0vring0", 0x812f8000, 0x1000, false}, {"vdev0vring1", 0x812f9000, 0x1000, false},
    {"vdev0buffer", 0x812fa000, 0x6000, false}, {"retram", 0x0a080000, 0x20000, true}};

void expect_m33(const Description& d) {
  const auto& p = processor_named(d, "m33");
  EXPECT_EQ(p.compatible, "st,stm32mp2-m33");
  EXPECT_EQ(p.mode, ProcessorMode::kTee);  // v22: st,rproc-tee = <&optee 0>
  EXPECT_EQ(p.id, 0u);
  expect_regions(d, p, kM33Regions);
  expect_mailboxes(p, 0x40490000);
  EXPECT_EQ(p.boot_address, 0x80100000u);
  EXPECT_TRUE(p.dma_ranges.empty());
  EXPECT_EQ(*p.da_to_pa(0x80100000, 0x100), 0x80100000u);  // da == pa
  EXPECT_EQ(p.pa_to_da(0x81200000), 0x81200000u);
  EXPECT_FALSE(d.secure.processor(p.id)->anti_rollback);
  EXPECT_EQ(d.secure.processor(p.id)->rollback_tlv, 0x10003u);
  EXPECT_EQ(d.layout.processor(0), &p);
}

TEST(PlatformPresets, Stm32mp25) {
  auto d = platform::load_preset("stm32mp25");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->layout.model, "rproctee virtual STM32MP25 (Cortex-M33)");
  EXPECT_EQ(d->source(), "preset stm32mp25");
  ASSERT_EQ(d->layout.processors.size(), 1u);
  expect_m33(*d);
  EXPECT_EQ(d->layout.regions.size(), 8u);
  ASSERT_EQ(d->secure.keys.size(), 1u);
  EXPECT_EQ(d->secure.keys[0].name, "rproctee-dev");
  EXPECT_TRUE(d->secure.keys[0].development);
  EXPECT_FALSE(d->secure.aes_key);
  EXPECT_EQ(d->layout.processor(1), nullptr);
  // Alias.
  auto alias = platform::load_preset("stm32mp25-m33");
  ASSERT_TRUE(alias);
  EXPECT_EQ(alias->layout.model, d->layout.model);
}

// The STM32MP215F-DK layout of ST's m33-examples device trees, and ST's own mailbox cells
// (0x100: channel 0, notified in interrupt context).
TEST(PlatformPresets, Stm32mp21) {
  auto d = platform::load_preset("stm32mp21");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->layout.model, "rproctee virtual STM32MP215 (Cortex-M33)");
  ASSERT_EQ(d->layout.processors.size(), 1u);
  const auto& p = d->layout.processors[0];
  EXPECT_EQ(p.name, "m33");
  EXPECT_EQ(p.mode, ProcessorMode::kTee);
  expect_regions(*d, p,
                 {{"tfm-code", 0x80000000, 0x100000, true},
                  {"cm33-cube-fw", 0x80100000, 0x800000, true},
                  {"cm33-cube-data", 0x80a00000, 0x800000, true},
                  {"ipc-shmem-1", 0x81200000, 0xf8000, false},
                  {"vdev0vring0", 0x812f8000, 0x1000, false},
                  {"vdev0vring1", 0x812f9000, 0x1000, false},
                  {"vdev0buffer", 0x812fa000, 0x6000, false},
                  {"cm33-retram", 0x0a040000, 0x1f000, true},
                  {"cm33-sram1", 0x0a063000, 0xd000, false}});
  ASSERT_EQ(p.mailboxes.size(), 3u);
  const char* names[] = {"vq0", "vq1", "shutdown"};
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p.mailboxes[i].name, names[i]);
    EXPECT_EQ(p.mailboxes[i].controller, 0x40490000u);
    EXPECT_EQ(p.mailboxes[i].channel, i);
    EXPECT_EQ(p.mailboxes[i].controller_channels, 16u);
  }
  EXPECT_EQ(p.ipcc_irqs, (std::vector<uint32_t>{152, 153}));
  EXPECT_EQ(p.watchdog_base, 0x44040000u);  // IWDG4
  EXPECT_EQ(p.boot_address, 0x80100000u);
  // Its peripheral map: the MP21 has UART4 where the MP25 has it, but no HSEM and no IPCC2.
  const auto& map = d->layout.peripherals;
  EXPECT_EQ(map.secure_alias, 0x10000000u);
  ASSERT_NE(map.named("UART4"), nullptr);
  EXPECT_EQ(map.named("UART4")->base, 0x40100000u);
  EXPECT_EQ(map.named("UART4")->interrupts, (std::vector<uint32_t>{113}));
  EXPECT_EQ(map.named("EXTI2")->base, 0x442d0000u);
  EXPECT_EQ(map.named("HSEM"), nullptr);
  EXPECT_EQ(map.named("IPCC2"), nullptr);
  EXPECT_EQ(map.named("RCC")->compatible, "st,stm32mp21-rcc");
  auto alias = platform::load_preset("stm32mp21-m33");
  ASSERT_TRUE(alias);
}

TEST(PlatformPresets, EveryPresetHasThePeripheralMapOfItsSoc) {
  struct Want {
    const char* preset;
    size_t peripherals;
    const char* name;
    uint32_t base;
  };
  for (const Want& w :
       {Want{"stm32mp25", 170, "UART5", 0x40110000}, Want{"stm32mp21", 136, "UART4", 0x40100000},
        Want{"stm32mp15", 118, "IPCC", 0x4c001000},
        Want{"stm32mp25-dual", 170, "IPCC2", 0x46250000}}) {
    auto d = platform::load_preset(w.preset);
    ASSERT_TRUE(d) << d.error().message;
    const auto& map = d->layout.peripherals;
    EXPECT_EQ(map.peripherals.size(), w.peripherals) << w.preset;
    ASSERT_NE(map.named(w.name), nullptr) << w.preset;
    EXPECT_EQ(map.named(w.name)->base, w.base) << w.preset;
    for (size_t i = 1; i < map.peripherals.size(); ++i)
      EXPECT_LE(uint64_t{map.peripherals[i - 1].base} + map.peripherals[i - 1].size,
                map.peripherals[i].base)
          << w.preset << ": " << map.peripherals[i].name;
  }
}

TEST(PlatformPresets, Stm32mp15WithTheM4DmaRanges) {
  auto d = platform::load_preset("stm32mp15");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->layout.model, "rproctee virtual STM32MP15 (Cortex-M4)");
  ASSERT_EQ(d->layout.processors.size(), 1u);
  const auto& p = d->layout.processors[0];
  EXPECT_EQ(p.name, "m4");
  EXPECT_EQ(p.compatible, "st,stm32mp1-m4-tee");
  EXPECT_EQ(p.mode, ProcessorMode::kTee);  // v16: compatible + st,proc-id
  EXPECT_EQ(p.id, 0u);
  expect_regions(*d, p,
                 {{"retram", 0x38000000, 0x10000, true},
                  {"mcuram2", 0x10000000, 0x40000, true},
                  {"vdev0vring0", 0x10040000, 0x1000, false},
                  {"vdev0vring1", 0x10041000, 0x1000, false},
                  {"vdev0buffer", 0x10042000, 0x4000, false},
                  {"mcuram", 0x30000000, 0x40000, false}});
  expect_mailboxes(p, 0x4c001000);
  EXPECT_EQ(p.boot_address, 0u);
  ASSERT_EQ(p.dma_ranges.size(), 3u);
  EXPECT_EQ(p.dma_ranges[0].da, 0u);
  EXPECT_EQ(p.dma_ranges[0].pa, 0x38000000u);
  EXPECT_EQ(p.dma_ranges[0].size, 0x10000u);
  EXPECT_EQ(p.dma_ranges[1].da, 0x10000000u);
  EXPECT_EQ(p.dma_ranges[1].pa, 0x10000000u);
  EXPECT_EQ(p.dma_ranges[1].size, 0x60000u);
  EXPECT_EQ(p.dma_ranges[2].da, 0x30000000u);
  EXPECT_EQ(p.dma_ranges[2].size, 0x40000u);
  // RETRAM: da 0 is pa 0x38000000, both ways.
  EXPECT_EQ(*p.da_to_pa(0, 0x10000), 0x38000000u);
  EXPECT_EQ(*p.da_to_pa(0x1234, 4), 0x38001234u);
  EXPECT_EQ(p.pa_to_da(0x38000000), 0u);
  EXPECT_EQ(p.pa_to_da(0x3800fffc), 0xfffcu);
  EXPECT_EQ(*p.da_to_pa(0x10042000, 0x4000), 0x10042000u);
  EXPECT_EQ(p.pa_to_da(0x10000000), 0x10000000u);
  EXPECT_EQ(p.pa_to_da(0x30000010), 0x30000010u);
  // Outside every dma-range, or across the end of one.
  auto gap = p.da_to_pa(0x10000, 4);
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error().code, TeeCode::kAccessDenied);
  EXPECT_EQ(gap.error().message,
            "m4: device address range [0x10000, 0x10004) is not inside one dma-range");
  auto across = p.da_to_pa(0xfffc, 8);
  ASSERT_FALSE(across);
  EXPECT_EQ(across.error().message,
            "m4: device address range [0xfffc, 0x10004) is not inside one dma-range");
  EXPECT_FALSE(p.da_to_pa(0x1005f000, 0x2000));  // past the 0x60000 of the second range
  auto alias = platform::load_preset("stm32mp15-m4");
  ASSERT_TRUE(alias);
}

TEST(PlatformPresets, Stm32mp25Dual) {
  auto d = platform::load_preset("stm32mp25-dual");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->layout.model, "rproctee virtual STM32MP25 with two remote processors");
  ASSERT_EQ(d->layout.processors.size(), 2u);
  expect_m33(*d);
  const auto& p = processor_named(*d, "m33-1");
  EXPECT_EQ(p.compatible, "st,stm32mp2-m33-tee");
  EXPECT_EQ(p.mode, ProcessorMode::kTee);
  EXPECT_EQ(p.id, 1u);
  expect_regions(*d, p,
                 {{"m1-firmware", 0x82000000, 0x400000, true},
                  {"m1-data", 0x82400000, 0x400000, true},
                  {"m1-ipc-shmem", 0x82800000, 0xf8000, false},
                  {"vdev0vring0", 0x828f8000, 0x1000, false},
                  {"vdev0vring1", 0x828f9000, 0x1000, false},
                  {"vdev0buffer", 0x828fa000, 0x6000, false}});
  expect_mailboxes(p, 0x46250000);  // IPCC2
  EXPECT_EQ(p.boot_address, 0x82000000u);
  EXPECT_EQ(d->layout.processor(1), &p);
  EXPECT_EQ(d->layout.regions.size(), 14u);
  // Each processor's regions are its own.
  const auto& m33 = processor_named(*d, "m33");
  for (size_t r : p.regions) EXPECT_EQ(std::count(m33.regions.begin(), m33.regions.end(), r), 0);
}

TEST(PlatformPresets, UnknownPresetListsTheKnownOnes) {
  auto d = platform::load_preset("stm32mp13");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, TeeCode::kItemNotFound);
  EXPECT_EQ(d.error().message,
            "no platform preset named \"stm32mp13\" (presets: stm32mp25, stm32mp21, stm32mp15, "
            "stm32mp25-dual, stm32mp25-elf)");
}

// --- User device trees ----------------------------------------------------------------------

/// Compiles `dts` with dtc (extra files next to it, for /incbin/) and parses it; the source
/// is named "board.dts" in messages.
Result<Description> parse_dts(const std::string& dts,
                              const std::vector<std::pair<std::string, std::string>>& files = {}) {
  TempDir tmp;
  write_bytes(tmp / "board.dts", std::vector<uint8_t>(dts.begin(), dts.end()));
  for (const auto& [name, text] : files)
    write_bytes(tmp / name, std::vector<uint8_t>(text.begin(), text.end()));
  const auto r = run_command({"/usr/bin/dtc", "-q", "-I", "dts", "-O", "dtb", "-i",
                              tmp.path().string(), "-o", tmp / "board.dtb", tmp / "board.dts"});
  if (r.exit_code != 0) throw std::runtime_error("dtc failed: " + r.err);
  RPROCTEE_ASSIGN(auto tree, dt::DeviceTree::from_blob(read_bytes(tmp / "board.dtb"), "board.dts"));
  return platform::load_description(tree);
}

// Two TEE processors: "m33" with the v22 binding and "m1" with the v16 one.
const std::string kBoard = R"(/dts-v1/;
/ {
	model = "test board";
	#address-cells = <1>;
	#size-cells = <1>;

	reserved-memory {
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;
		fw: fw@80000000 {
			reg = <0x80000000 0x100000>;
		};
		ipc: ipc@80100000 {
			reg = <0x80100000 0x10000>;
		};
		m1fw: m1fw@81000000 {
			reg = <0x81000000 0x100000>;
		};
	};

	firmware {
		optee: optee {
			compatible = "linaro,optee-tz";
		};
	};

	mbox: mailbox@40000000 {
		reg = <0x40000000 0x400>;
		#mbox-cells = <1>;
	};

	m33 {
		compatible = "st,stm32mp2-m33";
		st,rproc-tee = <&optee 0>;
		memory-region = <&fw>, <&ipc>;
		mboxes = <&mbox 0>, <&mbox 1>;
		mbox-names = "vq0", "vq1";
	};

	m1 {
		compatible = "st,stm32mp2-m33-tee";
		st,proc-id = <1>;
		memory-region = <&m1fw>;
	};

	secure-world {
		compatible = "rproctee,secure-world";
		trusted-keys {
		};
		remoteproc-0 {
			rproc-id = <0>;
			secure-regions = <&fw>;
		};
		remoteproc-1 {
			rproc-id = <1>;
			secure-regions = <&m1fw>;
			anti-rollback;
			rollback-tlv = <0x10005>;
		};
	};
};
)";

/// kBoard with `from` replaced by `to` (which must be there: the mutation must apply).
std::string board_with(const std::string& from, const std::string& to,
                       const std::string& base = kBoard) {
  const auto at = base.find(from);
  if (at == std::string::npos) throw std::runtime_error("not in the board: " + from);
  std::string out = base;
  out.replace(at, from.size(), to);
  return out;
}

std::string key_node(const std::string& algorithm, const std::string& key_file) {
  return "\t\ttrusted-keys {\n\t\t\tk {\n\t\t\t\talgorithm = \"" + algorithm +
         "\";\n\t\t\t\tkey = /incbin/(\"" + key_file + "\");\n\t\t\t};\n\t\t};\n";
}

const std::string kNoKeys = "\t\ttrusted-keys {\n\t\t};\n";

std::string test_public_key(const std::string& name) {
  const auto bytes = read_bytes(vectors_dir() / "keys" / (name + ".pub.pem"));
  return std::string(bytes.begin(), bytes.end());
}

TEST(PlatformDescription, TheV22AndV16BindingsSideBySide) {
  auto d = parse_dts(kBoard);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->layout.model, "test board");
  EXPECT_EQ(d->source(), "board.dts");
  ASSERT_EQ(d->layout.processors.size(), 2u);
  const auto& m33 = processor_named(*d, "m33");  // v22: id from st,rproc-tee
  EXPECT_EQ(m33.mode, ProcessorMode::kTee);
  EXPECT_EQ(m33.id, 0u);
  EXPECT_EQ(m33.boot_address, 0x80000000u);  // no rproctee,boot-address: the first region
  ASSERT_EQ(m33.mailboxes.size(), 2u);
  EXPECT_EQ(m33.mailboxes[1].name, "vq1");
  EXPECT_EQ(m33.mailboxes[1].controller, 0x40000000u);
  EXPECT_EQ(m33.mailboxes[1].channel, 1u);
  EXPECT_FALSE(d->secure.processor(m33.id)->anti_rollback);
  const auto& m1 = processor_named(*d, "m1");  // v16: -tee compatible + st,proc-id
  EXPECT_EQ(m1.mode, ProcessorMode::kTee);
  EXPECT_EQ(m1.id, 1u);
  EXPECT_TRUE(d->secure.processor(m1.id)->anti_rollback);
  EXPECT_EQ(d->secure.processor(m1.id)->rollback_tlv, 0x10005u);
  expect_regions(*d, m33,
                 {{"fw", 0x80000000, 0x100000, true}, {"ipc", 0x80100000, 0x10000, false}});
  expect_regions(*d, m1, {{"m1fw", 0x81000000, 0x100000, true}});
  EXPECT_TRUE(d->secure.keys.empty());

  // A v22 id other than 0, and the M4's v16 compatible with its own id.
  auto ids = parse_dts(
      board_with("rproc-id = <0>;", "rproc-id = <7>;",
                 board_with("<&optee 0>", "<&optee 7>",
                            board_with("\"st,stm32mp2-m33-tee\"", "\"st,stm32mp1-m4-tee\""))));
  ASSERT_TRUE(ids) << ids.error().message;
  EXPECT_EQ(processor_named(*ids, "m33").id, 7u);
  EXPECT_EQ(processor_named(*ids, "m1").compatible, "st,stm32mp1-m4-tee");
  EXPECT_NE(ids->layout.processor(7), nullptr);
  EXPECT_EQ(ids->layout.processor(0), nullptr);
}

// The normal world gets the tree without its secure-world node: that node may not be the root
// (found by fuzz_device_tree: the normal world was left an empty tree) nor hold a processor.
TEST(PlatformDescription, TheSecureWorldNodeMayNotHoldWhatTheNormalWorldNeeds) {
  const std::string secure_node = kBoard.substr(kBoard.find("\tsecure-world {"));
  const std::string children =
      secure_node.substr(secure_node.find("\t\ttrusted-keys"),
                         secure_node.rfind("\t};") - secure_node.find("\t\ttrusted-keys"));
  auto root = parse_dts(board_with(
      secure_node, children + "};\n",
      board_with("\tmodel = \"test board\";",
                 "\tmodel = \"test board\";\n\tcompatible = \"rproctee,secure-world\";")));
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().code, TeeCode::kBadFormat);
  EXPECT_EQ(root.error().message,
            "board.dts: the root node is compatible with \"rproctee,secure-world\": the "
            "secure-world node must be a node of its own");

  const std::string m1 =
      kBoard.substr(kBoard.find("\tm1 {"), kBoard.find("\tsecure-world {") - kBoard.find("\tm1 {"));
  auto held = parse_dts(
      board_with("\t\ttrusted-keys {\n", m1 + "\t\ttrusted-keys {\n", board_with(m1, "")));
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code, TeeCode::kBadFormat);
  EXPECT_EQ(held.error().message,
            "board.dts: without its secure-world node the normal world sees 2 memory regions "
            "where the secure world sees 3 (the secure-world node must not hold them)");
}

TEST(PlatformDescription, ANodeWithoutTheTeeBindingIsAnElfProcessor) {
  // The plain compatible without st,rproc-tee: the normal world loads it (ELF mode), its
  // regions are exported even if they hold code, and it needs no secure-world entry.
  auto d = parse_dts(board_with("\t\tst,rproc-tee = <&optee 0>;\n", "",
                                board_with("\t\tremoteproc-0 {\n\t\t\trproc-id = <0>;\n\t\t\t"
                                           "secure-regions = <&fw>;\n\t\t};\n",
                                           "")));
  ASSERT_TRUE(d) << d.error().message;
  const auto& m33 = processor_named(*d, "m33");
  EXPECT_EQ(m33.mode, ProcessorMode::kElf);
  EXPECT_EQ(m33.id, 0u);  // its index
  expect_regions(*d, m33,
                 {{"fw", 0x80000000, 0x100000, false}, {"ipc", 0x80100000, 0x10000, false}});
  EXPECT_EQ(d->layout.processor(0), nullptr);  // no TEE processor 0
  EXPECT_NE(d->layout.processor(0, ProcessorMode::kElf), nullptr);
}

TEST(PlatformDescription, TrustedKeysOfBothAlgorithms) {
  const std::string keys =
      "\t\ttrusted-keys {\n\t\t\trsa {\n\t\t\t\talgorithm = \"rsa-pkcs1-sha256\";\n\t\t\t\tkey = "
      "/incbin/(\"rsa.pem\");\n\t\t\t};\n\t\t\tec {\n\t\t\t\talgorithm = "
      "\"ecdsa-p256-sha256\";\n\t\t\t\tkey = /incbin/(\"ec.pem\");\n\t\t\t};\n\t\t};\n";
  auto d = parse_dts(board_with(kNoKeys, keys), {{"rsa.pem", test_public_key("rsa3072")},
                                                 {"ec.pem", test_public_key("p256")}});
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->secure.keys.size(), 2u);
  EXPECT_EQ(d->secure.keys[0].name, "rsa");
  EXPECT_EQ(d->secure.keys[0].key.describe(), "RSA-3072");
  EXPECT_FALSE(d->secure.keys[0].development);
  EXPECT_EQ(d->secure.keys[1].name, "ec");
  EXPECT_EQ(d->secure.keys[1].key.describe(), "ECDSA P-256");
}

struct Mistake {
  std::string name;
  std::string from, to;
  std::string message;  // exact
};

void PrintTo(const Mistake& m, std::ostream* os) {
  *os << m.name;
}

class DtsMistake : public ::testing::TestWithParam<Mistake> {};

TEST_P(DtsMistake, IsRefusedWithTheNodePathAndProperty) {
  const Mistake& m = GetParam();
  auto d = parse_dts(board_with(m.from, m.to));
  ASSERT_FALSE(d) << "accepted";
  EXPECT_EQ(d.error().code, TeeCode::kBadFormat);
  EXPECT_EQ(d.error().message, m.message);
}

const std::string kSecureWorld0 =
    "\t\tremoteproc-0 {\n\t\t\trproc-id = <0>;\n\t\t\tsecure-regions = <&fw>;\n\t\t};\n";

INSTANTIATE_TEST_SUITE_P(
    Board, DtsMistake,
    ::testing::Values(
        Mistake{"MissingMemoryRegion", "\t\tmemory-region = <&fw>, <&ipc>;\n", "",
                "board.dts: /m33: property \"memory-region\" is missing"},
        Mistake{"DanglingPhandle", "memory-region = <&fw>, <&ipc>;",
                "memory-region = <&fw>, <0x99>;",
                "board.dts: /m33 memory-region refers to phandle 0x99, which no node has"},
        Mistake{"OverlappingRegions", "m1fw: m1fw@81000000 {\n\t\t\treg = <0x81000000 0x100000>;",
                "m1fw: m1fw@800f0000 {\n\t\t\treg = <0x800f0000 0x8000>;",
                "board.dts: /reserved-memory/m1fw@800f0000: property \"reg\" [0x800f0000, "
                "0x800f8000) overlaps /reserved-memory/fw@80000000 [0x80000000, 0x80100000)"},
        Mistake{"RegionWithTwoRanges", "reg = <0x80100000 0x10000>;",
                "reg = <0x80100000 0x8000 0x80108000 0x8000>;",
                "board.dts: /reserved-memory/ipc@80100000: property \"reg\" must be exactly one "
                "non-empty (address, size) pair"},
        Mistake{"DuplicateV16Id", "st,proc-id = <1>;", "st,proc-id = <0>;",
                "board.dts: /m1: property \"st,proc-id\" repeats processor id 0"},
        Mistake{"DuplicateV22Id",
                "\t\tcompatible = \"st,stm32mp2-m33-tee\";\n\t\tst,proc-id = <1>;",
                "\t\tcompatible = \"st,stm32mp2-m33\";\n\t\tst,rproc-tee = <&optee 0>;",
                "board.dts: /m1: property \"st,rproc-tee\" repeats processor id 0"},
        Mistake{"V16WithoutProcId", "\t\tst,proc-id = <1>;\n", "",
                "board.dts: /m1: property \"st,proc-id\" is missing"},
        Mistake{"RprocTeeNotOptee", "st,rproc-tee = <&optee 0>;", "st,rproc-tee = <&mbox 0>;",
                "board.dts: /m33: property \"st,rproc-tee\" points at /mailbox@40000000, which "
                "is not a \"linaro,optee-tz\" node"},
        Mistake{"RprocTeeOneCell", "st,rproc-tee = <&optee 0>;", "st,rproc-tee = <&optee>;",
                "board.dts: /m33: property \"st,rproc-tee\" has 1 cells, expected <&tee id>"},
        Mistake{"SecureRegionOfAnotherProcessor", "secure-regions = <&fw>;",
                "secure-regions = <&fw &m1fw>;",
                "board.dts: /secure-world/remoteproc-0: property \"secure-regions\" lists "
                "/reserved-memory/m1fw@81000000, which is not a memory-region of m33"},
        Mistake{"SecureRegionNotARegion", "secure-regions = <&fw>;", "secure-regions = <&mbox>;",
                "board.dts: /secure-world/remoteproc-0: property \"secure-regions\" lists "
                "/mailbox@40000000, which is not a memory-region of m33"},
        Mistake{"TeeProcessorWithoutSecureWorldEntry", kSecureWorld0, "",
                "board.dts: /m33: processor m33 (id 0) is TEE-controlled but the secure-world "
                "node has no entry with rproc-id = <0> (its firewall is unknown)"},
        Mistake{"SecureWorldEntryForNoProcessor", "rproc-id = <0>;", "rproc-id = <9>;",
                "board.dts: /secure-world/remoteproc-0: property \"rproc-id\" is 9, but no "
                "TEE-controlled processor has that id"},
        Mistake{"BadRollbackTlv", "rollback-tlv = <0x10005>;", "rollback-tlv = <0x5>;",
                "board.dts: /secure-world/remoteproc-1: property \"rollback-tlv\" is 0x5, not a "
                "platform TLV (0x10000..0x1ffff)"},
        Mistake{"RollbackTlvTwoCells", "rollback-tlv = <0x10005>;", "rollback-tlv = <0x10005 0>;",
                "board.dts: /secure-world/remoteproc-1: property \"rollback-tlv\" has 2 cells, "
                "expected 1"},
        Mistake{"MboxesHalfAPair", "mboxes = <&mbox 0>, <&mbox 1>;", "mboxes = <&mbox 0>, <&mbox>;",
                "board.dts: /m33: property \"mboxes\" ends in the middle of a <&mailbox channel> "
                "pair"},
        Mistake{"MboxChannelOutOfRange", "mboxes = <&mbox 0>, <&mbox 1>;",
                "mboxes = <&mbox 0>, <&mbox 6>;",
                "board.dts: /m33: property \"mboxes\" channel 6 of mailbox 1 does not exist (the "
                "IPCC has 0..5)"},
        Mistake{"BadKeyAlgorithm", kNoKeys,
                "\t\ttrusted-keys {\n\t\t\tk {\n\t\t\t\talgorithm = \"rsa-pss-sha256\";\n\t\t\t\t"
                "key = \"x\";\n\t\t\t};\n\t\t};\n",
                "board.dts: /secure-world/trusted-keys/k: property \"algorithm\" is "
                "\"rsa-pss-sha256\": expected \"rsa-pkcs1-sha256\" or \"ecdsa-p256-sha256\""},
        Mistake{"KeyMissing", kNoKeys,
                "\t\ttrusted-keys {\n\t\t\tk {\n\t\t\t\talgorithm = "
                "\"rsa-pkcs1-sha256\";\n\t\t\t};\n\t\t};\n",
                "board.dts: /secure-world/trusted-keys/k: property \"key\" is missing (PEM or "
                "DER public key bytes)"}),
    [](const auto& param) { return param.param.name; });

TEST(PlatformDescription, KeyOfTheWrongAlgorithm) {
  auto d = parse_dts(board_with(kNoKeys, key_node("ecdsa-p256-sha256", "k.pem")),
                     {{"k.pem", test_public_key("rsa2048")}});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, TeeCode::kBadFormat);
  EXPECT_EQ(d.error().message,
            "board.dts: /secure-world/trusted-keys/k: property \"algorithm\" says "
            "ecdsa-p256-sha256 but the key is RSA-2048");
  d = parse_dts(board_with(kNoKeys, key_node("rsa-pkcs1-sha256", "k.pem")),
                {{"k.pem", test_public_key("p256")}});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message,
            "board.dts: /secure-world/trusted-keys/k: property \"algorithm\" says "
            "rsa-pkcs1-sha256 but the key is ECDSA P-256");
}

TEST(PlatformDescription, Rsa1024KeyIsRefused) {
  TempDir tmp;
  const auto gen = run_command({"/usr/bin/openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                                "rsa_keygen_bits:1024", "-out", tmp / "k1024.pem"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const auto pub = run_command(
      {"/usr/bin/openssl", "pkey", "-in", tmp / "k1024.pem", "-pubout", "-out", tmp / "p.pem"});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  const auto bytes = read_bytes(tmp / "p.pem");
  auto d = parse_dts(board_with(kNoKeys, key_node("rsa-pkcs1-sha256", "k.pem")),
                     {{"k.pem", std::string(bytes.begin(), bytes.end())}});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, TeeCode::kBadFormat);
  EXPECT_EQ(d.error().message,
            "board.dts: /secure-world/trusted-keys/k: property \"key\" is unusable: RSA key is "
            "1024 bits; at least 2048 are required");
}

TEST(PlatformDescription, KeyBytesThatAreNoKey) {
  auto d =
      parse_dts(board_with(kNoKeys, key_node("rsa-pkcs1-sha256", "k.pem")),
                {{"k.pem", "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n"}});
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message, StartsWith("/secure-world/trusted-keys/k key"));
}

TEST(PlatformDescription, NoRemoteProcessorAtAll) {
  std::string dts = board_with(
      "\tm1 {\n\t\tcompatible = \"st,stm32mp2-m33-tee\";\n\t\tst,proc-id = <1>;\n\t\t"
      "memory-region = <&m1fw>;\n\t};\n",
      "");
  dts = board_with("\t\tcompatible = \"st,stm32mp2-m33\";\n", "", dts);
  auto d = parse_dts(dts);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message,
            "board.dts: no remote-processor node (compatible \"st,stm32mp2-m33\", "
            "\"st,stm32mp1-m4\", their -tee forms, or \"rproctee,remoteproc\")");
}

uint32_t get_u32_be(std::span<const uint8_t> b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}
void put_u32_be(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  put_u32(b, at, __builtin_bswap32(v));  // (image_crafting's little-endian store)
}

/// The offset (in the blob) of the first FDT_PROP tag of a blob dtc made (the root's first
/// property follows the root's empty name: tag, "\0" padded to 4).
size_t first_property(std::span<const uint8_t> dtb) {
  const size_t off_struct = get_u32_be(dtb, 8);
  EXPECT_EQ(get_u32_be(dtb, off_struct), 1u);      // FDT_BEGIN_NODE
  EXPECT_EQ(get_u32_be(dtb, off_struct + 8), 3u);  // FDT_PROP
  return off_struct + 8;
}

// Found by fuzz_device_tree: libfdt 1.6.1 steps from a property to the next tag by its length
// unchecked (0xfffffff4 brings it back to the same property: fdt_check_full never returned), and
// trusts the memory reservation map to end before the structure block.
TEST(PlatformDescription, BlobsLibfdtWouldMishandleAreRefusedBeforeItSeesThem) {
  const auto& preset = dt::presets()[0];
  std::vector<uint8_t> blob(preset.dtb.begin(), preset.dtb.end());
  const size_t prop = first_property(blob);
  put_u32_be(blob, prop + 4, 0xfffffff4);
  auto tree = dt::DeviceTree::from_blob(blob, "loop.dtb");
  ASSERT_FALSE(tree);
  EXPECT_EQ(tree.error().code, TeeCode::kBadFormat);
  EXPECT_EQ(tree.error().message,
            fmt::format("loop.dtb: structure block offset 0x8: a property of 4294967284 bytes "
                        "runs past the block's end ({} bytes)",
                        get_u32_be(blob, 36)));

  std::vector<uint8_t> bad_name(preset.dtb.begin(), preset.dtb.end());
  put_u32_be(bad_name, prop + 8, get_u32_be(bad_name, 32));  // nameoff = size_dt_strings
  auto named = dt::DeviceTree::from_blob(bad_name, "name.dtb");
  ASSERT_FALSE(named);
  EXPECT_THAT(named.error().message, HasSubstr("a property name at"));

  std::vector<uint8_t> bad_tag(preset.dtb.begin(), preset.dtb.end());
  put_u32_be(bad_tag, prop, 7);
  auto tagged = dt::DeviceTree::from_blob(bad_tag, "tag.dtb");
  ASSERT_FALSE(tagged);
  EXPECT_EQ(tagged.error().message, "tag.dtb: structure block offset 0x8: unknown tag 0x7");

  // The reservation map's terminator made an entry: the map runs into the structure block, and
  // fdt_pack (removing the secure node) wrote past the end of the buffer.
  std::vector<uint8_t> long_map(preset.dtb.begin(), preset.dtb.end());
  ASSERT_EQ(get_u32_be(long_map, 16), 40u);  // off_mem_rsvmap: right after the header
  put_u32_be(long_map, 40 + 12, 1);
  auto mapped = dt::DeviceTree::from_blob(long_map, "map.dtb");
  ASSERT_FALSE(mapped);
  EXPECT_EQ(mapped.error().message,
            fmt::format("map.dtb: the memory reservation map at 0x28 runs into the structure "
                        "block at {:#x} (no terminating entry)",
                        get_u32_be(long_map, 8)));

  std::vector<uint8_t> reordered(preset.dtb.begin(), preset.dtb.end());
  put_u32_be(reordered, 12, get_u32_be(reordered, 8));  // strings where the structure is
  auto misordered = dt::DeviceTree::from_blob(reordered, "order.dtb");
  ASSERT_FALSE(misordered);
  EXPECT_THAT(misordered.error().message, HasSubstr("blocks out of dtc's order or overlapping"));

  std::vector<uint8_t> old(preset.dtb.begin(), preset.dtb.end());
  put_u32_be(old, 20, 16);  // version
  auto v16 = dt::DeviceTree::from_blob(old, "old.dtb");
  ASSERT_FALSE(v16);
  EXPECT_EQ(v16.error().message, "old.dtb: device tree blob version 16 (17 or later needed)");
}

TEST(PlatformDescription, GarbageDtb) {
  auto tiny = dt::DeviceTree::from_blob(std::vector<uint8_t>(10, 0xAB), "garbage.dtb");
  ASSERT_FALSE(tiny);
  EXPECT_EQ(tiny.error().code, TeeCode::kBadFormat);
  EXPECT_EQ(tiny.error().message, "garbage.dtb: 10 bytes is too small for a device tree blob");
  auto noise = dt::DeviceTree::from_blob(std::vector<uint8_t>(4096, 0xAB), "garbage.dtb");
  ASSERT_FALSE(noise);
  EXPECT_EQ(noise.error().message, "garbage.dtb: not a device tree blob (magic 0xabababab)");
  // A real blob cut in half.
  const auto& preset = dt::presets()[0];
  const auto first_half = preset.dtb.first(preset.dtb.size() / 2);
  std::vector<uint8_t> half(first_half.begin(), first_half.end());
  auto cut = dt::DeviceTree::from_blob(half, "half.dtb");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().message, fmt::format("half.dtb: totalsize says {} bytes, the file has {}",
                                             preset.dtb.size(), half.size()));
  // Through the file loader: the message names the file.
  TempDir tmp;
  write_bytes(tmp / "garbage.dtb", std::vector<uint8_t>(4096, 0xAB));
  auto file = platform::load_device_tree_file(tmp / "garbage.dtb");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().message,
            tmp / "garbage.dtb" + ": not a device tree blob (magic 0xabababab)");
  auto missing = platform::load_device_tree_file(tmp / "none.dtb");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, TeeCode::kItemNotFound);
}

TEST(PlatformDescription, DtsFilesGoThroughTheCPreprocessorAndDtc) {
  TempDir tmp;
  // A define, as board files use them.
  const std::string dts =
      board_with("/dts-v1/;\n", "/dts-v1/;\n#define FW_BASE 0x80000000\n",
                 board_with("reg = <0x80000000 0x100000>;", "reg = <FW_BASE 0x100000>;"));
  write_bytes(tmp / "board.dts", std::vector<uint8_t>(dts.begin(), dts.end()));
  auto d = platform::load_device_tree_file(tmp / "board.dts");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->layout.regions[processor_named(*d, "m33").regions[0]].pa, 0x80000000u);
  // A mistake is reported with the file's path.
  const std::string wrong = board_with("\t\tmemory-region = <&fw>, <&ipc>;\n", "");
  write_bytes(tmp / "wrong.dts", std::vector<uint8_t>(wrong.begin(), wrong.end()));
  auto w = platform::load_device_tree_file(tmp / "wrong.dts");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message, tmp / "wrong.dts" + ": /m33: property \"memory-region\" is missing");
  // A syntax error is dtc's to explain.
  write_bytes(tmp / "syntax.dts", {'/', 'd', 't', 's', '-', 'v', '1', '/', ';', '\n', '{'});
  auto s = platform::load_device_tree_file(tmp / "syntax.dts");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, StartsWith(tmp / "syntax.dts" + ": dtc failed: "));
}

// --- The M4 preset through the TA: RETRAM at da 0 ---------------------------------------------

/// An M4 firmware: vector table + code at da 0 (RETRAM, pa 0x38000000), data at 0x10000000
/// (MCU SRAM2, da == pa), the resource table at da 0x1000 (RETRAM again).
struct M4Firmware {
  std::vector<uint8_t> code, data, table, elf;
};

M4Firmware make_m4_firmware() {
  M4Firmware fw;
  fw.code.resize(2048);
  for (size_t i = 0; i < fw.code.size(); ++i) fw.code[i] = static_cast<uint8_t>(i * 5 + 3);
  const uint32_t pc = 0x41;
  put_vector_table(fw.code, 0x10040000, pc);
  fw.data.assign(0x200, 0x6B);
  RscTableBuilder rsc;
  rsc.add_vdev(7, 0, 1, {{0xFFFFFFFF, 16, 16, 0}, {0xFFFFFFFF, 16, 16, 1}}, 0);
  fw.table = rsc.build();
  ElfBuilder b;
  b.entry(pc);
  const size_t text = b.add_segment({.paddr = 0x0, .data = fw.code, .flags = 5});
  b.add_section({.name = ".isr_vector", .segment = text, .offset = 0, .size = 0x40});
  b.add_segment({.paddr = 0x10000000, .data = fw.data, .memsz = 0x1000, .flags = 6});
  b.add_resource_table(0x1000, fw.table);
  fw.elf = b.build();
  return fw;
}

class M4Preset : public ::testing::TestWithParam<TransportKind> {};

/// The stm32mp15 preset's source with `coredump = "full"`: a dump that lists the firewalled
/// RETRAM too, to see its device address.
std::string m4_full_coredump_dts() {
  const auto bytes = read_bytes(vectors_dir().parent_path().parent_path().parent_path() /
                                "platforms" / "stm32mp15-m4.dts");
  std::string dts(bytes.begin(), bytes.end());
  const std::string anchor = "rollback-tlv = <0x10003>;";
  dts.insert(dts.find(anchor) + anchor.size(), "\n\t\t\tcoredump = \"full\";");
  return dts;
}

TEST_P(M4Preset, LoadsAtDeviceAddressZeroThroughTheTa) {
  MachineConfig config;
  config.dts = m4_full_coredump_dts();
  MachineUnderTest m(GetParam(), config);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  const M4Firmware fw = make_m4_firmware();
  const auto image = sign_elfs({fw.elf}, test_key("rsa2048"));
  ASSERT_EQ(c.load(image), TEEC_SUCCESS) << c.last_error();
  // da 0 lands at pa 0x38000000; da 0x10000000 at pa 0x10000000 (with its .bss zeros).
  EXPECT_EQ(m.read(0x38000000, fw.code.size()), fw.code);
  EXPECT_EQ(m.read(0x10000000, fw.data.size()), fw.data);
  EXPECT_EQ(m.read(0x10000000 + fw.data.size(), 0x1000 - fw.data.size()),
            std::vector<uint8_t>(0x1000 - fw.data.size(), 0));
  EXPECT_EQ(m.read(0x38001000, fw.table.size()), fw.table);
  // The table's address is physical (what Linux maps), translated from da 0x1000.
  uint64_t address = 0, size = 0;
  ASSERT_EQ(c.rsc_table(address, size), TEEC_SUCCESS);
  EXPECT_EQ(address, 0x38001000u);
  EXPECT_EQ(size, fw.table.size());
  // The core dump ("full" policy) lists RETRAM at its device address 0.
  std::vector<uint8_t> core;
  ASSERT_EQ(c.coredump(core), TEEC_SUCCESS);
  auto view = image::Elf32View::parse(core, "core");
  ASSERT_TRUE(view) << view.error().message;
  ASSERT_GE(view->phdrs().size(), 2u);
  EXPECT_EQ(view->phdrs()[1].paddr, 0u);
  EXPECT_EQ(view->phdrs()[1].filesz, 0x10000u);
  const auto retram = *view->segment_bytes(view->phdrs()[1]);
  EXPECT_TRUE(std::equal(fw.code.begin(), fw.code.end(), retram.begin()));
  // START boots from da 0 (the processor's boot address; the image has no BOOTADDR).
  ASSERT_EQ(c.start(), TEEC_SUCCESS);
  auto* held = dynamic_cast<soc::HeldCore*>(&m.machine().soc().core(0));
  ASSERT_NE(held, nullptr);
  EXPECT_TRUE(held->running());
  EXPECT_EQ(held->boot_address(), 0u);
  ASSERT_EQ(c.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m.memories_zero(0));
}

TEST_P(M4Preset, ASegmentOutsideTheDmaRangesIsRefused) {
  MachineConfig config;
  config.preset = "stm32mp15";
  MachineUnderTest m(GetParam(), config);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  M4Firmware fw = make_m4_firmware();
  ElfBuilder b;
  b.add_segment({.paddr = 0x0, .data = fw.code, .flags = 5});
  b.add_segment({.paddr = 0x10000, .data = fw.data, .flags = 6});  // just past RETRAM's 64 KiB
  const auto image = sign_elfs({b.build()}, test_key("rsa2048"));
  EXPECT_EQ(c.load(image), TEEC_ERROR_ACCESS_DENIED);
  EXPECT_THAT(c.last_error(),
              HasSubstr("segment 1 [0x10000, 0x10200) is not inside one memory region"));
  EXPECT_TRUE(m.memories_zero(0));
}

INSTANTIATE_TEST_SUITE_P(Transports, M4Preset,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         [](const auto& param) { return transport_name(param.param); });

}  // namespace
}  // namespace rproctee::test

namespace rproctee::test {
namespace {

// --- Range arithmetic that must not wrap (issue 15, item 7) ---------------------------------

/// kBoard with 2-cell addresses and sizes in reserved-memory, and `regions` as its regions.
std::string board_with_64bit_regions(const std::string& regions) {
  std::string dts =
      board_with("\treserved-memory {\n\t\t#address-cells = <1>;\n\t\t#size-cells = <1>;",
                 "\treserved-memory {\n\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;");
  dts = board_with("reg = <0x80000000 0x100000>;", "reg = <0 0x80000000 0 0x100000>;", dts);
  dts = board_with("reg = <0x80100000 0x10000>;", "reg = <0 0x80100000 0 0x10000>;", dts);
  return board_with("reg = <0x81000000 0x100000>;", regions, dts);
}

TEST(PlatformRanges, ARegionThatWrapsAroundTheAddressSpaceIsRefused) {
  // [0xffffffff_fffff000, +0x2000) ends at 0x1000: it "overlapped" nothing when the end wrapped.
  auto d = parse_dts(board_with_64bit_regions("reg = <0xffffffff 0xfffff000 0 0x2000>;"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, TeeCode::kBadFormat);
  EXPECT_THAT(d.error().message,
              HasSubstr("/reserved-memory/m1fw@81000000: property \"reg\" "
                        "[0xfffffffffffff000, +0x2000) wraps around the address space"));
}

TEST(PlatformRanges, ARegionJustBelowTheTopIsAccepted) {
  // Its end (exclusive) must be a 64-bit address: the last page, ending at 2^64, is refused.
  auto d = parse_dts(board_with_64bit_regions("reg = <0xffffffff 0xffffe000 0 0x1000>;"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->layout.regions.back().pa, 0xffffffffffffe000u);
  EXPECT_FALSE(parse_dts(board_with_64bit_regions("reg = <0xffffffff 0xfffff000 0 0x1000>;")));
}

TEST(PlatformRanges, ADmaRangeThatWrapsIsRefused) {
  auto d = parse_dts(board_with("\t\tst,proc-id = <1>;\n",
                                "\t\tst,proc-id = <1>;\n\t\t#address-cells = <2>;\n"
                                "\t\t#size-cells = <1>;\n"
                                "\t\tdma-ranges = <0xffffffff 0xfffff000 0x81000000 0x2000>;\n"));
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message,
              HasSubstr("property \"dma-ranges\" entry 0 (da 0xfffffffffffff000, pa 0x81000000, "
                        "size 0x2000) is empty or wraps"));
}

}  // namespace
}  // namespace rproctee::test
