// The rproctee binary as users and scripts see it: exit codes, messages, --help, the
// sign_rproc_fw.py personality, JSON fields, keys, and the HSM flow with openssl.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/elf_builder.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string vec(const std::string& rel) {
  return (vectors_dir() / rel).string();
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"sign", "verify", "inspect", "keygen", "pubkey", "digest", "stitch",
                          "run", "machine", "up", "ctl", "down"}) {
    auto r = run_rproctee({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << r.out;
  }
  auto top = run_rproctee({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("stitch"), std::string::npos);
  EXPECT_EQ(run_rproctee({}).exit_code, 2);
  EXPECT_EQ(run_rproctee({"frobnicate"}).exit_code, 2);
}

TEST(Cli, UsageErrorsExitTwo) {
  TempDir tmp;
  auto missing = run_rproctee({"sign", "--in", vec("elf/rsc.elf"), "--out", tmp / "x"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--key is required"), std::string::npos) << missing.err;
  auto unknown = run_rproctee({"verify", vec("signed/rsa2048_single.sign"), "--key",
                               vec("keys/rsa2048.pub.pem"), "--bogus"});
  EXPECT_EQ(unknown.exit_code, 2);
  auto ambiguous = run_rproctee(
      {"sign", "--in", vec("elf/rsc.elf"), "--k", vec("keys/rsa2048.pem"), "--out", tmp / "x"});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_NE(ambiguous.err.find("ambiguous option: --k could match"), std::string::npos);
  auto conflict = run_rproctee({"sign", "--in", vec("elf/rsc.elf"), "--key",
                                vec("keys/rsa2048.pem"), "--key-type", "ECC", "--out", tmp / "x"});
  EXPECT_EQ(conflict.exit_code, 2);
  EXPECT_NE(conflict.err.find("--key_type ECC but"), std::string::npos) << conflict.err;
  EXPECT_NE(conflict.err.find("is an RSA-2048 key"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "x"));
}

TEST(Cli, SignAcceptsArgparseAbbreviationsAndDetectsTheKeyType) {
  TempDir tmp;
  auto r = run_rproctee(
      {"sign", "--i", vec("elf/rsc.elf"), "--key", vec("keys/p256.pem"), "--o", tmp / "p.sign"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());  // like the reference signer: silent on success
  auto v = run_rproctee({"verify", tmp / "p.sign", "--key", vec("keys/p256.pub.pem")});
  EXPECT_EQ(v.exit_code, 0) << v.out;
}

TEST(Cli, SignRprocFwPyPersonality) {
  TempDir tmp;
  const fs::path link = fs::path(rproctee_binary()).parent_path() / "sign_rproc_fw.py";
  ASSERT_TRUE(fs::exists(link));
  auto r = run_command({link.string(), "--in", vec("elf/rsc.elf"), "--key", vec("keys/rsa2048.pem"),
                        "--out", tmp / "a.sign"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_bytes(tmp / "a.sign"),
            read_bytes(vectors_dir() / "signed" / "rsa2048_single.sign"));
}

TEST(Cli, FailedSignLeavesTheOldOutputAndNoTemporaryFile) {
  TempDir tmp;
  write_bytes(tmp / "out.sign", {1, 2, 3});
  write_bytes(tmp / "bad.elf", std::vector<uint8_t>(100, 0x41));
  auto r = run_rproctee({"sign", "--in", tmp / "bad.elf", "--key", vec("keys/rsa2048.pem"), "--out",
                         tmp / "out.sign"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.elf: ELF magic is 41 41 41 41"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("TEE_ERROR_BAD_FORMAT 0xffff0005"), std::string::npos) << r.err;
  EXPECT_EQ(read_bytes(tmp / "out.sign"), (std::vector<uint8_t>{1, 2, 3}));
  int files = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 2);
}

TEST(Cli, SignRefusesWhatTheTaWouldRejectUnlessForced) {
  TempDir tmp;
  write_bytes(tmp / "fw.elf", make_firmware(256, demo_resource_table()));
  std::vector<std::string> args = {"sign",         "--in",  tmp / "fw.elf",          "--in",
                                   tmp / "fw.elf", "--key", vec("keys/rsa2048.pem"), "--out",
                                   tmp / "o.sign"};
  auto r = run_rproctee(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("segments overlap"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force signs anyway"), std::string::npos);
  args.push_back("--force");
  EXPECT_EQ(run_rproctee(args).exit_code, 0);
  auto v = run_rproctee({"verify", tmp / "o.sign", "--key", vec("keys/rsa2048.pub.pem")});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("failed check: program headers"), std::string::npos) << v.out;
}

// Upstream's signer gives 0x10001/0x10002 no meaning: signed as given, with a warning when ST's
// TA would refuse the values; ST's order keeps ST's checks.
TEST(Cli, UpstreamOrderSignsAnyPlatformTlvWithAWarning) {
  TempDir tmp;
  const std::vector<std::string> base = {
      "sign",    "--in", vec("elf/rsc.elf"), "--key", vec("keys/rsa2048.pem"), "--plat-tlv",
      "0x10001", "0X10"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return run_rproctee(args);
  };
  auto upstream = with({"--out", tmp / "u.sign"});
  EXPECT_EQ(upstream.exit_code, 0) << upstream.err;
  EXPECT_NE(upstream.err.find("warning: boot address 0x30315830"), std::string::npos)
      << upstream.err;
  EXPECT_NE(upstream.err.find("ST's TA would refuse this image"), std::string::npos);
  auto inspected = run_rproctee({"inspect", tmp / "u.sign", "--json"});
  EXPECT_NE(inspected.out.find("\"hex\": \"30583130\""), std::string::npos) << inspected.out;

  auto st = with({"--tlv-order", "st", "--out", tmp / "s.sign"});
  EXPECT_EQ(st.exit_code, 1);
  EXPECT_NE(st.err.find("boot address 0x30315830 is not 128-byte aligned"), std::string::npos)
      << st.err;
  EXPECT_NE(st.err.find("--force signs anyway"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "s.sign"));
  EXPECT_EQ(with({"--tlv-order", "st", "--force", "--out", tmp / "s.sign"}).exit_code, 0);

  // BOOTSEC 2 and a valid BOOTADDR: the same rule; no warning when the values suit ST's TA.
  auto bootsec = run_rproctee({"digest", "--in", vec("elf/rsc.elf"), "--key",
                               vec("keys/rsa2048.pub.pem"), "--plat-tlv", "0x10002", "0x2", "--out",
                               tmp / "tbs", "--manifest", tmp / "m.json"});
  EXPECT_EQ(bootsec.exit_code, 0) << bootsec.err;
  EXPECT_NE(bootsec.err.find("warning: platform TLV 0x10002 (ST's BOOTSEC) is 2"),
            std::string::npos)
      << bootsec.err;
  auto fine = run_rproctee({"sign", "--in", vec("elf/tfm.elf"), "--in", vec("elf/rsc.elf"), "--key",
                            vec("keys/rsa3072.pem"), "--plat-tlv", "0x10001", "0x80000000",
                            "--plat-tlv", "0x10002", "0x1", "--out", tmp / "f.sign"});
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_EQ(fine.err, "");
  EXPECT_EQ(read_bytes(tmp / "f.sign"),
            read_bytes(vectors_dir() / "signed" / "rsa3072_multi.sign"));
}

TEST(Cli, VerifyJsonFields) {
  auto r =
      run_rproctee({"verify", vec("signed/rsa3072_multi.sign"), "--key",
                    vec("keys/rsa2048.pub.pem"), "--key", vec("keys/rsa3072.pub.pem"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = json::parse(r.out);
  EXPECT_TRUE(j["authentic"].get<bool>());
  EXPECT_EQ(j["tee_error"], "0x00000000");
  EXPECT_EQ(j["tee_error_name"], "TEE_SUCCESS");
  EXPECT_EQ(j["key"]["path"], vec("keys/rsa3072.pub.pem"));
  EXPECT_EQ(j["key"]["fingerprint"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["boot_addr"], 0x80000000u);
  ASSERT_EQ(j["images"].size(), 2u);
  EXPECT_EQ(j["images"][1]["type"], "ELF");
  EXPECT_EQ(j["images"][1]["segments"][0]["digest"], "ok");
  EXPECT_TRUE(j["images"][1]["resource_table"]["present"].get<bool>());
  EXPECT_FALSE(j["images"][0]["resource_table"]["present"].get<bool>());

  auto bad = run_rproctee(
      {"verify", vec("signed/rsa3072_multi.sign"), "--key", vec("keys/p256.pub.pem"), "--json"});
  EXPECT_EQ(bad.exit_code, 1);
  const json b = json::parse(bad.out);
  EXPECT_FALSE(b["authentic"].get<bool>());
  EXPECT_EQ(b["tee_error"], "0xffff3072");
  EXPECT_EQ(b["tee_error_name"], "TEE_ERROR_SIGNATURE_INVALID");
  EXPECT_EQ(b["check"], "signature");
  EXPECT_TRUE(b["key"].is_null());
}

TEST(Cli, VerifyNamesSizeMismatches) {
  TempDir tmp;
  auto file = read_bytes(vectors_dir() / "signed" / "rsa2048_single.sign");
  file.insert(file.end(), {0, 0, 0, 0});
  write_bytes(tmp / "long.sign", file);
  auto r = run_rproctee({"verify", tmp / "long.sign", "--key", vec("keys/rsa2048.pub.pem")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("file is 4 bytes longer than the header says (9880 vs 9876)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("TEE_ERROR_BAD_PARAMETERS (0xffff0006)"), std::string::npos);
}

TEST(Cli, InspectShowsWhatItCouldDecodeOfATruncatedFile) {
  TempDir tmp;
  auto file = read_bytes(vectors_dir() / "signed" / "rsa3072_multi.sign");
  file.resize(file.size() - 100);
  write_bytes(tmp / "cut.sign", file);
  auto r = run_rproctee({"inspect", tmp / "cut.sign"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("header: magic 0x3543a468"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("decoding stopped at header: file is 100 bytes shorter"), std::string::npos)
      << r.out;

  auto full = run_rproctee({"inspect", vec("signed/rsa3072_multi.sign"), "--json"});
  ASSERT_EQ(full.exit_code, 0) << full.out;
  const json j = json::parse(full.out);
  EXPECT_EQ(j["kind"], "signed-image");
  EXPECT_TRUE(j["complete"].get<bool>());
  EXPECT_EQ(j["tlvs"][6]["name"], "BOOTADDR");
  EXPECT_EQ(j["tlvs"][6]["value"], "0x80000000");
  EXPECT_EQ(j["images"][0]["vector_table"]["source"], "BOOTADDR");
  EXPECT_EQ(j["images"][1]["vector_table"]["source"], "section .isr_vector");
  EXPECT_EQ(j["images"][1]["vector_table"]["reset_pc"].get<uint32_t>() & 1u, 1u);

  auto elf = run_rproctee({"inspect", vec("elf/rsc.elf")});
  EXPECT_EQ(elf.exit_code, 0);
  EXPECT_NE(elf.out.find("resource table at 0x80a00000"), std::string::npos) << elf.out;
}

TEST(Cli, KeygenAndPubkey) {
  TempDir tmp;
  auto r =
      run_rproctee({"keygen", "--type", "p256", "--out", tmp / "k.pem", "--pubout", tmp / "k.pub"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat((tmp / "k.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(run_rproctee({"keygen", "--type", "p256", "--out", tmp / "k.pem"}).exit_code, 2);
  EXPECT_EQ(run_rproctee({"keygen", "--type", "rsa1024", "--out", tmp / "x.pem"}).exit_code, 2);

  auto pem = run_rproctee({"pubkey", tmp / "k.pem"});
  EXPECT_EQ(pem.exit_code, 0);
  const auto pub = read_bytes(tmp / "k.pub");
  EXPECT_EQ(pem.out, std::string(pub.begin(), pub.end()));
  auto c =
      run_rproctee({"pubkey", vec("keys/rsa3072.pub.pem"), "--format", "c", "--name", "fw_key"});
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_NE(c.out.find("static const uint8_t fw_key_modulus[384]"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("fw_key_exponent[3] = {\n\t0x01, 0x00, 0x01"), std::string::npos) << c.out;
  auto der =
      run_rproctee({"pubkey", vec("keys/p256.pem"), "--format", "der", "--out", tmp / "p.der"});
  EXPECT_EQ(der.exit_code, 0);
  EXPECT_EQ(read_bytes(tmp / "p.der").size(), 91u);  // P-256 SubjectPublicKeyInfo
  auto enc = run_rproctee({"pubkey", vec("keys/rsa2048_pw.pem"), "--key_pwd", "vector-pass"});
  EXPECT_EQ(enc.exit_code, 0) << enc.err;
}

// openssl plays the HSM: it only ever sees the digest.
TEST(Cli, DigestStitchWithOpensslAsTheHsm) {
  TempDir tmp;
  for (const std::string kind : {"rsa2048", "p256"}) {
    const std::string pub = vec("keys/" + kind + ".pub.pem");
    auto d = run_rproctee({"digest", "--in", vec("elf/tfm.elf"), "--in", vec("elf/rsc.elf"),
                           "--key", pub, "--plat-tlv", "BOOTADDR", "0x80000000", "--sha256",
                           "--out", tmp / "tbs.sha256", "--manifest", tmp / "m.json"});
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(d.out.size(), 65u);
    auto hsm =
        run_command({"/usr/bin/openssl", "pkeyutl", "-sign", "-inkey", vec("keys/" + kind + ".pem"),
                     "-pkeyopt", "digest:sha256", "-in", tmp / "tbs.sha256", "-out", tmp / "sig"});
    ASSERT_EQ(hsm.exit_code, 0) << hsm.err;
    auto s = run_rproctee({"stitch", "--manifest", tmp / "m.json", "--signature", tmp / "sig",
                           "--key", pub, "--out", tmp / "final.sign"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    auto v = run_rproctee({"verify", tmp / "final.sign", "--key", pub});
    EXPECT_EQ(v.exit_code, 0) << v.out;
    if (kind == "rsa2048") {
      auto direct = run_rproctee({"sign", "--in", vec("elf/tfm.elf"), "--in", vec("elf/rsc.elf"),
                                  "--key", vec("keys/rsa2048.pem"), "--plat-tlv", "BOOTADDR",
                                  "0x80000000", "--out", tmp / "direct.sign"});
      ASSERT_EQ(direct.exit_code, 0);
      EXPECT_EQ(read_bytes(tmp / "final.sign"), read_bytes(tmp / "direct.sign"));
    }
    // A signature by another key is refused and nothing is written.
    fs::remove(tmp / "final.sign");
    auto other = run_command({"/usr/bin/openssl", "pkeyutl", "-sign", "-inkey",
                              vec(kind == "p256" ? "keys/p256.pem" : "keys/rsa2048_pw.pem"),
                              "-passin", "pass:vector-pass", "-pkeyopt", "digest:sha256", "-in",
                              tmp / "tbs.sha256", "-out", tmp / "sig2"});
    ASSERT_EQ(other.exit_code, 0) << other.err;
    if (kind == "rsa2048") {  // rsa2048_pw is the same key as rsa2048: use a wrong digest instead
      write_bytes(tmp / "tbs.sha256", std::vector<uint8_t>(32, 0));
      run_command({"/usr/bin/openssl", "pkeyutl", "-sign", "-inkey", vec("keys/rsa2048.pem"),
                   "-pkeyopt", "digest:sha256", "-in", tmp / "tbs.sha256", "-out", tmp / "sig2"});
    } else {
      write_bytes(tmp / "tbs.sha256", std::vector<uint8_t>(32, 0));
      run_command({"/usr/bin/openssl", "pkeyutl", "-sign", "-inkey", vec("keys/p256.pem"), "-in",
                   tmp / "tbs.sha256", "-out", tmp / "sig2"});
    }
    auto bad = run_rproctee({"stitch", "--manifest", tmp / "m.json", "--signature", tmp / "sig2",
                             "--key", pub, "--out", tmp / "final.sign"});
    EXPECT_EQ(bad.exit_code, 1) << kind;
    EXPECT_NE(bad.err.find("does not verify (signature)"), std::string::npos) << bad.err;
    EXPECT_FALSE(fs::exists(tmp / "final.sign"));
  }
}

TEST(Cli, StitchRefusesChangedInputsAndAnotherKey) {
  TempDir tmp;
  write_bytes(tmp / "fw.elf", read_bytes(vectors_dir() / "elf" / "rsc.elf"));
  auto d = run_rproctee({"digest", "--in", tmp / "fw.elf", "--key", vec("keys/rsa2048.pub.pem"),
                         "--out", tmp / "tbs.bin", "--manifest", tmp / "m.json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto sig = run_command({"/usr/bin/openssl", "dgst", "-sha256", "-sign", vec("keys/rsa2048.pem"),
                          "-out", tmp / "sig", tmp / "tbs.bin"});
  ASSERT_EQ(sig.exit_code, 0) << sig.err;
  auto wrong_key = run_rproctee({"stitch", "--manifest", tmp / "m.json", "--signature", tmp / "sig",
                                 "--key", vec("keys/rsa3072.pub.pem"), "--out", tmp / "o.sign"});
  EXPECT_EQ(wrong_key.exit_code, 1);
  EXPECT_NE(wrong_key.err.find("the manifest was prepared for key"), std::string::npos);
  auto elf = read_bytes(tmp / "fw.elf");
  elf[0x1010] ^= 1;
  write_bytes(tmp / "fw.elf", elf);
  auto changed = run_rproctee({"stitch", "--manifest", tmp / "m.json", "--signature", tmp / "sig",
                               "--key", vec("keys/rsa2048.pub.pem"), "--out", tmp / "o.sign"});
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_NE(changed.err.find("changed since `rproctee digest`"), std::string::npos) << changed.err;
  EXPECT_FALSE(fs::exists(tmp / "o.sign"));
}

TEST(Cli, StitchOfAnEncryptedImageReusesTheSignedIvs) {
  if (!have_shared_vectors()) GTEST_SKIP() << "needs ST's AES test key from ../shared/vectors";
  TempDir tmp;
  const std::string aes = (shared_vectors_dir() / "keys" / "st_rproc_enc_test_key.bin").string();
  auto d = run_rproctee({"digest", "--in", vec("elf/rsc_aligned16.elf"), "--key",
                         vec("keys/rsa2048.pub.pem"), "--enc_key", aes, "--out", tmp / "tbs.bin",
                         "--manifest", tmp / "m.json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  run_command({"/usr/bin/openssl", "dgst", "-sha256", "-sign", vec("keys/rsa2048.pem"), "-out",
               tmp / "sig", tmp / "tbs.bin"});
  auto no_key = run_rproctee({"stitch", "--manifest", tmp / "m.json", "--signature", tmp / "sig",
                              "--key", vec("keys/rsa2048.pub.pem"), "--out", tmp / "o.sign"});
  EXPECT_EQ(no_key.exit_code, 2);
  auto s =
      run_rproctee({"stitch", "--manifest", tmp / "m.json", "--signature", tmp / "sig", "--key",
                    vec("keys/rsa2048.pub.pem"), "--enc_key", aes, "--out", tmp / "o.sign"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto v = run_rproctee(
      {"verify", tmp / "o.sign", "--key", vec("keys/rsa2048.pub.pem"), "--enc_key", aes});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("(decrypted)"), std::string::npos);
}

}  // namespace
}  // namespace rproctee::test
