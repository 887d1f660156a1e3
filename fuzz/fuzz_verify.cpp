// libFuzzer target fuzz_verify: image::verify_signed_image, on whole files (rsa2048 test key) and,
// when the first byte selects one, on the images area of a container signed once at start-up
// (see fuzz_verify_one), so that the fuzzer gets past the signature.
// The body lives in fuzz_entry_points.cpp (also replayed by tests/fuzz).
//
// RPROCTEE_FUZZ_WRITE_SEEDS=DIR makes start-up write fuzz_generated_files() (container-mode seeds,
// signed containers, compact ELFs and resource table) to DIR and exit: this is how the generated
// files of fuzz/corpus/ were made (see fuzz/corpus/README.md; regenerate them when the
// containers change).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <span>
#include <string>

#include "fuzz_entry_points.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  rproctee::fuzz::fuzz_verify_init();  // sign the containers once, before the first input
  if (const char* dir = std::getenv("RPROCTEE_FUZZ_WRITE_SEEDS")) {
    for (const auto& [name, bytes] : rproctee::fuzz::fuzz_generated_files()) {
      const std::string path = std::string(dir) + "/" + name;
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::exit(1);
      }
      std::fprintf(stderr, "wrote %s\n", path.c_str());
    }
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rproctee::fuzz::fuzz_verify_one(std::span<const uint8_t>(data, size));
  return 0;
}
