// The core-dump policy the secure world enforces (security.md, issue 15 item 1): GET_COREDUMP,
// over both transports, right after LOAD_FW and while running, for each policy of the
// secure-world node (`coredump = "normal-world" | "full" | "sealed"`):
// - default: PT_LOADs for exactly the regions the normal world may map; the firewalled ones
//   are absent (no PT_LOAD), so the markers the firmware carries there are not in the dump;
// - "full": every region in clear (development; check_production refuses it);
// - "sealed": the firewalled regions only in the sealed section, readable with the debug key
//   (RSA-OAEP or ECDH P-256), refused with another key or after any change;
// - an ST-encrypted image (a crafted one and the shared st_encrypted vector): the plaintext
//   decrypted at LOAD is in no dump, whatever the policy.
// And the secure-world node's coredump properties are checked when the platform is read;
// "full" is refused by --production and warned about otherwise.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli/machine_options.hpp"
#include "coredump_support.hpp"
#include "crypto/keys.hpp"
#include "dt/device_tree.hpp"
#include "image/sealed_core.hpp"
#include "image/sealed_core_open.hpp"
#include "platform/secure_config.hpp"
#include "support/run_command.hpp"

namespace rproctee::test {
namespace {

using namespace coredump;  // NOLINT(google-build-using-namespace)

crypto::PrivateKey private_key(const std::string& name) {
  auto key = crypto::PrivateKey::load_file(key_path(name, false), std::nullopt);
  if (!key) throw std::runtime_error(key.error().message);
  return *key;
}

/// The processor-0 regions of the machine, split by what the firewall lets the normal world map.
struct Regions {
  std::vector<dt::Region> open, firewalled;
};
Regions regions_of(MachineUnderTest& m) {
  const auto& d = m.machine().description();
  Regions out;
  for (size_t r : d.layout.processor(0)->regions)
    (platform::exported_to_normal_world(d, r) ? out.open : out.firewalled)
        .push_back(d.layout.regions[r]);
  return out;
}

/// The core has one PT_LOAD per region of `regions`, exactly (da == pa on the M33), and nothing
/// else.
::testing::AssertionResult LoadsExactly(const Core& core, const std::vector<dt::Region>& regions) {
  if (core.loads.size() != regions.size())
    return ::testing::AssertionFailure()
           << core.loads.size() << " PT_LOADs for " << regions.size() << " regions";
  for (const dt::Region& r : regions) {
    const bool found = std::any_of(core.loads.begin(), core.loads.end(), [&](const auto& p) {
      return p.paddr == r.pa && p.vaddr == r.pa && p.filesz == r.size && p.memsz == r.size;
    });
    if (!found) return ::testing::AssertionFailure() << "no PT_LOAD for region " << r.name;
  }
  return ::testing::AssertionSuccess();
}

/// Neither marker is anywhere in the file, and no PT_LOAD touches a firewalled region.
::testing::AssertionResult HoldsNoSecureByte(const Core& core, const Regions& regions) {
  for (const Bytes& m : {code_marker(), data_marker()})
    if (contains(core.file, m))
      return ::testing::AssertionFailure()
             << "the dump holds \"" << std::string(m.begin(), m.end()) << "\"";
  for (const dt::Region& r : regions.firewalled)
    if (core.covers_any(r.pa, r.size))
      return ::testing::AssertionFailure() << "a PT_LOAD covers firewalled region " << r.name;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult HoldsBothMarkers(const Core& core) {
  if (core.at(kCodeDa + kMarkerOffset, 64) != code_marker())
    return ::testing::AssertionFailure() << "no code marker at its address";
  if (core.at(kDataDa + kMarkerOffset, 64) != data_marker())
    return ::testing::AssertionFailure() << "no data marker at its address";
  return ::testing::AssertionSuccess();
}

class TaCoredumpPolicy : public ::testing::TestWithParam<TransportKind> {
 protected:
  /// A machine with `config`, a session on processor 0, the marker image loaded.
  void Load(MachineConfig config, const Bytes& image = marker_image()) {
    c_.reset();  // the client of the previous machine goes first
    m_ = std::make_unique<MachineUnderTest>(GetParam(), std::move(config));
    c_ = std::make_unique<RprocClient>(m_->tee_name());
    ASSERT_EQ(c_->open(0), TEEC_SUCCESS);
    ASSERT_EQ(c_->load(image), TEEC_SUCCESS) << c_->last_error();
  }
  std::unique_ptr<MachineUnderTest> m_;
  std::unique_ptr<RprocClient> c_;
};

TEST_P(TaCoredumpPolicy, DefaultHoldsOnlyTheNonSecureRegionsRightAfterLoadAndWhileRunning) {
  ASSERT_NO_FATAL_FAILURE(Load({}));
  // The markers are in memory (the dump must be what hides them).
  ASSERT_EQ(m_->read(kCodeDa + kMarkerOffset, 64), code_marker());
  const Regions regions = regions_of(*m_);
  ASSERT_FALSE(regions.firewalled.empty());
  ASSERT_FALSE(regions.open.empty());
  for (bool started : {false, true}) {
    SCOPED_TRACE(started ? "running" : "right after LOAD_FW");
    if (started) {
      ASSERT_EQ(c_->start(), TEEC_SUCCESS);
    }
    const Core core = Core::parse(get_coredump(*c_));
    EXPECT_TRUE(HoldsNoSecureByte(core, regions));
    EXPECT_TRUE(LoadsExactly(core, regions.open));
    EXPECT_FALSE(core.has_section(std::string(image::kSealedSectionName)));
    // What the normal world may read is there: the resource table in ipc-shmem.
    const Bytes table = normal_world_resource_table();
    EXPECT_EQ(core.at(kTableDa, table.size()), table);
  }
  ASSERT_EQ(c_->stop(), TEEC_SUCCESS);
}

TEST_P(TaCoredumpPolicy, ExplicitNormalWorldIsTheDefault) {
  ASSERT_NO_FATAL_FAILURE(Load(policy_config("normal-world")));
  const Regions regions = regions_of(*m_);
  const Core core = Core::parse(get_coredump(*c_));
  EXPECT_TRUE(HoldsNoSecureByte(core, regions));
  EXPECT_TRUE(LoadsExactly(core, regions.open));
}

TEST_P(TaCoredumpPolicy, FullHoldsEveryRegionInClear) {
  ASSERT_NO_FATAL_FAILURE(Load(policy_config("full")));
  const Regions regions = regions_of(*m_);
  std::vector<dt::Region> all = regions.open;
  all.insert(all.end(), regions.firewalled.begin(), regions.firewalled.end());
  const Core core = Core::parse(get_coredump(*c_));
  EXPECT_TRUE(LoadsExactly(core, all));
  EXPECT_TRUE(HoldsBothMarkers(core));
}

TEST_P(TaCoredumpPolicy, SealedHidesTheFirewalledRegionsFromAllButTheDebugKey) {
  for (const std::string debug : {"rsa2048", "p256"}) {
    SCOPED_TRACE(debug);
    ASSERT_NO_FATAL_FAILURE(Load(policy_config("sealed", debug)));
    const Regions regions = regions_of(*m_);
    const Bytes dump = get_coredump(*c_);
    const Core core = Core::parse(dump);
    EXPECT_TRUE(HoldsNoSecureByte(core, regions));
    EXPECT_TRUE(LoadsExactly(core, regions.open));
    EXPECT_TRUE(core.has_section(std::string(image::kSealedSectionName)));
    // A fresh data key and IV per dump: two dumps of the same memory differ.
    EXPECT_NE(get_coredump(*c_), dump);

    // The key's owner gets every region back, the markers at their addresses.
    auto opened = image::open_sealed_coredump(dump, "dump", private_key(debug), debug);
    ASSERT_TRUE(opened) << opened.error().message;
    std::vector<dt::Region> all = regions.open;
    all.insert(all.end(), regions.firewalled.begin(), regions.firewalled.end());
    const Core plain = Core::parse(opened->elf);
    EXPECT_TRUE(LoadsExactly(plain, all));
    EXPECT_TRUE(HoldsBothMarkers(plain));
    EXPECT_EQ(opened->sealed.regions.size(), regions.firewalled.size());
    EXPECT_EQ(opened->sealed.recipient, private_key(debug).public_key().fingerprint());

    // Another key of the same kind: refused, naming the key the dump was sealed for.
    auto other = debug == "rsa2048"
                     ? crypto::PrivateKey::load_file(key_path("rsa3072", false), std::nullopt)
                     : crypto::PrivateKey::generate(crypto::KeySpec::kP256);
    ASSERT_TRUE(other);
    auto wrong = image::open_sealed_coredump(dump, "dump", *other, "other.pem");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, TeeCode::kSecurity);
    EXPECT_EQ(wrong.error().message,
              fmt::format("the dump was sealed for key SHA256:{} not for other.pem (SHA256:{})",
                          private_key(debug).public_key().fingerprint(),
                          other->public_key().fingerprint()));
    ASSERT_EQ(c_->release(), TEEC_SUCCESS);
  }
}

TEST_P(TaCoredumpPolicy, EncryptedImageIsNeverInPlaintextWhateverThePolicy) {
  const auto aes = st_aes_key();
  if (!aes) GTEST_SKIP() << "needs ../shared/vectors (ST's AES test key)";
  const Bytes image = marker_image(aes);
  ASSERT_FALSE(contains(image, code_marker()));  // really encrypted in the file
  for (const std::string policy : {"", "normal-world", "full", "sealed"}) {
    SCOPED_TRACE("policy " + policy);
    ASSERT_NO_FATAL_FAILURE(
        Load(policy_config(policy, policy == "sealed" ? "p256" : "", aes), image));
    ASSERT_EQ(m_->read(kCodeDa + kMarkerOffset, 64), code_marker());  // decrypted in memory
    ASSERT_EQ(c_->start(), TEEC_SUCCESS);
    Bytes dump = get_coredump(*c_);
    if (policy == "sealed") {
      auto opened = image::open_sealed_coredump(dump, "dump", private_key("p256"), "p256");
      ASSERT_TRUE(opened) << opened.error().message;
      dump = opened->elf;
    }
    const Core core = Core::parse(dump);
    for (const Bytes& m : {code_marker(), data_marker()})
      EXPECT_FALSE(contains(core.file, m)) << std::string(m.begin(), m.end());
    // Not a byte of any decrypted segment (its file size) is covered, not even the resource
    // table decrypted into ipc-shmem; the rest of ipc-shmem is.
    EXPECT_FALSE(core.covers_any(kCodeDa, 0x400));
    EXPECT_FALSE(core.covers_any(kDataDa, 0x200));
    EXPECT_FALSE(core.covers_any(kTableDa, 0x10));
    EXPECT_TRUE(core.covers_any(kTableDa + 0x1000, 0x10));
    if (policy == "full" || policy == "sealed") {
      // The rest of the firewalled regions is there: the .bss after the data segment.
      EXPECT_TRUE(core.covers_any(kDataDa + 0x200, 0x10));
      EXPECT_TRUE(core.covers_any(kCodeDa + 0x400, 0x10));
    }
    ASSERT_EQ(c_->stop(), TEEC_SUCCESS);
  }
}

TEST_P(TaCoredumpPolicy, StEncryptedVectorIsNeverInPlaintextEvenInAFullDump) {
  if (!have_shared_vectors()) GTEST_SKIP() << "needs ../shared/vectors";
  MachineConfig config = policy_config("full", "", st_aes_key());
  config.trust = {};
  config.trust_files = {(shared_vectors_dir() / "keys" / "st_default.pub.pem").string()};
  ASSERT_NO_FATAL_FAILURE(
      Load(config, read_bytes(shared_vectors_dir() / "signed" / "st_encrypted.sign")));
  // The plaintext ELF the vector was encrypted from: its two segments (0x90 bytes each).
  const Bytes plain = read_bytes(vectors_dir() / "elf" / "rsc_aligned16.elf");
  const Bytes code(plain.begin() + 0x1000, plain.begin() + 0x1090);
  const Bytes table(plain.begin() + 0x2000, plain.begin() + 0x2090);
  ASSERT_EQ(m_->read(0x80100000, 0x90), code);
  const Core core = Core::parse(get_coredump(*c_));
  EXPECT_FALSE(contains(core.file, code));
  EXPECT_FALSE(contains(core.file, table));
  EXPECT_FALSE(core.covers_any(0x80100000, 0x90));
  EXPECT_FALSE(core.covers_any(0x80a00000, 0x90));
  EXPECT_TRUE(core.covers_any(0x80100090, 0x10));  // the rest of the region: a full dump
}

INSTANTIATE_TEST_SUITE_P(Transports, TaCoredumpPolicy,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         ta_attack::transport_param_name);

// --- the secure-world node ---

/// The description of policy_dts(...), or its error message.
std::string parse_error(const std::string& policy, const std::string& key_file) {
  try {
    (void)description_from_dts(policy_dts(policy, key_file));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(TaCoredumpPolicyConfig, PoliciesAreReadFromTheSecureWorldNode) {
  const auto policy_of = [](const std::string& policy, const std::string& key) {
    const auto d = description_from_dts(policy_dts(policy, key));
    return d.secure.processor(0)->coredump;
  };
  EXPECT_EQ(policy_of("", ""), platform::CoredumpPolicy::kNormalWorld);
  EXPECT_EQ(policy_of("normal-world", ""), platform::CoredumpPolicy::kNormalWorld);
  EXPECT_EQ(policy_of("full", ""), platform::CoredumpPolicy::kFull);
  EXPECT_EQ(policy_of("sealed", key_path("p256", true)), platform::CoredumpPolicy::kSealed);
  const auto d = description_from_dts(policy_dts("sealed", key_path("rsa2048", true)));
  ASSERT_TRUE(d.secure.processor(0)->coredump_key);
  EXPECT_EQ(d.secure.processor(0)->coredump_key->fingerprint(),
            private_key("rsa2048").public_key().fingerprint());
  // The normal world's device tree says nothing about it.
  auto nw = dt::DeviceTree::from_blob(d.normal_world_dtb, "normal world");
  ASSERT_TRUE(nw);
  EXPECT_TRUE(nw->find_compatible(dt::kSecureWorldCompatible).empty());
}

TEST(TaCoredumpPolicyConfig, BadPropertiesAreRefusedNamingTheField) {
  EXPECT_NE(parse_error("everything", "")
                .find("property \"coredump\" is \"everything\": expected \"normal-world\", "
                      "\"full\" or \"sealed\""),
            std::string::npos)
      << parse_error("everything", "");
  EXPECT_NE(parse_error("sealed", "")
                .find("property \"coredump-key\" is missing: coredump = \"sealed\" needs the debug "
                      "public key"),
            std::string::npos)
      << parse_error("sealed", "");
  EXPECT_NE(
      parse_error("full", key_path("p256", true))
          .find(
              "property \"coredump-key\" is set but coredump is \"full\": only \"sealed\" uses it"),
      std::string::npos)
      << parse_error("full", key_path("p256", true));
  EXPECT_NE(parse_error("", key_path("p256", true))
                .find("property \"coredump-key\" is set but coredump is \"normal-world\""),
            std::string::npos);
  // Not a key at all (an ELF file), and an RSA key too small.
  EXPECT_NE(
      parse_error("sealed", (vectors_dir() / "elf" / "tfm.elf").string()).find("coredump-key"),
      std::string::npos);
  TempDir tmp;
  const auto r = run_command({"/usr/bin/openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                              "rsa_keygen_bits:1024", "-out", tmp / "small.pem"});
  if (r.exit_code == 0) {
    ASSERT_EQ(run_command({"/usr/bin/openssl", "pkey", "-in", tmp / "small.pem", "-pubout", "-out",
                           tmp / "small.pub.pem"})
                  .exit_code,
              0);
    EXPECT_NE(parse_error("sealed", tmp / "small.pub.pem")
                  .find("is RSA-1024: an RSA debug key needs at least 2048 bits"),
              std::string::npos)
        << parse_error("sealed", tmp / "small.pub.pem");
  }
}

// --- production mode ---

/// policy_dts trusting only the rsa2048 test key (a key nobody published).
std::string production_dts(const std::string& policy, const std::string& key_file = "") {
  std::string dts = policy_dts(policy, key_file);
  return ta_attack::replace_once(
      dts, (ta_attack::repo_root() / "keys" / "rproctee-dev.pub.pem").string(),
      key_path("rsa2048", true));
}

TEST(TaCoredumpProduction, FullIsRefusedAtStartUpTheOthersPass) {
  const Status full = platform::check_production(description_from_dts(production_dts("full")));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, TeeCode::kSecurity);
  EXPECT_NE(full.error().message.find(
                "processor m33 (rproc-id 0) has coredump = \"full\", which hands its firewalled "
                "memories to the normal world in core dumps: refusing to start in production "
                "mode"),
            std::string::npos)
      << full.error().message;
  EXPECT_TRUE(platform::check_production(description_from_dts(production_dts(""))));
  EXPECT_TRUE(platform::check_production(
      description_from_dts(production_dts("sealed", key_path("p256", true)))));

  // The machine process: exit 1 with the reason, nothing listening.
  TempDir tmp;
  const std::string text = production_dts("full");
  write_bytes(tmp / "full.dts", Bytes(text.begin(), text.end()));
  const auto r = run_rproctee(
      {"machine", "--production", "--dtb", tmp / "full.dts", "--socket", tmp / "m.sock"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("coredump = \"full\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("refusing to start in production mode"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp / "m.sock"));

  // Without --production the machine starts with "full", and says what it means.
  cli::MachineArgs args;
  args.dtb = tmp / "full.dts";
  ::testing::internal::CaptureStderr();
  const auto d = cli::load_machine_description(args, "rproctee machine");
  const std::string warning = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_NE(warning.find("rproctee machine: warning: processor id 0 has coredump = \"full\": its "
                         "core dumps hand the firewalled memories to the normal world: "
                         "development use only"),
            std::string::npos)
      << warning;
}

}  // namespace
}  // namespace rproctee::test
