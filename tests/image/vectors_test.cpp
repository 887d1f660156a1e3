// The interoperability vectors: every row verifies with its key and with no other, every
// deterministic row is reproduced byte for byte by `rproctee sign`, the encrypted row decrypts,
// and the vendor files verify and inspect.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/image_crafting.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;

/// The folder a row's files are relative to, or empty when it is a vendor row without ../shared.
fs::path row_dir(const VectorRow& row) {
  if (!row.vendor()) return vectors_dir();
  return have_shared_vectors() ? shared_vectors_dir() : fs::path();
}

std::vector<fs::path> all_public_keys() {
  std::vector<fs::path> keys;
  for (const auto& e : fs::directory_iterator(vectors_dir() / "keys"))
    if (e.path().string().ends_with(".pub.pem")) keys.push_back(e.path());
  if (have_shared_vectors()) keys.push_back(shared_vectors_dir() / "keys" / "st_default.pub.pem");
  return keys;
}

class VectorRowTest : public ::testing::TestWithParam<VectorRow> {};

TEST_P(VectorRowTest, VerifiesWithItsKeyOnly) {
  const VectorRow& row = GetParam();
  const fs::path dir = row_dir(row);
  if (dir.empty()) GTEST_SKIP() << "vendor vector " << row.name << " needs ../shared/vectors";
  const auto file = (dir / "signed" / (row.name + ".sign")).string();
  const auto own_key = (dir / row.verify_key).string();

  auto ok = run_rproctee({"verify", file, "--key", own_key});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("AUTHENTIC"), std::string::npos);

  int others = 0;
  for (const fs::path& key : all_public_keys()) {
    if (fs::equivalent(key, own_key)) continue;
    // optee_default and rsa4096 are different keys; the same key under two names would fail here.
    auto bad = run_rproctee({"verify", file, "--key", key.string(), "--json"});
    EXPECT_EQ(bad.exit_code, 1) << row.name << " verified with " << key;
    EXPECT_NE(bad.out.find("\"authentic\": false"), std::string::npos);
    EXPECT_NE(bad.out.find("0xffff3072"), std::string::npos) << bad.out;
    ++others;
  }
  EXPECT_GE(others, 4);
}

TEST_P(VectorRowTest, SigningWithTheSameArgumentsReproducesTheRow) {
  const VectorRow& row = GetParam();
  const fs::path dir = row_dir(row);
  if (dir.empty()) GTEST_SKIP() << "vendor vector " << row.name << " needs ../shared/vectors";
  TempDir tmp;
  std::vector<std::string> args = {"sign"};
  args.insert(args.end(), row.args.begin(), row.args.end());
  args.push_back("--out");
  args.push_back(tmp / "out.sign");
  auto r = run_rproctee(args, dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ours = read_bytes(tmp / "out.sign");
  const auto reference = read_bytes(dir / "signed" / (row.name + ".sign"));
  if (row.deterministic) {
    EXPECT_EQ(ours, reference) << row.name << " differs from the reference signer's output";
    return;
  }
  // Randomised rows (ECDSA nonces, encryption IVs): same size and layout, verifies with the
  // row's key, and differs from the reference only where randomness enters.
  EXPECT_EQ(ours.size(), reference.size());
  EXPECT_NE(ours, reference);
  std::vector<std::string> verify = {"verify", tmp / "out.sign", "--key",
                                     (dir / row.verify_key).string()};
  if (row.name == "st_encrypted") {
    verify.push_back("--enc_key");
    verify.push_back((dir / "keys" / "st_rproc_enc_test_key.bin").string());
  }
  auto v = run_rproctee(verify);
  EXPECT_EQ(v.exit_code, 0) << v.out;
  if (row.name == "st_encrypted") {
    EXPECT_NE(v.out.find("(decrypted)"), std::string::npos) << v.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Manifest, VectorRowTest, ::testing::ValuesIn(vector_rows()),
                         [](const auto& row_info) { return row_info.param.name; });

TEST(Vectors, ManifestHasEveryRow) {
  EXPECT_EQ(vector_rows().size(), 10u);
}

TEST(Vectors, EncryptedRowDecryptsWithTheAesKey) {
  if (!have_shared_vectors()) GTEST_SKIP() << "st_encrypted needs ../shared/vectors";
  const fs::path dir = shared_vectors_dir();
  const auto file = read_bytes(dir / "signed" / "st_encrypted.sign");
  image::VerifyOptions opts;
  auto pub = crypto::PublicKey::load_file((dir / "keys" / "st_default.pub.pem").string());
  ASSERT_TRUE(pub);
  opts.keys.push_back(*crypto::Verifier::create(*pub));
  opts.aes_key = read_bytes(dir / "keys" / "st_rproc_enc_test_key.bin");
  const auto report = image::verify_signed_image(file, opts);
  ASSERT_TRUE(report.authentic()) << report.error.message;
  ASSERT_EQ(report.images.size(), 1u);
  for (const auto& s : report.images[0].segments) EXPECT_TRUE(s.decrypted);
  ASSERT_TRUE(report.images[0].rsc_table.has_value());
  EXPECT_EQ(report.images[0].rsc_table->entries.size(), 2u);

  // The decrypted segments are exactly the plaintext ELF's.
  const auto plain = read_bytes(dir / "elf" / "rsc_aligned16.elf");
  EXPECT_EQ(report.images[0].rsc_location->address, 0x80a00000u);

  // Without the key the table stays encrypted; with a wrong key the table does not parse.
  opts.aes_key.reset();
  const auto no_key = image::verify_signed_image(file, opts);
  EXPECT_TRUE(no_key.authentic());
  EXPECT_TRUE(no_key.images[0].rsc_encrypted);
  opts.aes_key = std::vector<uint8_t>(32, 0x42);
  const auto wrong = image::verify_signed_image(file, opts);
  EXPECT_FALSE(wrong.authentic());
  EXPECT_EQ(wrong.check, "resource table");
  (void)plain;
}

TEST(Vectors, VendorSignedImageVerifiesAndInspects) {
  if (!have_shared_vectors()) GTEST_SKIP() << "vendor image needs ../shared/vectors";
  const fs::path dir = shared_vectors_dir();
  const auto image = (dir / "real" / "st_mp257_usbpd_ucsi_cm33_ns.sign").string();
  auto v = run_rproctee(
      {"verify", image, "--key", (dir / "keys" / "st_default.pub.pem").string(), "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("\"boot_addr\": 2148532224"), std::string::npos);  // 0x80100000
  auto i = run_rproctee({"inspect", image});
  EXPECT_EQ(i.exit_code, 0) << i.out;
  EXPECT_NE(i.out.find("BOOTADDR (0x10001)"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("resource table at 0x81200000"), std::string::npos) << i.out;
}

TEST(Vectors, VendorElfInspectsWithItsResourceTable) {
  if (!have_shared_vectors()) GTEST_SKIP() << "vendor ELF needs ../shared/vectors";
  const auto elf =
      (shared_vectors_dir() / "real" / "st_mp215_openamp_tty_echo_cm33_ns.elf").string();
  auto i = run_rproctee({"inspect", elf, "--json"});
  EXPECT_EQ(i.exit_code, 0) << i.out;
  EXPECT_NE(i.out.find("\"kind\": \"elf\""), std::string::npos);
  EXPECT_NE(i.out.find("\"address\": 2166358016"), std::string::npos) << "table at 0x81200000";
  EXPECT_NE(i.out.find("\"source\": \"section .isr_vectors\""), std::string::npos);
}

}  // namespace
}  // namespace rproctee::test
