#include "cli/signer_args.hpp"

#include <gtest/gtest.h>

#include "cli/command.hpp"
#include "image/format.hpp"

namespace rproctee::cli {
namespace {

TEST(PythonInt, Base0LikePython) {
  const std::pair<const char*, int64_t> ok[] = {{"0x10001", 0x10001},
                                                {"65537", 65537},
                                                {"0X1ffff", 0x1ffff},
                                                {"0x1_0001", 0x10001},
                                                {" 0x10010 ", 0x10010},
                                                {"0o200001", 0x10001},
                                                {"0b10000000000000001", 0x10001},
                                                {"0", 0},
                                                {"00", 0},
                                                {"0_0", 0},
                                                {"-5", -5},
                                                {"+7", 7},
                                                {"0x_10001", 0x10001}};
  for (const auto& [text, value] : ok) {
    auto r = parse_python_int(text, 0);
    ASSERT_TRUE(r) << text << ": " << r.error().message;
    EXPECT_EQ(*r, value) << text;
  }
  for (const char* bad : {"010", "0x", "", "1__0", "_1", "1_", "0x1g", "abc", "1.0", "0b2"}) {
    auto r = parse_python_int(bad, 0);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_EQ(parse_python_int("1x", 0).error().message,
            "invalid literal for int() with base 0: '1x'");
}

TEST(PythonInt, Base16LikePython) {
  EXPECT_EQ(*parse_python_int("80100000", 16), 0x80100000);
  EXPECT_EQ(*parse_python_int("0x10", 16), 0x10);  // int('0x10', 16) == 16
  EXPECT_EQ(*parse_python_int("dead_beef", 16), 0xdeadbeef);
  EXPECT_FALSE(parse_python_int("", 16));
  EXPECT_FALSE(parse_python_int("0o7", 16));
}

TEST(PlatformTlvs, ValuesIdsNamesAndDictSemantics) {
  bool names = false;
  auto r = parse_platform_tlvs({{"0x10010", "hello"}, {"65537", "0x80100000"}, {"0x10010", "bye"}},
                               names);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(names);
  ASSERT_EQ(r->size(), 2u);  // repeated id: first position, last value
  EXPECT_EQ((*r)[0].type, 0x10010u);
  EXPECT_EQ((*r)[0].value, (std::vector<uint8_t>{'b', 'y', 'e'}));
  EXPECT_EQ((*r)[1].value, (std::vector<uint8_t>{0x00, 0x00, 0x10, 0x80}));

  r = parse_platform_tlvs({{"BOOTADDR", "0x80000000"}, {"BOOTSEC", "0x1"}}, names);
  ASSERT_TRUE(r);
  EXPECT_TRUE(names);
  EXPECT_EQ((*r)[0].type, image::tlv::kBootAddr);
  EXPECT_EQ((*r)[1].type, image::tlv::kBootSec);

  // "0X" is not the integer prefix (the reference tests startswith('0x')): it is a string.
  r = parse_platform_tlvs({{"0x10010", "0X10"}}, names);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].value.size(), 4u);
  EXPECT_EQ((*r)[0].value[0], '0');

  const std::pair<std::vector<std::pair<std::string, std::string>>, const char*> errors[] = {
      {{{"0x20000", "x"}}, "not in the platform range"},
      {{{"0x100", "x"}}, "not in the platform range"},
      {{{"BOOT", "x"}}, "invalid literal"},
      {{{"0x10010", "0x100000000"}}, "does not fit in 32 bits"},
      {{{"0x10010", "0x-1"}}, "does not fit in 32 bits"},
      {{{"0x10010", "0xzz"}}, "--plat-tlv VALUE: invalid literal"},
      {{{"BOOTADDR", "0x1"}, {"0x10002", "0x1"}}, "collides with the named TLV BOOTSEC"},
  };
  for (const auto& [pairs, needle] : errors) {
    auto e = parse_platform_tlvs(pairs, names);
    ASSERT_FALSE(e) << needle;
    EXPECT_NE(e.error().message.find(needle), std::string::npos) << e.error().message;
  }
}

TEST(TlvOrder, AutoFollowsTheSignerBeingReplaced) {
  EXPECT_EQ(*resolve_tlv_order("auto", false, false), image::TlvOrder::kUpstream);
  EXPECT_EQ(*resolve_tlv_order("auto", true, false), image::TlvOrder::kSt);
  EXPECT_EQ(*resolve_tlv_order("auto", false, true), image::TlvOrder::kSt);
  EXPECT_EQ(*resolve_tlv_order("st", false, false), image::TlvOrder::kSt);
  EXPECT_FALSE(resolve_tlv_order("upstream", true, false));
}

TEST(Abbreviations, UniquePrefixesExpandLikeArgparse) {
  CLI::App app("t", "t");
  std::string a, b, c;
  app.add_option("--key", a);
  app.add_option("--key_type,--key-type", b);
  app.add_option("--out", c);
  auto r = expand_abbreviations(app, {"--o", "x", "--key_t=RSA", "--key", "k", "pos", "--", "--o"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, (std::vector<std::string>{"--out", "x", "--key_type=RSA", "--key", "k", "pos", "--",
                                          "--o"}));
  // "--key-t" matches only the two spellings of one option: fine.
  EXPECT_TRUE(expand_abbreviations(app, {"--key-t", "RSA"}));
  auto amb = expand_abbreviations(app, {"--k", "x"});
  ASSERT_FALSE(amb);
  EXPECT_EQ(amb.error().message, "ambiguous option: --k could match --key, --key-type, --key_type");
}

}  // namespace
}  // namespace rproctee::cli
