#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, then
#   1. release build + every test,
#   2. ASan + UBSan (+ LeakSanitizer) build + every test,
#   3. libFuzzer build + each fuzz target for a bounded time (FUZZ_SECONDS, default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh

step() { printf '\n=== %s ===\n' "$*" >&2; }

step "release build and tests"
./scripts/build.sh release
ctest --preset release -j "$(nproc)"

step "ASan + UBSan build and tests"
./scripts/build.sh asan
ctest --preset asan -j "$(nproc)"

step "fuzz targets (${FUZZ_SECONDS:-60} s each)"
./scripts/build.sh fuzz
./scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

step "all tests passed"
