// Replays every seed-corpus file and every crash reproducer of each fuzz target through the
// target's entry point (fuzz/fuzz_entry_points.hpp), so that the release and ASan builds run
// what the fuzzers found; and checks that fuzz_verify's container mode really gets past the
// signature. An entry point that finds a violated invariant stops the binary (__builtin_trap):
// the "replaying" line before the crash names the input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_entry_points.hpp"
#include "fuzz_gdb_packet_entry.hpp"
#include "fuzz_local_inputs_entry.hpp"
#include "fuzz_rpmsg_entry.hpp"
#include "fuzz_sysfs_entry.hpp"
#include "fuzz_tee_message_entry.hpp"
#include "support/image_crafting.hpp"
#include "support/test_data.hpp"

namespace rproctee::fuzz {
namespace {

namespace fs = std::filesystem;

const fs::path kFuzzDir = RPROCTEE_FUZZ_DIR;

struct Target {
  const char* name;
  void (*run)(std::span<const uint8_t>);
};

void PrintTo(const Target& t, std::ostream* os) {
  *os << t.name;
}

/// The input files of a folder (not README*, not hidden), sorted; none when it is absent.
std::vector<fs::path> inputs(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.rfind("README", 0) != 0 && name[0] != '.')
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void replay(const Target& target, const std::vector<fs::path>& files) {
  for (const fs::path& file : files) {
    std::printf("[ replaying ] %s %s\n", target.name, file.string().c_str());
    std::fflush(stdout);
    const auto bytes = test::read_bytes(file);
    target.run(bytes);
  }
}

class FuzzRegressions : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzRegressions, SeedCorpus) {
  const auto files = inputs(kFuzzDir / "corpus" / GetParam().name);
  EXPECT_GE(files.size(), 5u) << "seed corpus fuzz/corpus/" << GetParam().name;
  replay(GetParam(), files);
}

TEST_P(FuzzRegressions, CrashReproducers) {
  const fs::path dir = kFuzzDir / "regressions" / GetParam().name;
  EXPECT_TRUE(fs::is_directory(dir)) << dir;
  replay(GetParam(), inputs(dir));
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegressions,
                         ::testing::Values(Target{"fuzz_inspect", fuzz_inspect_one},
                                           Target{"fuzz_verify", fuzz_verify_one},
                                           Target{"fuzz_elf32", fuzz_elf32_one},
                                           Target{"fuzz_resource_table", fuzz_resource_table_one},
                                           Target{"fuzz_tee_message", fuzz_tee_message_one},
                                           Target{"fuzz_rpmsg", fuzz_rpmsg_one},
                                           Target{"fuzz_sysfs", fuzz_sysfs_one},
                                           Target{"fuzz_state_dir", fuzz_state_dir_one},
                                           Target{"fuzz_client_limits", fuzz_client_limits_one},
                                           Target{"fuzz_control", fuzz_control_one},
                                           Target{"fuzz_device_tree", fuzz_device_tree_one},
                                           Target{"fuzz_gdb_packet", fuzz_gdb_packet_one}),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(FuzzTeeMessage, GeneratedSeedsAreCommitted) {
  // fuzz/corpus/fuzz_tee_message/seed-N.bin are fuzz_tee_message_seeds(): keep them in step.
  const auto seeds = fuzz_tee_message_seeds();
  for (size_t i = 0; i < seeds.size(); ++i) {
    const fs::path file =
        kFuzzDir / "corpus" / "fuzz_tee_message" / ("seed-" + std::to_string(i) + ".bin");
    if (std::getenv("RPROCTEE_FUZZ_WRITE_SEEDS")) test::write_bytes(file, seeds[i]);
    ASSERT_TRUE(fs::exists(file)) << file << " (regenerate with RPROCTEE_FUZZ_WRITE_SEEDS=1)";
    EXPECT_EQ(test::read_bytes(file), seeds[i]) << file;
    fuzz_tee_message_one(seeds[i]);
  }
}

TEST(FuzzSysfs, HandWrittenSeedsAreCommitted) {
  // fuzz/corpus/fuzz_sysfs/seed-N.bin are fuzz_sysfs_seeds(): keep them in step.
  const auto seeds = fuzz_sysfs_seeds();
  for (size_t i = 0; i < seeds.size(); ++i) {
    const fs::path file =
        kFuzzDir / "corpus" / "fuzz_sysfs" / ("seed-" + std::to_string(i) + ".bin");
    if (std::getenv("RPROCTEE_FUZZ_WRITE_SEEDS")) test::write_bytes(file, seeds[i]);
    ASSERT_TRUE(fs::exists(file)) << file << " (regenerate with RPROCTEE_FUZZ_WRITE_SEEDS=1)";
    EXPECT_EQ(test::read_bytes(file), seeds[i]) << file;
  }
}

/// The hand-written seeds of the local-input targets pass their own checks; with
/// RPROCTEE_FUZZ_WRITE_SEEDS they are (re)written as fuzz/corpus/<target>/seed-N.bin (the state
/// directory's hold a random device key: they are not compared).
TEST(FuzzLocalInputs, HandWrittenSeedsHoldTheirInvariants) {
  const struct {
    const char* name;
    std::vector<std::vector<uint8_t>> seeds;
    void (*run)(std::span<const uint8_t>);
  } targets[] = {{"fuzz_state_dir", fuzz_state_dir_seeds(), fuzz_state_dir_one},
                 {"fuzz_client_limits", fuzz_client_limits_seeds(), fuzz_client_limits_one},
                 {"fuzz_control", fuzz_control_seeds(), fuzz_control_one},
                 {"fuzz_device_tree", fuzz_device_tree_seeds(), fuzz_device_tree_one}};
  for (const auto& t : targets) {
    for (size_t i = 0; i < t.seeds.size(); ++i) {
      const fs::path file = kFuzzDir / "corpus" / t.name / ("seed-" + std::to_string(i) + ".bin");
      if (std::getenv("RPROCTEE_FUZZ_WRITE_SEEDS")) test::write_bytes(file, t.seeds[i]);
      EXPECT_TRUE(fs::exists(file)) << file << " (write with RPROCTEE_FUZZ_WRITE_SEEDS=1)";
      t.run(t.seeds[i]);
    }
  }
}

TEST(FuzzVerifyContainers, SeedsAreAuthenticAndCommitted) {
  const auto seeds = fuzz_verify_container_seeds();
  ASSERT_EQ(seeds.size(), fuzz_verify_container_count());
  for (size_t i = 0; i < seeds.size(); ++i) {
    const auto report = fuzz_verify_run(seeds[i]);
    EXPECT_TRUE(report.authentic())
        << "container " << i << ": " << report.check << ": " << report.error.message;
  }
  // The committed copies are what the set-up generates (else: fuzz/corpus/make_corpus.py).
  for (const auto& [name, bytes] : fuzz_generated_files()) {
    const fs::path target = name.starts_with("container-") ? "fuzz_verify"
                            : name.ends_with(".elf")       ? "fuzz_elf32"
                                                           : "fuzz_resource_table";
    const fs::path path = kFuzzDir / "corpus" / target / name;
    ASSERT_TRUE(fs::exists(path)) << path << ": regenerate with fuzz/corpus/make_corpus.py";
    EXPECT_TRUE(test::read_bytes(path) == bytes)
        << path << " is stale: regenerate with fuzz/corpus/make_corpus.py";
  }
}

TEST(FuzzVerifyContainers, EncryptedContainerIsDecrypted) {
  const auto seeds = fuzz_verify_container_seeds();
  ASSERT_GE(seeds.size(), 4u);
  const auto report = fuzz_verify_run(seeds[3]);
  ASSERT_TRUE(report.authentic()) << report.error.message;
  ASSERT_TRUE(report.tlvs && report.tlvs->encrypted);
  ASSERT_EQ(report.images.size(), 1u);
  for (const auto& s : report.images[0].segments) EXPECT_TRUE(s.decrypted);
  EXPECT_TRUE(report.images[0].rsc_table.has_value());
}

// The fuzzed bytes are the images area behind a valid signature: changes reach the checks
// after it, which is the point of the container mode.
TEST(FuzzVerifyContainers, MutationsReachTheChecksAfterTheSignature) {
  const auto seed = fuzz_verify_container_seeds().at(0);  // selector 0 + the mini-rsc ELF
  const std::span<const uint8_t> elf = std::span(seed).subspan(1);
  const uint32_t shoff = test::get_u32(elf, 32);
  const uint32_t code_offset = test::get_u32(elf, 52 + 4);  // p_offset of the first PT_LOAD

  auto code = seed;
  code[1 + code_offset + 0x40] ^= 0xFF;
  auto r = fuzz_verify_run(code);
  EXPECT_EQ(r.check, "segment digests");
  EXPECT_EQ(r.error.code, TeeCode::kSecurity);

  auto section = seed;  // .resource_table (section 3) sh_addr no longer matches its segment
  test::put_u32(section, 1 + shoff + 3 * 40 + 12, 0x80a00010);
  r = fuzz_verify_run(section);
  EXPECT_EQ(r.check, "resource table");
  EXPECT_EQ(r.error.code, TeeCode::kBadFormat);

  auto phdr = seed;  // a program header that differs from the signed table
  phdr[1 + 52 + 16] ^= 0x01;
  r = fuzz_verify_run(phdr);
  EXPECT_EQ(r.check, "program headers");
  EXPECT_EQ(r.error.code, TeeCode::kSecurity);

  auto shorter = std::vector<uint8_t>(seed.begin(), seed.begin() + 100);  // zero-padded
  r = fuzz_verify_run(shorter);
  EXPECT_TRUE(r.key_index.has_value());
  EXPECT_FALSE(r.authentic());
}

TEST(FuzzVerifyContainers, WholeFilesVerifyWithTheRsa2048Key) {
  const auto file = test::read_bytes(test::vectors_dir() / "signed" / "rsa2048_single.sign");
  const auto report = fuzz_verify_run(file);
  EXPECT_TRUE(report.authentic()) << report.check << ": " << report.error.message;
  const auto other = test::read_bytes(test::vectors_dir() / "signed" / "p256_single.sign");
  EXPECT_EQ(fuzz_verify_run(other).error.code, TeeCode::kSignatureInvalid);
}

}  // namespace
}  // namespace rproctee::fuzz
