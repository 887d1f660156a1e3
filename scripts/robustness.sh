#!/usr/bin/env bash
# The robustness report of the current build: runs the campaigns of tests/robustness and the
# fault, kill and fuzz tests around them, and prints the figures a security reviewer asks for:
# fuzz executions per target and crashes, random-walk steps and violations, fault-injection
# points covered, process-kill scenarios passed, cycles survived, concurrent clients served.
# Exits 1 when any campaign found a failure (the logs are kept and named), 2 on a usage error.
#
#   scripts/robustness.sh [--preset release|asan] [--fuzz-seconds S] [--walk-seeds N]
#                         [--walk-steps N] [--cycles N] [--crash-cycles N] [--keep DIR]
#
# Needs ./scripts/build.sh PRESET (and ./scripts/build.sh fuzz for the fuzz figures; without it
# that part says "not run"). Defaults: 30 s per fuzz target, walk seeds 1..2 with the test's
# default steps, the cycles test's default count (1000 boot/stop in release).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 [--preset release|asan] [--fuzz-seconds S] [--walk-seeds N] [--walk-steps N]" \
    "[--cycles N] [--crash-cycles N] [--keep DIR]" >&2
  exit 2
}
preset=release fuzz_seconds=30 walk_seeds=2 walk_steps="" cycles="" crash_cycles="" keep=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --preset) preset=${2:-}; shift 2 || usage ;;
    --fuzz-seconds) fuzz_seconds=${2:-}; shift 2 || usage ;;
    --walk-seeds) walk_seeds=${2:-}; shift 2 || usage ;;
    --walk-steps) walk_steps=${2:-}; shift 2 || usage ;;
    --cycles) cycles=${2:-}; shift 2 || usage ;;
    --crash-cycles) crash_cycles=${2:-}; shift 2 || usage ;;
    --keep) keep=${2:-}; shift 2 || usage ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
  esac
done
[[ $preset =~ ^(release|asan)$ && $fuzz_seconds =~ ^[0-9]+$ && $walk_seeds =~ ^[1-9][0-9]*$ ]] ||
  usage
[[ -z $walk_steps || $walk_steps =~ ^[1-9][0-9]*$ ]] || usage
[[ -z $cycles || $cycles =~ ^[1-9][0-9]*$ ]] || usage
[[ -z $crash_cycles || $crash_cycles =~ ^[1-9][0-9]*$ ]] || usage

tests=build/$preset/tests/rproctee_tests
if [[ ! -x $tests ]]; then
  echo "robustness.sh: $tests is not built; run ./scripts/build.sh $preset" >&2
  exit 2
fi
# The logs and JSON reports; removed at the end unless kept or something failed.
work=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/rproctee-robustness.XXXXXX")}
mkdir -p "$work"
failed=()

log() { printf '[robustness] %s\n' "$*" >&2; }

# run NAME FILTER [VAR=VALUE]...: one gtest run, its JSON report in $work/NAME.json.
run() {
  local name=$1 filter=$2
  shift 2
  log "$name ($filter)"
  if ! env "$@" "$tests" --gtest_filter="$filter" --gtest_output="json:$work/$name.json" \
    >"$work/$name.log" 2>&1; then
    failed+=("$name: see $work/$name.log")
  fi
}

# Every value of the test property KEY in the JSON reports FILE... (gtest writes strings).
values() {
  local key=$1
  shift
  cat "$@" 2>/dev/null | grep -o "\"$key\": \"[^\"]*\"" | sed 's/.*: "\(.*\)"$/\1/' || true
}
sum() { awk '{ s += $1 } END { print s + 0 }'; }
# "passed/total" of a report: gtest's top-level "tests" and "failures" counts.
passed() {
  local total fails
  total=$(grep -m 1 -o '"tests": [0-9]*' "$1" | grep -o '[0-9]*$' || echo 0)
  fails=$(grep -m 1 -o '"failures": [0-9]*' "$1" | grep -o '[0-9]*$' || echo 0)
  echo "$((total - fails))/$total"
}

started=$(date +%s)
commit=$(git describe --always --dirty 2>/dev/null || echo '?')  # (a later commit may follow)
# 1. Lifecycle random walk, seeds 1..N over both transports.
walk_env=()
[[ -z $walk_steps ]] || walk_env=(RPROCTEE_WALK_STEPS="$walk_steps")
for seed in $(seq 1 "$walk_seeds"); do
  run "walk-$seed" 'Robustness/LifecycleWalk.*' RPROCTEE_WALK_SEED="$seed" "${walk_env[@]}"
