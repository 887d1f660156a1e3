// The peripheral map of a platform (dt/peripheral_map.hpp): CMSIS names from node names, the
// lookup of an address in either alias with its offset, the model and interrupts of a node,
// and clear errors for a map that cannot be right.
#include "dt/peripheral_map.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

Result<dt::PeripheralMap> parse_map(const std::string& body) {
  const std::string dts =
      "/dts-v1/;\n/ {\n#address-cells = <1>;\n#size-cells = <1>;\n" + body + "\n};\n";
  TempDir tmp;
  write_bytes(tmp / "map.dts", std::vector<uint8_t>(dts.begin(), dts.end()));
  const auto r = run_command(
      {"/usr/bin/dtc", "-q", "-I", "dts", "-O", "dtb", "-o", tmp / "map.dtb", tmp / "map.dts"});
  if (r.exit_code != 0) throw std::runtime_error("dtc failed: " + r.err);
  RPROCTEE_ASSIGN(auto tree, dt::DeviceTree::from_blob(read_bytes(tmp / "map.dtb"), "map.dts"));
  return dt::parse_peripheral_map(tree);
}

constexpr const char* kMap = R"(
  peripherals {
    compatible = "rproctee,peripheral-map";
    #address-cells = <1>;
    #size-cells = <1>;
    rproctee,secure-alias = <0x10000000>;
    uart4@40100000 {
      compatible = "st,stm32h7-uart";
      reg = <0x40100000 0x10000>;
      interrupts = <126>;
    };
    adc12_common@400e0300 { reg = <0x400e0300 0xd00>; };
    ipcc1@40490000 { compatible = "st,stm32mp1-ipcc"; reg = <0x40490000 0x10000>;
                     rproctee,channels = <16>; };
    rcc@44200000 { reg = <0x44200000 0x10000>; };
  };)";

TEST(PeripheralMap, NamesRangesModelsAndInterruptsFromTheNodes) {
  auto map = parse_map(kMap);
  ASSERT_TRUE(map) << (map ? "" : map.error().message);
  ASSERT_EQ(map->peripherals.size(), 4u);
  EXPECT_EQ(map->peripherals[0].name, "ADC12_COMMON");  // sorted by address
  const dt::Peripheral* uart = map->named("UART4");
  ASSERT_NE(uart, nullptr);
  EXPECT_EQ(uart->base, 0x40100000u);
  EXPECT_EQ(uart->size, 0x10000u);
  EXPECT_EQ(uart->compatible, "st,stm32h7-uart");
  EXPECT_EQ(uart->interrupts, (std::vector<uint32_t>{126}));
  EXPECT_EQ(map->named("IPCC1")->property("rproctee,channels", 6), 16u);
  EXPECT_EQ(map->named("RCC")->property("rproctee,channels", 6), 6u);
  EXPECT_FALSE(map->named("RCC")->modelled());
}

TEST(PeripheralMap, AnAddressIsFoundInEitherAliasWithItsOffset) {
  auto map = parse_map(kMap);
  ASSERT_TRUE(map) << map.error().message;
  auto hit = map->find(0x44201018);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->peripheral->name, "RCC");
  EXPECT_EQ(hit->offset, 0x1018u);
  EXPECT_FALSE(hit->secure_alias);
  auto secure = map->find(0x54201018);
  ASSERT_TRUE(secure);
  EXPECT_EQ(secure->peripheral->name, "RCC");
  EXPECT_TRUE(secure->secure_alias);
  EXPECT_EQ(secure->offset, 0x1018u);
  EXPECT_EQ(map->find(0x40100000 + 0xFFFF)->peripheral->name, "UART4");
  EXPECT_FALSE(map->find(0x40110000));  // past UART4, nothing there
  EXPECT_FALSE(map->find(0x60000000));
  EXPECT_FALSE(map->find(0x3FFFFFFF));
}

TEST(PeripheralMap, ATreeWithoutAMapHasAnEmptyOne) {
  auto map = parse_map("model = \"no map\";");
  ASSERT_TRUE(map) << map.error().message;
  EXPECT_TRUE(map->peripherals.empty());
  EXPECT_FALSE(map->find(0x44200000));
}

TEST(PeripheralMap, BadMapsAreRefusedWithThePlace) {
  const std::string head =
      "peripherals { compatible = \"rproctee,peripheral-map\"; #address-cells = <1>; "
      "#size-cells = <1>; ";
  struct Case {
    std::string body, message;
  };
  const Case cases[] = {
      {head + "a@1000 { reg = <0x1000 0x2000>; }; b@2000 { reg = <0x2000 0x1000>; }; };",
       "map.dts: peripheral map: A [0x1000, 0x3000) overlaps B at 0x2000"},
      {head + "a@1000 { reg = <0x1000 0x1000>; interrupts = <480>; }; };",
       "map.dts: /peripherals/a@1000: property \"interrupts\" names NVIC input 480; the core "
       "has 0..479"},
      {head + "a@1000 { reg = <0x1000 0>; }; };",
       "map.dts: /peripherals/a@1000: property \"reg\" must be one non-empty (address, size) "
       "pair inside the 32-bit address space"},
      {head + "a@1000 { reg = <0x1000 0x1000>; }; a@3000 { reg = <0x3000 0x1000>; }; };",
       "map.dts: /peripherals/a@3000: property \"reg\" names A a second time"},
      {head + "rproctee,secure-alias = <0x800>; a@1000 { reg = <0x1000 0x1000>; }; };",
       "map.dts: /peripherals: property \"rproctee,secure-alias\" 0x800 puts A's secure alias "
       "[0x1800, 0x2800) over A"},
  };
  for (const Case& c : cases) {
    auto map = parse_map(c.body);
    ASSERT_FALSE(map) << c.body;
    EXPECT_EQ(map.error().code, TeeCode::kBadFormat);
    EXPECT_EQ(map.error().message, c.message);
  }
}

}  // namespace
}  // namespace rproctee::test
