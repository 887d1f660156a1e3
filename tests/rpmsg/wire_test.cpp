// The rpmsg wire format: header bounds (len within 496 and within what the device wrote) and
// name-service messages (exact size, NUL-terminated non-empty name, flags 0 or 1).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "rpmsg/wire.hpp"

namespace rproctee::test {
namespace {

using rpmsg::NsAction;

std::vector<uint8_t> message(uint32_t src, uint32_t dst, uint16_t len, size_t written) {
  std::vector<uint8_t> b(written, 0xAB);
  std::vector<uint8_t> payload(written >= 16 ? written - 16 : 0, 0xCD);
  if (written >= 16) rpmsg::write_message(b, {src, dst, 0, len, 0}, payload);
  return b;
}

TEST(RpmsgWire, HeaderRoundTrip) {
  const auto b = message(0x400, 0x35, 24, 40);
  const auto h = rpmsg::parse_header(b);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->src, 0x400u);
  EXPECT_EQ(h->dst, 0x35u);
  EXPECT_EQ(h->len, 24u);
}

TEST(RpmsgWire, HeaderLengthsAreChecked) {
  EXPECT_FALSE(rpmsg::parse_header(std::vector<uint8_t>(15, 0)));
  EXPECT_TRUE(rpmsg::parse_header(message(1, 2, 496, 512)));
  EXPECT_FALSE(rpmsg::parse_header(message(1, 2, 497, 512)));  // over the payload limit
  EXPECT_FALSE(rpmsg::parse_header(message(1, 2, 25, 40)));    // more than was written
  EXPECT_FALSE(rpmsg::parse_header(message(1, 2, 0xFFFF, 512)));
}

TEST(RpmsgWire, NameServiceMessage) {
  const auto ok =
      rpmsg::parse_ns_message(rpmsg::encode_ns_message("rpmsg-tty", 7, NsAction::kDestroy));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->name, "rpmsg-tty");
  EXPECT_EQ(ok->addr, 7u);
  EXPECT_EQ(ok->action, NsAction::kDestroy);

  auto no_nul = rpmsg::encode_ns_message("x", 1, NsAction::kCreate);
  std::memset(no_nul.data(), 'A', 32);
  EXPECT_FALSE(rpmsg::parse_ns_message(no_nul));
  auto empty = rpmsg::encode_ns_message("", 1, NsAction::kCreate);
  EXPECT_FALSE(rpmsg::parse_ns_message(empty));
  auto flags = rpmsg::encode_ns_message("a", 1, NsAction::kCreate);
  flags[36] = 2;
  EXPECT_FALSE(rpmsg::parse_ns_message(flags));
  auto longer = rpmsg::encode_ns_message("a", 1, NsAction::kCreate);
  longer.push_back(0);
  EXPECT_FALSE(rpmsg::parse_ns_message(longer));
  longer.resize(39);
  EXPECT_FALSE(rpmsg::parse_ns_message(longer));
  // A 31-character name is the longest that fits with its NUL.
  const auto max =
      rpmsg::parse_ns_message(rpmsg::encode_ns_message(std::string(40, 'n'), 1, NsAction::kCreate));
  ASSERT_TRUE(max);
  EXPECT_EQ(max->name.size(), 31u);
}

}  // namespace
}  // namespace rproctee::test
