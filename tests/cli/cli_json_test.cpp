// The --json outputs (schema 1, README.md): "schema": 1, and every object has the same keys
// whether the command went to the end or stopped early (null where it did not get).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using nlohmann::json;
using Keys = std::set<std::string>;

Keys keys_of(const json& j) {
  Keys k;
  for (const auto& [key, value] : j.items()) k.insert(key);
  return k;
}

std::string vec(const std::string& rel) {
  return (vectors_dir() / rel).string();
}

json json_of(const std::vector<std::string>& args, int exit_code) {
  const auto r = run_rproctee(args);
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["schema"], 1) << r.out;
  return j;
}

const Keys kVerifyKeys = {"schema",         "file",     "authentic",     "check",     "tee_error",
                          "tee_error_name", "message",  "key",           "sign_type", "encrypted",
                          "boot_addr",      "boot_sec", "platform_tlvs", "images"};

TEST(CliJson, VerifyKeepsItsKeysWhereverItStops) {
  TempDir tmp;
  auto cut = read_bytes(vectors_dir() / "signed" / "rsa2048_single.sign");
  cut.resize(10);
  write_bytes(tmp / "cut.sign", cut);
  const json ok = json_of(
      {"verify", vec("signed/rsa3072_multi.sign"), "--key", vec("keys/rsa3072.pub.pem"), "--json"},
      0);
  const json bad_key = json_of(
      {"verify", vec("signed/rsa3072_multi.sign"), "--key", vec("keys/p256.pub.pem"), "--json"}, 1);
  const json bad_header =
      json_of({"verify", tmp / "cut.sign", "--key", vec("keys/rsa2048.pub.pem"), "--json"}, 1);
  for (const json* j : {&ok, &bad_key, &bad_header}) EXPECT_EQ(keys_of(*j), kVerifyKeys) << *j;
  EXPECT_TRUE(bad_header["sign_type"].is_null());
  EXPECT_TRUE(bad_header["platform_tlvs"].is_null());
  EXPECT_TRUE(bad_header["images"].empty());
  EXPECT_EQ(ok["boot_sec"], 1);
  EXPECT_TRUE(bad_key["boot_addr"].is_null());  // the TLVs are not read before the signature
  EXPECT_EQ(ok["boot_addr"], 0x80000000u);
  // Images and their resource tables: the same keys with and without a table.
  const json& images = ok["images"];
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(keys_of(images[0]), keys_of(images[1]));
  EXPECT_EQ(keys_of(images[0]["resource_table"]), keys_of(images[1]["resource_table"]));
  EXPECT_TRUE(images[0]["resource_table"]["address"].is_null());
  EXPECT_FALSE(images[1]["resource_table"]["table"].is_null());
}

TEST(CliJson, InspectKeepsItsKeysForImagesElfsAndJunk) {
  TempDir tmp;
  auto cut = read_bytes(vectors_dir() / "signed" / "rsa3072_multi.sign");
  cut.resize(cut.size() - 100);
  write_bytes(tmp / "cut.sign", cut);
  write_bytes(tmp / "junk.bin", std::vector<uint8_t>(64, 0x41));
  const json image = json_of({"inspect", vec("signed/rsa3072_multi.sign"), "--json"}, 0);
  const json elf = json_of({"inspect", vec("elf/rsc.elf"), "--json"}, 0);
  const json truncated = json_of({"inspect", tmp / "cut.sign", "--json"}, 1);
  const json junk = json_of({"inspect", tmp / "junk.bin", "--json"}, 1);
  const Keys top = keys_of(image);
  EXPECT_EQ(top,
            (Keys{"schema", "file", "size", "kind", "header", "signature", "tlvs", "hash_table",
                  "enc_table", "images", "complete", "stopped_at", "stop_reason"}));
  for (const json* j : {&elf, &truncated, &junk}) EXPECT_EQ(keys_of(*j), top) << *j;
  EXPECT_TRUE(elf["header"].is_null());
  EXPECT_TRUE(image["enc_table"].is_null());
  EXPECT_FALSE(image["hash_table"].is_null());
  EXPECT_TRUE(image["stop_reason"].is_null());
  EXPECT_FALSE(truncated["stop_reason"].is_null());
  // Every TLV object has the same keys (name and hex are null where they do not apply).
  const Keys tlv = keys_of(image["tlvs"][0]);
  for (const auto& t : image["tlvs"]) EXPECT_EQ(keys_of(t), tlv) << t;
  // ELF objects: decoded or not.
  const Keys elf_keys = keys_of(elf["images"][0]);
  for (const auto& e : image["images"]) EXPECT_EQ(keys_of(e), elf_keys) << e;
  EXPECT_EQ(elf_keys, (Keys{"name", "header", "program_headers", "sections", "resource_table",
                            "vector_table", "problems"}));
}

}  // namespace
}  // namespace rproctee::test
