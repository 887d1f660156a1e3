// Signing with keys held in a PKCS#11 token (SoftHSM2, as a CI stands in for an HSM), through
// the rproctee binary: `sign --key 'pkcs11:...'` with an RSA key imported from a file gives the
// file's bytes exactly; keys generated inside the token (RSA and ECDSA P-256, never
// extractable) sign images that verify with the public key pkcs11-tool exports; `digest` and
// `stitch` read the token's public key; the PIN comes from pin-value, pin-source or the
// terminal; mistakes name the token, the object or the PIN with a code.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;

constexpr char kModule[] = "/usr/lib/softhsm/libsofthsm2.so";
constexpr char kPin[] = "1234";

std::string vec(const std::string& rel) {
  return (vectors_dir() / rel).string();
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

/// A SoftHSM2 token "ci" of its own (SOFTHSM2_CONF points at a temporary store) holding: the
/// rsa2048 test key imported from its file ("rsa-file", id 01), and an RSA-2048 ("rsa-gen",
/// id 02) and a P-256 ("ec-gen", id 03) key pair generated inside the token.
class Pkcs11Signing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(kModule) || !fs::exists("/usr/bin/softhsm2-util") ||
        !fs::exists("/usr/bin/pkcs11-tool"))
      return;
    store_ = new TempDir;
    fs::create_directories(store_->path() / "tokens");
    std::ofstream(*store_ / "softhsm2.conf")
        << "directories.tokendir = " << (store_->path() / "tokens").string()
        << "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    ::setenv("SOFTHSM2_CONF", (*store_ / "softhsm2.conf").c_str(), 1);
    ::unsetenv("PKCS11_MODULE");
    auto step = [](const std::vector<std::string>& argv) {
      const auto r = run_command(argv);
      if (r.exit_code != 0) *setup_error_ += argv[0] + ": " + r.out + r.err + "\n";
    };
    setup_error_ = new std::string;
    step({"/usr/bin/softhsm2-util", "--init-token", "--free", "--label", "ci", "--pin", kPin,
          "--so-pin", "5678"});
    step({"/usr/bin/openssl", "pkcs8", "-topk8", "-nocrypt", "-in", vec("keys/rsa2048.pem"), "-out",
          *store_ / "rsa2048.p8"});
    step({"/usr/bin/softhsm2-util", "--import", *store_ / "rsa2048.p8", "--token", "ci", "--label",
          "rsa-file", "--id", "01", "--pin", kPin});
    for (const auto& [label, id, type] :
         {std::tuple{"rsa-gen", "02", "rsa:2048"}, std::tuple{"ec-gen", "03", "EC:prime256v1"}})
      step(pkcs11_tool({"--login", "--pin", kPin, "--keypairgen", "--key-type", type, "--label",
                        label, "--id", id}));
  }
  static void TearDownTestSuite() {
    delete store_;
    delete setup_error_;
    store_ = nullptr;
    ::unsetenv("SOFTHSM2_CONF");
  }
  void SetUp() override {
    if (!store_) GTEST_SKIP() << "SoftHSM2 or OpenSC is not installed (scripts/setup-debian.sh)";
    ASSERT_EQ(*setup_error_, "");
  }

  static std::vector<std::string> pkcs11_tool(std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/pkcs11-tool", "--module", kModule, "--token-label", "ci"});
    return args;
  }
  /// The public key pkcs11-tool exports (DER SubjectPublicKeyInfo).
  std::string exported_public_key(const std::string& label) {
    const std::string out = tmp_ / (label + ".pub.der");
    const auto r = run_command(
        pkcs11_tool({"--read-object", "--type", "pubkey", "--label", label, "-o", out}));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  static std::string uri(const std::string& object, const std::string& query = "") {
    return "pkcs11:token=ci;object=" + object + (query.empty() ? "" : "?" + query);
  }

  static TempDir* store_;
  static std::string* setup_error_;
  TempDir tmp_;
};

TempDir* Pkcs11Signing::store_ = nullptr;
std::string* Pkcs11Signing::setup_error_ = nullptr;

