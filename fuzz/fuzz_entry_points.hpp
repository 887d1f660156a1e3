// The bodies of the libFuzzer targets, as plain functions: each fuzz/<target>.cpp calls one from
// LLVMFuzzerTestOneInput, and tests/fuzz replays the seed corpora and crash reproducers through
// the same functions in the normal builds. Besides running the parsers under the sanitizers,
// every function checks cheap invariants of what the parsers return (a parsed resource table's
// entries lie inside the table, inspect never reports more images than NUM_IMG, an authentic
// image has every digest matching, ...) and aborts with a message on the first violation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "image/verify.hpp"

namespace rproctee::fuzz {

/// fuzz_inspect: image::inspect_file (header, TLV walk and decode, per-image ELF, load plan,
/// resource table), as `rproctee inspect` runs it on any file.
void fuzz_inspect_one(std::span<const uint8_t> data);

/// fuzz_verify. Two input forms, chosen by the first byte:
///  - first byte < fuzz_verify_container_count(): container mode. The rest of the input is the
///    images area of signed container number data[0] (built and signed once, see
///    fuzz_verify_init), truncated or zero-padded to its img_len. The signature and the TLVs
///    stay valid, so the verifier runs the ELF checks, plan_load, the digests, decryption, the
///    boot address and the resource table on the fuzzed bytes.
///  - otherwise (a signed file starts with 0x68): the whole input is the file, verified with
///    the rsa2048 test key.
void fuzz_verify_one(std::span<const uint8_t> data);

/// The verification fuzz_verify_one runs (and checks), with its report.
image::VerifyReport fuzz_verify_run(std::span<const uint8_t> data);

/// Loads the rsa2048 test key, builds compact test ELFs and signs the containers (once; later calls
/// do nothing). Aborts with a message when the test vectors cannot be read.
void fuzz_verify_init();

/// Number of containers of fuzz_verify's container mode.
size_t fuzz_verify_container_count();

/// One input per container that reproduces it unchanged (selector byte + its images area):
/// each verifies as authentic. They are the seeds of the container mode.
std::vector<std::vector<uint8_t>> fuzz_verify_container_seeds();

/// Files made by the fuzz_verify set-up, by name: container-N.bin (the container-mode seeds
/// above), container-N.sign (the signed containers, whole), and the compact ELF files and
/// resource table they are built from (mini-*.elf, mini-rsc-table.bin). fuzz/corpus/ holds
/// copies of them (fuzz/corpus/README.md).
const std::vector<std::pair<std::string, std::vector<uint8_t>>>& fuzz_generated_files();

/// fuzz_elf32: Elf32View::parse, sections(), plan_unsigned, check_boot_address,
/// locate_resource_table and parse_resource_table on the table found, on a plain ELF file.
void fuzz_elf32_one(std::span<const uint8_t> data);

/// fuzz_resource_table: image::parse_resource_table on the whole input.
void fuzz_resource_table_one(std::span<const uint8_t> data);

}  // namespace rproctee::fuzz