done
# 2. Fault injection in the secure world: every event of every kind failed in turn.
run faults '*TaFaultInjection*'
# 3. Process kills: the machine and the normal world killed at every point of a boot, and more.
run kills 'UpProcessFaults.*'
# 4. Load: cycles and concurrent clients.
cycles_env=()
[[ -z $cycles ]] || cycles_env=(RPROCTEE_CYCLES="$cycles")
[[ -z $crash_cycles ]] || cycles_env+=(RPROCTEE_CRASH_CYCLES="$crash_cycles")
run cycles 'Cycles.*' "${cycles_env[@]}"
run clients 'ConcurrentClients.*'
# 5. Fuzzing, when the fuzz build exists.
fuzz_out=""
if [[ $fuzz_seconds -gt 0 && -d build/fuzz/fuzz ]]; then
  log "fuzz targets, $fuzz_seconds s each"
  fuzz_out=$(./scripts/fuzz.sh "$fuzz_seconds" 2>"$work/fuzz.err") || failed+=("fuzz: $(tail -n 3 "$work/fuzz.err")")
fi
elapsed=$(($(date +%s) - started))

walk_steps_run=$(values steps "$work"/walk-*.json | sum)
walk_violations=$(values violations "$work"/walk-*.json | sum)
walk_crashes=$(values crashes "$work"/walk-*.json | sum)
walk_runs=$(values seed "$work"/walk-*.json | wc -l)

printf 'rproctee robustness report: build/%s, tree at %s when it started, %s, %d s\n\n' \
  "$preset" "$commit" "$(date -u '+%Y-%m-%d %H:%M UTC' -d "@$started")" "$elapsed"
printf 'Lifecycle random walk (seeds 1..%s, socket and in-process transports)\n' "$walk_seeds"
printf '  %s walks, %s steps, %s violations, %s firmware crashes handled\n\n' "$walk_runs" \
  "$walk_steps_run" "$walk_violations" "$walk_crashes"
printf 'Fault injection (each event of a kind failed or killed in turn)\n'
printf '  secure world, LOAD through the client API: %s points failed, tests %s\n' \
  "$(values fault_points "$work/faults.json" | sum)" "$(passed "$work/faults.json")"
kill_points=$(values kill_points "$work/kills.json" | sum)
printf '  process kills at exact points of a boot (machine and normal world): %s\n\n' "$kill_points"
printf 'Process-kill scenarios\n  %s passed (every fault point of a boot, machine killed while\n' \
  "$(passed "$work/kills.json")"
printf '  running and during an rpmsg exchange, normal world killed)\n\n'
printf 'Load\n'
printf '  boot/stop cycles: %s (resident memory grown %s KiB, held %s KiB)\n' \
  "$(values cycles "$work/cycles.json" | sum)" "$(values rss_growth_kib "$work/cycles.json" | sum)" \
  "$(values held_growth_kib "$work/cycles.json" | sum)"
printf '  crash/recovery cycles: %s (resident memory grown %s KiB, held %s KiB); tests %s\n' \
  "$(values crash_cycles "$work/cycles.json" | sum)" \
  "$(values crash_rss_growth_kib "$work/cycles.json" | sum)" \
  "$(values crash_held_growth_kib "$work/cycles.json" | sum)" "$(passed "$work/cycles.json")"
printf '  (held: after the allocator gave its free pages back, malloc_trim)\n'
printf '  concurrent TEE clients: %s, %s calls, %s undocumented answers; tests %s\n\n' \
  "$(values clients "$work/clients.json" | sum)" "$(values calls "$work/clients.json" | sum)" \
  "$(values violations "$work/clients.json" | sum)" "$(passed "$work/clients.json")"
printf 'Fuzzing (%s s per target; crash reproducers kept as regression inputs: %s)\n' \
  "$fuzz_seconds" "$(find fuzz/regressions -type f ! -name 'README*' 2>/dev/null | wc -l)"
if [[ -n $fuzz_out ]]; then
  sed 's/^/  /' <<<"$fuzz_out"
else
  if [[ $fuzz_seconds -eq 0 ]]; then
    echo "  skipped (--fuzz-seconds 0)"
  else
    echo "  not run (build the targets with ./scripts/build.sh fuzz)"
  fi
fi
echo

[[ $walk_violations -eq 0 ]] || failed+=("walk: $walk_violations violations")
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'FAILED (logs kept in %s):\n' "$work" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
[[ -n $keep ]] || rm -rf "$work"
echo "no failure, no violation, no crash"
