// Throughput of signing and verifying firmware images, beside their physical limit: one
// SHA-256 pass over the same bytes. Every image is a firmware ELF (tests/support
// make_firmware) whose code segment is 64 KiB or 16 MiB, built once per size; every figure
// reports bytes/s of that ELF so that the ratios to BM_Sha256 can be read directly.
//
//   BM_Sha256/<size>           one SHA-256 pass over as many bytes as the ELF holds
//   BM_Sign/<key>/<size>       the library path of `rproctee sign` (no file I/O):
//                              check_loadable + build_unsigned + Signer::sign + assemble
//   BM_Verify/<key>/<size>     verify_signed_image of that signed image with the right key
//   BM_LoadPrivateKey/<key>    PrivateKey::from_bytes of a PKCS#8 PEM (the fixed cost of sign)
//   BM_LoadPublicKey/<key>     PublicKey::from_bytes of an SPKI PEM (the fixed cost of verify)
//
// Each benchmark runs 5 repetitions and reports mean / median / stddev / cv; bench/run.sh
// reads the medians from its JSON output (--benchmark_out_format=json).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/keys.hpp"
#include "crypto/sha256.hpp"
#include "crypto/signature.hpp"
#include "image/builder.hpp"
#include "image/verify.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/test_data.hpp"

