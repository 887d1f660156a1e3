// The kernel's own parsing and naming that the sysfs/debugfs files reproduce, pinned one by
// one: kstrtouint_from_user(base 0) of debugfs `crash` (lib/kstrtox.c) and the platform-device
// names of_device_make_bus_id() gives a device-tree node (drivers/of/platform.c), which place
// /sys/class/remoteproc/remoteprocN in the devices/ tree.
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>

#include "dt/platform_device.hpp"
#include "dt/presets.hpp"
#include "remoteproc/debugfs.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

struct Parse {
  const char* text;
  int err;
  uint32_t value;
};

TEST(KernelKstrtouint, Base0AsTheKernelParsesIt) {
  const Parse cases[] = {
      {"0", 0, 0},
      {"1", 0, 1},
      {"1\n", 0, 1},
      {"+7", 0, 7},
      {"0x1", 0, 1},
      {"0X1f\n", 0, 31},
      {"010", 0, 8},  // octal
      {"0", 0, 0},
      {"4294967295", 0, 4294967295u},
      {"0xffffffff", 0, 4294967295u},
      {"4294967296", -ERANGE, 0},
      {"0x100000000", -ERANGE, 0},
      {"99999999999999999999999", -ERANGE, 0},  // u64 overflow first
      {"", -EINVAL, 0},
      {"\n", -EINVAL, 0},
      {"-1", -EINVAL, 0},
      {" 1", -EINVAL, 0},
      {"1 ", -EINVAL, 0},
      {"1\n\n", -EINVAL, 0},
      {"08", -EINVAL, 0},  // 8 is no octal digit
      {"0x", -EINVAL, 0},  // "0x" without a hex digit: octal 0, then "x"
      {"0xg", -EINVAL, 0},
      {"watchdog", -EINVAL, 0},
  };
  for (const Parse& c : cases) {
    uint32_t v = 12345;
    EXPECT_EQ(remoteproc::kstrtouint_base0(c.text, v), c.err) << '"' << c.text << '"';
    if (c.err == 0) {
      EXPECT_EQ(v, c.value) << c.text;
    }
  }
  uint32_t v = 0;
  // A NUL ends the kernel's copy; only 34 bytes are looked at.
  EXPECT_EQ(remoteproc::kstrtouint_base0(std::string_view("5\0junk", 6), v), 0);
  EXPECT_EQ(v, 5u);
  EXPECT_EQ(remoteproc::kstrtouint_base0(std::string(33, '0') + "1", v), 0);
  EXPECT_EQ(v, 1u);
  EXPECT_EQ(remoteproc::kstrtouint_base0(std::string(34, '0') + "x", v), 0);  // "x" cut off
  EXPECT_EQ(remoteproc::kstrtouint_base0("1" + std::string(40, ' '), v), -EINVAL);
}

dt::DeviceTree tree_of(const std::string& body) {
  TempDir dir;
  const std::string path = dir / "t.dts";
  std::ofstream(path) << "/dts-v1/;\n/ {\n#address-cells = <1>;\n#size-cells = <1>;\n"
                      << body << "};\n";
  auto t = dt::load_device_tree_file(path);
  EXPECT_TRUE(static_cast<bool>(t)) << (t ? "" : t.error().message);
  return std::move(*t);
}

std::string dir_of(const dt::DeviceTree& t, const std::string& path) {
  const auto node = t.node(path);
  EXPECT_TRUE(node.has_value()) << path;
  return node ? dt::platform_device_dir(t, *node) : "";
}

TEST(KernelPlatformDevice, NamesAsOfDeviceMakeBusId) {
  const auto t = tree_of(R"(
    m33 { compatible = "st,stm32mp2-m33"; };
    m4@10000000 { reg = <0x10000000 0x40000>; };
    soc {
      compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges;
      m4@10000000 { reg = <0x10000000 0x40000>; };
      m0 { };
    };
    ahb@1 {
      compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>;
      ranges = <0x0 0xa000000 0x100000>;
      m0@2000 { reg = <0x2000 0x100>; };
    };
    bus { #address-cells = <1>; #size-cells = <1>; m33@0 { reg = <0 0x100>; }; };
  )");
  EXPECT_EQ(dir_of(t, "/m33"), "platform/m33");
  EXPECT_EQ(dir_of(t, "/m4@10000000"), "platform/10000000.m4");
  EXPECT_EQ(dir_of(t, "/soc/m4@10000000"), "platform/soc/10000000.m4");
  EXPECT_EQ(dir_of(t, "/soc/m0"), "platform/soc/soc:m0");               // no reg: the parent's name
  EXPECT_EQ(dir_of(t, "/ahb@1/m0@2000"), "platform/ahb@1/a002000.m0");  // through ranges
  EXPECT_EQ(dir_of(t, "/bus/m33@0"), "platform/bus/bus:m33@0");         // no ranges: untranslatable
}

}  // namespace
}  // namespace rproctee::test
