// End to end through the TEE Client API: LOAD, GET_RSC_TABLE, START, STOP on the STM32MP25
// preset, over both transports.
#include <gtest/gtest.h>

#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

class TaSmoke : public ::testing::TestWithParam<TransportKind> {};

TEST_P(TaSmoke, LoadStartStop) {
  MachineUnderTest m(GetParam());
  RprocClient c(m.tee_name());
  ASSERT_TRUE(c.initialized());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  const auto image = sign_elfs({make_firmware(8192, demo_resource_table())}, test_key("rsa2048"));
  uint32_t origin = 0;
  ASSERT_EQ(c.load(image, &origin), TEEC_SUCCESS) << c.last_error();
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_TRUE(memory_holds_exactly(m, image));
  uint64_t addr = 0, size = 0;
  ASSERT_EQ(c.rsc_table(addr, size), TEEC_SUCCESS);
  EXPECT_EQ(addr, 0x81200000u);
  EXPECT_EQ(size, demo_resource_table().size());
  ASSERT_EQ(c.start(), TEEC_SUCCESS);
  ASSERT_EQ(c.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m.memories_zero());
}

INSTANTIATE_TEST_SUITE_P(Transports, TaSmoke,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         [](const auto& p) { return transport_name(p.param); });

}  // namespace
}  // namespace rproctee::test