TEST_F(Pkcs11Signing, RsaKeyInTheTokenSignsByteIdenticallyToTheSameKeyInAFile) {
  // The reference signer's vector, signed by the token instead of the file.
  auto single = run_rproctee({"sign", "--in", vec("elf/rsc.elf"), "--key",
                              uri("rsa-file", std::string("pin-value=") + kPin), "--pkcs11-module",
                              kModule, "--out", tmp_ / "single.sign"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_EQ(read_bytes(tmp_ / "single.sign"),
            read_bytes(vectors_dir() / "signed/rsa2048_single.sign"));
  // Two images and platform TLVs, module from $PKCS11_MODULE: the same bytes as with the file.
  const std::vector<std::string> inputs = {
      "--in",       vec("elf/tfm.elf"), "--in",      vec("elf/rsc.elf"),
      "--plat-tlv", "0x10001",          "0x80000000"};
  auto from_file = inputs;
  from_file.insert(from_file.begin(), "sign");
  from_file.insert(from_file.end(),
                   {"--key", vec("keys/rsa2048.pem"), "--out", tmp_ / "file.sign"});
  ASSERT_EQ(run_rproctee(from_file).exit_code, 0);
  auto from_token = inputs;
  from_token.insert(from_token.begin(), {"/usr/bin/env", std::string("PKCS11_MODULE=") + kModule,
                                         rproctee_binary(), "sign"});
  from_token.insert(from_token.end(), {"--key", uri("rsa-file", std::string("pin-value=") + kPin),
                                       "--out", tmp_ / "token.sign"});
  const auto r = run_command(from_token);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_bytes(tmp_ / "token.sign"), read_bytes(tmp_ / "file.sign"));
}

TEST_F(Pkcs11Signing, KeysMadeInTheTokenSignImagesThatVerifyWithTheExportedPublicKey) {
  for (const std::string label : {"rsa-gen", "ec-gen"}) {
    SCOPED_TRACE(label);
    // The private key is the token's own: sensitive, never extractable.
    const auto listed =
        run_command(pkcs11_tool({"--login", "--pin", kPin, "--list-objects", "--type", "privkey"}));
    const size_t entry = listed.out.find("label:      " + label + "\n");
    ASSERT_NE(entry, std::string::npos) << listed.out;
    const std::string object = listed.out.substr(entry, listed.out.find("Object;", entry) - entry);
    EXPECT_TRUE(has(object, "sensitive, always sensitive, never extractable")) << object;
    const std::string image = tmp_ / (label + ".sign");
    auto s = run_rproctee({"sign", "--in", vec("elf/rsc.elf"), "--key",
                           uri(label, std::string("pin-value=") + kPin), "--pkcs11-module", kModule,
                           "--out", image, "-v"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_TRUE(has(s.err, label == "ec-gen" ? "ECDSA P-256 signature" : "RSA-2048 signature"))
        << s.err;
    const std::string pub = exported_public_key(label);
    auto v = run_rproctee({"verify", image, "--key", pub, "--json"});
    EXPECT_EQ(v.exit_code, 0) << v.out;
    EXPECT_TRUE(has(v.out, "\"authentic\": true")) << v.out;
    // `rproctee pubkey` reads the same key from the token (no PIN for a public object).
    auto exported = run_rproctee({"pubkey", uri(label), "--pkcs11-module", kModule, "--format",
                                  "der", "--out", tmp_ / "pubkey.der"});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(read_bytes(tmp_ / "pubkey.der"), read_bytes(pub));
    // Another key does not verify it.
    auto other = run_rproctee({"verify", image, "--key", vec("keys/p256.pub.pem")});
    EXPECT_EQ(other.exit_code, 1);
  }
}

TEST_F(Pkcs11Signing, DigestAndStitchTakeTheTokensPublicKey) {
  // digest with the token's public key; the token signs the digest as an HSM workflow does
  // (pkcs11-tool, CKM_RSA_PKCS over DigestInfo || SHA-256); stitch checks with the token's
  // public key: the bytes `sign` makes.
  const std::string key = uri("rsa-file");
  auto d =
      run_rproctee({"digest", "--in", vec("elf/rsc.elf"), "--key", key, "--pkcs11-module", kModule,
                    "--sha256", "--out", tmp_ / "tbs.sha256", "--manifest", tmp_ / "m.json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  std::vector<uint8_t> digest_info = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                      0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
  const auto sha = read_bytes(tmp_ / "tbs.sha256");
  ASSERT_EQ(sha.size(), 32u);
  digest_info.insert(digest_info.end(), sha.begin(), sha.end());
  write_bytes(tmp_ / "tbs.digestinfo", digest_info);
  // (pkcs11-tool selects the key by id: by label it also finds the public key object.)
  const auto hsm =
      run_command(pkcs11_tool({"--login", "--pin", kPin, "--sign", "--mechanism", "RSA-PKCS",
                               "--id", "01", "-i", tmp_ / "tbs.digestinfo", "-o", tmp_ / "sig"}));
  ASSERT_EQ(hsm.exit_code, 0) << hsm.err;
  auto s = run_rproctee({"stitch", "--manifest", tmp_ / "m.json", "--signature", tmp_ / "sig",
                         "--key", key, "--pkcs11-module", kModule, "--out", tmp_ / "fw.sign"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(read_bytes(tmp_ / "fw.sign"), read_bytes(vectors_dir() / "signed/rsa2048_single.sign"));
  // ECDSA: the token's raw r||s signature of the digest.
  const std::string ec = uri("ec-gen");
  d = run_rproctee({"digest", "--in", vec("elf/rsc.elf"), "--key", ec, "--pkcs11-module", kModule,
                    "--sha256", "--out", tmp_ / "ec.sha256", "--manifest", tmp_ / "ec.json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const auto ec_sig =
      run_command(pkcs11_tool({"--login", "--pin", kPin, "--sign", "--mechanism", "ECDSA", "--id",
                               "03", "-i", tmp_ / "ec.sha256", "-o", tmp_ / "ec.sig"}));
  ASSERT_EQ(ec_sig.exit_code, 0) << ec_sig.err;
  s = run_rproctee({"stitch", "--manifest", tmp_ / "ec.json", "--signature", tmp_ / "ec.sig",
                    "--key", ec, "--pkcs11-module", kModule, "--out", tmp_ / "ec.sign"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto v = run_rproctee({"verify", tmp_ / "ec.sign", "--key", exported_public_key("ec-gen")});
  EXPECT_EQ(v.exit_code, 0) << v.out;
}

/// Runs `argv` on a new pseudo-terminal, answers `answer` when `prompt` appears; exit code.
int run_on_terminal(const std::vector<std::string>& argv, const std::string& prompt,
                    const std::string& answer, std::string& seen) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return -1;
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  bool answered = false;
  char buffer[256];
  for (;;) {
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the child is gone
    seen.append(buffer, static_cast<size_t>(n));
    if (!answered && has(seen, prompt)) {
      answered =
          ::write(master, answer.data(), answer.size()) == static_cast<ssize_t>(answer.size());
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(Pkcs11Signing, ThePinComesFromTheUriAFileOrTheTerminal) {
  const std::vector<std::string> sign = {"sign", "--in", vec("elf/rsc.elf"), "--pkcs11-module",
                                         kModule};
  auto with_key = [&](const std::string& key, const std::string& out) {
    auto args = sign;
    args.insert(args.end(), {"--key", key, "--out", tmp_ / out});
    return args;
  };
  const auto expected = read_bytes(vectors_dir() / "signed/rsa2048_single.sign");
  // pin-source: a file (a path or a file: URI).
  std::ofstream(tmp_ / "pin") << kPin << "\n";
  auto source = run_rproctee(with_key(uri("rsa-file", "pin-source=file:" + tmp_ / "pin"), "a"));
  ASSERT_EQ(source.exit_code, 0) << source.err;
  EXPECT_EQ(read_bytes(tmp_ / "a"), expected);
  // The terminal, without echo.
  auto on_tty = with_key(uri("rsa-file"), "b");
  on_tty.insert(on_tty.begin(), rproctee_binary());
  std::string screen;
  EXPECT_EQ(run_on_terminal(on_tty, "PIN for token ci: ", std::string(kPin) + "\n", screen), 0)
      << screen;
  EXPECT_FALSE(has(screen, kPin)) << screen;  // not echoed
  EXPECT_EQ(read_bytes(tmp_ / "b"), expected);
  // No terminal and no PIN in the URI.
  auto none = run_rproctee(with_key(uri("rsa-file"), "c"));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(has(none.err, "token ci needs a PIN and there is no terminal to ask on")) << none.err;
  EXPECT_FALSE(fs::exists(tmp_ / "c"));
}

TEST_F(Pkcs11Signing, MistakesNameTheTokenTheObjectOrThePin) {
  const std::string pin = std::string("pin-value=") + kPin;
  auto sign = [&](const std::string& key, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"sign", "--in",  vec("elf/rsc.elf"), "--key",
                                     key,    "--out", tmp_ / "x.sign"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_rproctee(args);
  };
  const std::vector<std::string> module = {"--pkcs11-module", kModule};
  auto wrong_pin = sign(uri("rsa-file", "pin-value=9999"), module);
  EXPECT_EQ(wrong_pin.exit_code, 1);
  EXPECT_TRUE(has(wrong_pin.err, "token ci: login to the token:")) << wrong_pin.err;
  EXPECT_TRUE(has(wrong_pin.err, "TEE_ERROR_ACCESS_DENIED")) << wrong_pin.err;
  EXPECT_FALSE(has(wrong_pin.err, "9999")) << wrong_pin.err;  // PINs are never printed
  auto no_token = sign("pkcs11:token=elsewhere;object=rsa-file?" + pin, module);
  EXPECT_TRUE(has(no_token.err, "matches pkcs11:token=elsewhere;object=rsa-file")) << no_token.err;
  EXPECT_TRUE(has(no_token.err, "(tokens: ci")) << no_token.err;
  auto no_object = sign(uri("missing", pin), module);
  EXPECT_TRUE(has(no_object.err, "token ci has no private key matching")) << no_object.err;
  auto no_module = sign(uri("rsa-file", pin));
  EXPECT_EQ(no_module.exit_code, 1);
  EXPECT_TRUE(has(no_module.err, "no PKCS#11 module for")) << no_module.err;
  auto not_a_uri = sign("pkcs11:token=ci;object=%zz", module);
  EXPECT_TRUE(has(not_a_uri.err, "is not a PKCS#11 URI (RFC 7512)")) << not_a_uri.err;
  auto pwd = sign(uri("rsa-file", pin), {"--pkcs11-module", kModule, "--key_pwd", "x"});
  EXPECT_TRUE(has(pwd.err, "--key_pwd is for key files")) << pwd.err;
  auto public_only = sign("pkcs11:token=ci;object=rsa-file;type=public?" + pin, module);
  EXPECT_TRUE(has(public_only.err, "names no private key")) << public_only.err;
  EXPECT_FALSE(fs::exists(tmp_ / "x.sign"));
}

}  // namespace
}  // namespace rproctee::test
