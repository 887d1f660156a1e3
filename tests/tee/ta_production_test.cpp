// security.md attack class 18 (H11): in production mode a description that trusts a published
// development key (rproctee's own, OP-TEE's default, ST's default) is refused at start-up,
// naming the key; `rproctee machine --production` exits 1 for the presets (which trust the
// rproctee development key) and starts with a description that trusts only a freshly generated
// key, which then loads images signed with that key and nothing else.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "dt/presets.hpp"
#include "platform/secure_config.hpp"
#include "support/run_command.hpp"
#include "ta_attack_support.hpp"

namespace rproctee::test {
namespace {

using namespace ta_attack;  // NOLINT(google-build-using-namespace)
using Bytes = std::vector<uint8_t>;
namespace fs = std::filesystem;

constexpr const char* kRefusal =
    "published with its private half: refusing to start in "
    "production mode";

crypto::PublicKey public_key(const fs::path& path) {
  auto key = crypto::PublicKey::load_file(path.string());
  if (!key) throw std::runtime_error(key.error().message);
  return *key;
}

fs::path optee_key() {
  return vectors_dir() / "keys" / "optee_default.pub.pem";
}
fs::path st_key() {
  return shared_vectors_dir() / "keys" / "st_default.pub.pem";
}
fs::path dev_key() {
  return repo_root() / "keys" / "rproctee-dev.pub.pem";
}

/// The preset's description with its keys replaced by `keys`.
platform::Description preset_trusting(const std::vector<std::pair<std::string, fs::path>>& keys) {
  auto d = platform::load_preset("stm32mp25");
  if (!d) throw std::runtime_error(d.error().message);
  d->secure.keys.clear();
  for (const auto& [name, path] : keys)
    if (!platform::trust_key(d->secure, public_key(path), name)) throw std::runtime_error("trust");
  return *d;
}

::testing::AssertionResult RefusedNaming(const Status& s, const std::string& key_name,
                                         const std::string& which) {
  if (s) return ::testing::AssertionFailure() << "accepted in production mode";
  if (s.error().code != TeeCode::kSecurity)
    return ::testing::AssertionFailure() << "code " << tee_code_name(s.error().code);
  const std::string want = fmt::format("trusted key \"{}\" is the {} key", key_name, which);
  if (s.error().message.find(want) == std::string::npos ||
      s.error().message.find(kRefusal) == std::string::npos)
    return ::testing::AssertionFailure()
           << "\"" << s.error().message << "\" does not say \"" << want << "\"";
  return ::testing::AssertionSuccess();
}

TEST(TaProduction, EveryPresetTrustsTheRprocteeDevelopmentKeyAndIsRefused) {
  for (const auto& p : dt::presets()) {
    SCOPED_TRACE(std::string(p.name));
    auto d = platform::load_preset(p.name);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(RefusedNaming(platform::check_production(*d), "rproctee-dev",
                              "rproctee development (RSA-3072)"));
  }
}

TEST(TaProduction, PublishedKeysAreRefusedWhereverTheyAppear) {
  EXPECT_TRUE(RefusedNaming(platform::check_production(preset_trusting({{"dev", dev_key()}})),
                            "dev", "rproctee development (RSA-3072)"));
  EXPECT_TRUE(RefusedNaming(platform::check_production(preset_trusting({{"optee", optee_key()}})),
                            "optee", "OP-TEE default (RSA-4096)"));
  // Among harmless keys, last in the list.
  EXPECT_TRUE(RefusedNaming(platform::check_production(preset_trusting(
                                {{"rsa2048", vectors_dir() / "keys" / "rsa2048.pub.pem"},
                                 {"p256", vectors_dir() / "keys" / "p256.pub.pem"},
                                 {"optee", optee_key()}})),
                            "optee", "OP-TEE default (RSA-4096)"));
  // A description from device tree source marks the key the same way.
  const platform::Description from_dts = description_from_dts(dts_from(stm32mp25_dtsi()));
  ASSERT_EQ(from_dts.secure.keys.size(), 1u);
  EXPECT_TRUE(from_dts.secure.keys[0].development);
  EXPECT_TRUE(RefusedNaming(platform::check_production(from_dts), "rproctee-dev",
                            "rproctee development (RSA-3072)"));
  // Controls: a key nobody published passes; no key at all does not.
  EXPECT_TRUE(platform::check_production(
      preset_trusting({{"rsa2048", vectors_dir() / "keys" / "rsa2048.pub.pem"}})));
  const Status none = platform::check_production(preset_trusting({}));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no trusted key: nothing could ever be loaded"),
            std::string::npos);
}

TEST(TaProduction, StsPublishedKeyIsRefused) {
  if (!fs::exists(st_key())) GTEST_SKIP() << "needs ../shared/vectors (ST's public key)";
  EXPECT_TRUE(RefusedNaming(platform::check_production(preset_trusting({{"st", st_key()}})), "st",
                            "ST default (RSA-2048)"));
}

TEST(TaProduction, MachineRefusesToStartWithThePresets) {
  TempDir tmp;
  for (const char* preset : {"stm32mp25", "stm32mp15", "stm32mp25-dual"}) {
    SCOPED_TRACE(preset);
    const std::string sock = tmp / fmt::format("{}.sock", preset);
    const auto r =
        run_rproctee({"machine", "--production", "--platform", preset, "--socket", sock});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("trusted key \"rproctee-dev\" is the rproctee development (RSA-3072) key"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("refusing to start in production mode"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("listening"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(sock));
  }
}

/// A .dts (for `--dtb`, compiled with cpp + dtc next to its key) trusting only `key_file`
/// (a file name in the same directory) with `algorithm`.
std::string dts_trusting(const std::string& key_file, const std::string& algorithm) {
  std::string dtsi = stm32mp25_dtsi();
  dtsi = replace_once(dtsi, "rproctee-dev {", "only-key {");
  dtsi = replace_once(dtsi, "algorithm = \"rsa-pkcs1-sha256\";",
                      fmt::format("algorithm = \"{}\";", algorithm));
  dtsi = replace_once(dtsi, "/incbin/(\"keys/rproctee-dev.pub.pem\")",
                      fmt::format("/incbin/(\"{}\")", key_file));
  return dts_from(dtsi, "rproctee production test board");
}

/// Writes `text` as DIR/board.dts with the peripheral map it includes beside it, as a user
/// copies a preset's sources; returns the .dts path.
std::string write_board(const TempDir& dir, const std::string& text) {
  fs::copy_file(repo_root() / "platforms" / "stm32mp25-peripherals.dtsi",
                dir.path() / "stm32mp25-peripherals.dtsi");
  const std::string dts = dir / "board.dts";
  write_bytes(dts, Bytes(text.begin(), text.end()));
  return dts;
}

/// `rproctee machine ...` in the background, its stderr collected.
class Background {
 public:
  explicit Background(const std::vector<std::string>& args) {
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      ::dup2(err[1], 2);
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      std::vector<std::string> argv = {rproctee_binary()};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> p;
      for (auto& a : argv) p.push_back(a.data());
      p.push_back(nullptr);
      ::execv(p[0], p.data());
      ::_exit(127);
    }
    ::close(err[1]);
    err_ = err[0];
  }
  ~Background() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (err_ >= 0) ::close(err_);
  }
  /// Reads stderr until it contains `needle` (true) or the process ends / `seconds` pass.
  bool wait_for(const std::string& needle, int seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (stderr_.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{err_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(err_, buf, sizeof buf);
      if (n <= 0) return false;
      stderr_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  /// SIGTERM, then the exit code (reading the rest of stderr).
  int terminate() {
    ::kill(pid_, SIGTERM);
    wait_for("\x01never", 10);  // drain until EOF
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& err() const { return stderr_; }

 private:
  pid_t pid_ = -1;
  int err_ = -1;
  std::string stderr_;
};

/// A board description trusting only a key made now (fresh.pem / fresh.pub.pem in `tmp`); the
/// path of its source, empty when keygen failed.
std::string board_trusting_a_fresh_key(const TempDir& tmp) {
  const auto keygen = run_rproctee(
      {"keygen", "--type", "p256", "--out", tmp / "fresh.pem", "--pubout", tmp / "fresh.pub.pem"});
  EXPECT_EQ(keygen.exit_code, 0) << keygen.err;
  if (keygen.exit_code != 0) return {};
  return write_board(tmp, dts_trusting("fresh.pub.pem", "ecdsa-p256-sha256"));
}

TEST(TaProduction, MachineStartsWithOnlyAFreshKeyAndLoadsOnlyItsImages) {
  TempDir tmp;
  const std::string dts = board_trusting_a_fresh_key(tmp);
  ASSERT_FALSE(dts.empty());

  // The same description plus a published key on the command line: refused, naming it.
  const auto with_optee = run_rproctee({"machine", "--production", "--dtb", dts, "--trust",
                                        optee_key().string(), "--socket", tmp / "x.sock"});
  EXPECT_EQ(with_optee.exit_code, 1) << with_optee.err;
  EXPECT_NE(with_optee.err.find("is the OP-TEE default (RSA-4096) key"), std::string::npos)
      << with_optee.err;

  // Only the fresh key: the machine starts and serves.
  const std::string sock = tmp / "m.sock";
  Background machine({"machine", "--production", "--dtb", dts, "--socket", sock});
  ASSERT_TRUE(machine.wait_for("listening", 60)) << machine.err();
  EXPECT_NE(machine.err().find("1 trusted key(s)"), std::string::npos) << machine.err();

  auto priv = crypto::PrivateKey::load_file(tmp / "fresh.pem", std::nullopt);
  ASSERT_TRUE(priv) << priv.error().message;
  auto signer = crypto::Signer::create(*priv);
  auto verifier = crypto::Verifier::create(priv->public_key());
  ASSERT_TRUE(signer && verifier);
  const TestKey fresh{*priv, *signer, *verifier};
  {
    RprocClient c("unix:" + sock);
    ASSERT_TRUE(c.initialized());
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
    const Bytes good = sign_elfs({make_firmware(4096, demo_resource_table())}, fresh);
    ASSERT_EQ(c.load(good), TEEC_SUCCESS) << c.last_error();
    ASSERT_EQ(c.start(), TEEC_SUCCESS);
    ASSERT_EQ(c.stop(), TEEC_SUCCESS);
    // Images signed with the development key (or a test key) are not trusted here.
    auto dev = crypto::PrivateKey::load_file((repo_root() / "keys" / "rproctee-dev.pem").string(),
                                             std::nullopt);
    ASSERT_TRUE(dev) << dev.error().message;
    auto dev_signer = crypto::Signer::create(*dev);
    auto dev_verifier = crypto::Verifier::create(dev->public_key());
    ASSERT_TRUE(dev_signer && dev_verifier);
    const TestKey dev_key_pair{*dev, *dev_signer, *dev_verifier};
    uint32_t origin = 0;
    EXPECT_EQ(
        c.load(sign_elfs({make_firmware(4096, demo_resource_table())}, dev_key_pair), &origin),
        TEE_ERROR_SIGNATURE_INVALID);
    EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
    EXPECT_EQ(c.load(demo_image(4096, "p256")), TEE_ERROR_SIGNATURE_INVALID);
  }
  // SIGTERM right after "listening" is an orderly stop: exit 0, socket file removed.
  EXPECT_EQ(machine.terminate(), 0) << machine.err();
  EXPECT_NE(machine.err().find("stopped"), std::string::npos) << machine.err();
  EXPECT_FALSE(fs::exists(sock));
}

TEST(TaProduction, MachineRefusesTheDebuggerAndDumpabilityInProductionMode) {
  TempDir tmp;
  const std::string dts = board_trusting_a_fresh_key(tmp);
  ASSERT_FALSE(dts.empty());
  const auto with_gdb = run_rproctee(
      {"machine", "--production", "--dtb", dts, "--gdb", "3333", "--socket", tmp / "g.sock"});
  EXPECT_EQ(with_gdb.exit_code, 1) << with_gdb.err;
  EXPECT_NE(with_gdb.err.find("--gdb serves every memory of the cores, firewalled ones included, "
                              "to any local process that connects to 127.0.0.1:3333"),
            std::string::npos)
      << with_gdb.err;
  const auto with_debug = run_rproctee(
      {"machine", "--production", "--dtb", dts, "--debug", "--socket", tmp / "d.sock"});
  EXPECT_EQ(with_debug.exit_code, 1) << with_debug.err;
  EXPECT_NE(with_debug.err.find("--debug leaves the machine's keys to core dumps and ptrace"),
            std::string::npos)
      << with_debug.err;
  EXPECT_FALSE(fs::exists(tmp / "g.sock") || fs::exists(tmp / "d.sock"));
}

TEST(TaProduction, MachineRefusesADescriptionTrustingAPublishedKeyByIncbin) {
  TempDir tmp;
  fs::copy_file(optee_key(), tmp.path() / "optee.pub.pem");
  const std::string dts = write_board(tmp, dts_trusting("optee.pub.pem", "rsa-pkcs1-sha256"));
  const auto r =
      run_rproctee({"machine", "--production", "--dtb", dts, "--socket", tmp / "m.sock"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("trusted key \"only-key\" is the OP-TEE default (RSA-4096) key"),
            std::string::npos)
      << r.err;
  // Without --production the same description starts (development use).
  Background machine({"machine", "--dtb", dts, "--socket", tmp / "dev.sock"});
  ASSERT_TRUE(machine.wait_for("listening", 60)) << machine.err();
  EXPECT_EQ(machine.terminate(), 0) << machine.err();
  EXPECT_FALSE(fs::exists(tmp / "dev.sock"));
}

}  // namespace
}  // namespace rproctee::test
