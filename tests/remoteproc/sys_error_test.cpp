// The normal world's errno-carrying error (remoteproc/sys_error.hpp): the kernel's -errno and a
// message that starts with the errno's name, through the project's Result and macros.
#include <gtest/gtest.h>

#include <cerrno>

#include "remoteproc/sys_error.hpp"

namespace rproctee::test {
namespace {

using remoteproc::sys_error;
using remoteproc::SysResult;
using remoteproc::SysStatus;

SysResult<int> half(int v) {
  if (v % 2) return sys_error(EINVAL, "{} is odd", v);
  return v / 2;
}

SysStatus quarter(int v, int& out) {
  RPROCTEE_ASSIGN(const int h, half(v));
  RPROCTEE_ASSIGN(out, half(h));
  return {};
}

TEST(RprocSysError, CarriesTheErrnoAndNamesIt) {
  const auto e = sys_error(ETIMEDOUT, "no TX buffer within {} ms", 15000);
  EXPECT_EQ(e.errnum, ETIMEDOUT);
  EXPECT_EQ(e.code(), -ETIMEDOUT);
  EXPECT_EQ(e.message, "ETIMEDOUT: no TX buffer within 15000 ms");
  EXPECT_EQ(remoteproc::errno_name(ENODEV), "ENODEV");
  EXPECT_EQ(remoteproc::errno_name(99999), "errno 99999");
}

TEST(RprocSysError, FlowsThroughResultAndItsMacros) {
  int out = 0;
  ASSERT_TRUE(quarter(12, out));
  EXPECT_EQ(out, 3);
  const SysStatus odd = quarter(6, out);  // 6 / 2 = 3 is odd
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code(), -EINVAL);
  EXPECT_EQ(odd.error().message, "EINVAL: 3 is odd");
}

}  // namespace
}  // namespace rproctee::test