namespace {

using rproctee::test::TestKey;

constexpr int kRepetitions = 5;

struct Size {
  const char* label;
  size_t code_size;
};
constexpr Size kSizes[] = {{"64KiB", size_t{64} << 10}, {"16MiB", size_t{16} << 20}};
constexpr const char* kKeys[] = {"rsa3072", "p256"};

/// The firmware ELF of one code size, built on first use and kept for the whole run.
const std::vector<uint8_t>& firmware(size_t code_size) {
  static std::map<size_t, std::unique_ptr<std::vector<uint8_t>>> cache;
  auto& slot = cache[code_size];
  if (!slot)
    slot = std::make_unique<std::vector<uint8_t>>(
        rproctee::test::make_firmware(code_size, rproctee::test::demo_resource_table()));
  return *slot;
}

/// That firmware signed with a test key (through the same library path as BM_Sign).
const std::vector<uint8_t>& signed_firmware(size_t code_size, const std::string& key) {
  static std::map<std::pair<size_t, std::string>, std::unique_ptr<std::vector<uint8_t>>> cache;
  auto& slot = cache[{code_size, key}];
  if (!slot)
    slot = std::make_unique<std::vector<uint8_t>>(
        rproctee::test::sign_elfs({firmware(code_size)}, rproctee::test::test_key(key)));
  return *slot;
}

void set_bytes(benchmark::State& state, size_t bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_Sha256(benchmark::State& state, size_t code_size) {
  const auto& elf = firmware(code_size);
  for (auto _ : state) {
    auto digest = rproctee::crypto::Sha256::of(elf);
    benchmark::DoNotOptimize(digest);
  }
  set_bytes(state, elf.size());
}

void BM_Sign(benchmark::State& state, size_t code_size, const std::string& key_name) {
  const auto& elf = firmware(code_size);
  const TestKey& key = rproctee::test::test_key(key_name);
  rproctee::image::BuildParams params;
  params.images.push_back({"firmware.elf", elf});
  params.sign_type = key.priv.algorithm() == rproctee::crypto::KeyAlgorithm::kRsa ? 1 : 2;
  params.signature_size = static_cast<uint32_t>(key.signer.signature_size());
  uint64_t file_size = 0;
  for (auto _ : state) {
    if (auto lint = rproctee::image::check_loadable(params); !lint) {
      state.SkipWithError(lint.error().message.c_str());
      break;
    }
    auto unsigned_image = rproctee::image::build_unsigned(params);
    if (!unsigned_image) {
      state.SkipWithError(unsigned_image.error().message.c_str());
      break;
    }
    auto signature = key.signer.sign(unsigned_image->digest());
    if (!signature) {
      state.SkipWithError(signature.error().message.c_str());
      break;
    }
    auto file = rproctee::image::assemble(*unsigned_image, *signature);
    if (!file) {
      state.SkipWithError(file.error().message.c_str());
      break;
    }
    file_size = file->size();
    benchmark::DoNotOptimize(file->parts.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, elf.size());
  state.counters["signed_file_bytes"] = static_cast<double>(file_size);
}

void BM_Verify(benchmark::State& state, size_t code_size, const std::string& key_name) {
  const auto& file = signed_firmware(code_size, key_name);
  rproctee::image::VerifyOptions options;
  options.keys.push_back(rproctee::test::test_key(key_name).verifier);
  for (auto _ : state) {
    const auto report = rproctee::image::verify_signed_image(file, options);
    if (!report.authentic()) {
      state.SkipWithError(report.error.message.c_str());
      break;
    }
    benchmark::DoNotOptimize(report.images.data());
  }
  set_bytes(state, firmware(code_size).size());
}

std::vector<uint8_t> key_file(const std::string& name) {
  return rproctee::test::read_bytes(rproctee::test::vectors_dir() / "keys" / name);
}

void BM_LoadPrivateKey(benchmark::State& state, const std::string& key_name) {
  const auto pem = key_file(key_name + ".pem");
  for (auto _ : state) {
    auto key = rproctee::crypto::PrivateKey::from_bytes(pem, key_name, std::nullopt);
    if (!key) {
      state.SkipWithError(key.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(key->get());
  }
}

void BM_LoadPublicKey(benchmark::State& state, const std::string& key_name) {
  const auto pem = key_file(key_name + ".pub.pem");
  for (auto _ : state) {
    auto key = rproctee::crypto::PublicKey::from_bytes(pem, key_name);
    if (!key) {
      state.SkipWithError(key.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(key->get());
  }
}

/// Settings shared by every benchmark: repetitions for a stable median, a unit that fits the
/// size (ms for 16 MiB, us below).
benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b, size_t code_size) {
  b->Repetitions(kRepetitions)->ReportAggregatesOnly(true);
  if (code_size >= (size_t{1} << 20)) {
    b->Unit(benchmark::kMillisecond)->MinTime(1.0);
  } else {
    b->Unit(benchmark::kMicrosecond)->MinTime(0.5);
  }
  return b;
}

void register_all() {
  for (const Size& size : kSizes) {
    const std::string s = size.label;
    configure(benchmark::RegisterBenchmark(("BM_Sha256/" + s).c_str(), BM_Sha256, size.code_size),
              size.code_size);
    for (const char* key : kKeys)
      configure(benchmark::RegisterBenchmark(("BM_Sign/" + std::string(key) + "/" + s).c_str(),
                                             BM_Sign, size.code_size, std::string(key)),
                size.code_size);
    for (const char* key : kKeys)
      configure(benchmark::RegisterBenchmark(("BM_Verify/" + std::string(key) + "/" + s).c_str(),
                                             BM_Verify, size.code_size, std::string(key)),
                size.code_size);
  }
  for (const char* key : kKeys) {
    configure(benchmark::RegisterBenchmark(("BM_LoadPrivateKey/" + std::string(key)).c_str(),
                                           BM_LoadPrivateKey, std::string(key)),
              0);
    configure(benchmark::RegisterBenchmark(("BM_LoadPublicKey/" + std::string(key)).c_str(),
                                           BM_LoadPublicKey, std::string(key)),
              0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    // Build the inputs before any timing (16 MiB ELFs and their signed images), and check
    // that they verify, so that a broken input fails here rather than as a fast benchmark.
    for (const Size& size : kSizes)
      for (const char* key : kKeys) {
        rproctee::image::VerifyOptions options;
        options.keys.push_back(rproctee::test::test_key(key).verifier);
        const auto report =
            rproctee::image::verify_signed_image(signed_firmware(size.code_size, key), options);
        if (!report.authentic())
          throw std::runtime_error(std::string(key) + " " + size.label + ": " +
                                   report.error.message);
      }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rproctee_bench_image: cannot prepare the inputs: %s\n", e.what());
    return 1;
  }
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
