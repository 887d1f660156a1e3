#!/usr/bin/env bash
# Runs every libFuzzer target built in build/fuzz (./scripts/build.sh fuzz) for SECONDS each, one
# after the other, starting from a temporary copy of its seed corpus (fuzz/corpus/<target>/) plus
# its crash reproducers (fuzz/regressions/<target>/); the committed files are never modified.
# Prints one line per target (executions, exec/s, new inputs found, peak RSS) and exits 1 when
# a target crashed, timed out or ran out of memory, naming the reproducer written under
# build/fuzz/artifacts/<target>/. Full logs: build/fuzz/logs/<target>.log.
#
#   scripts/fuzz.sh [--runs N] [--grow-seeds] SECONDS [TARGET]...   (default: every built target)
#
# --runs N stops a target after N executions (SECONDS still bounds it): a campaign's volume.
# Seeds: fuzz/corpus/<target>/ (made by hand and by make_corpus.py) and fuzz/grown/<target>/ (the
# inputs earlier campaigns found). --grow-seeds merges this run's new inputs into fuzz/grown/
# (libFuzzer's -merge=1 keeps only those that add coverage), so the next run starts there.
# The targets' scratch files go to /dev/shm when TMPDIR is unset: fuzz_state_dir fsyncs.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: $0 [--runs N] [--grow-seeds] SECONDS [TARGET]..." >&2; exit 2; }
runs=-1 grow=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; runs=$2; shift 2 ;;
    --grow-seeds) grow=1; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 && $1 =~ ^[1-9][0-9]*$ ]] || usage
seconds=$1
shift
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi

build=build/fuzz
bin_dir=$build/fuzz
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < <(find "$bin_dir" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x \
                           -printf '%f\n' 2>/dev/null | sort)
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz.sh: no fuzz target in $bin_dir; build them with ./scripts/build.sh fuzz" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/rproctee-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The value of one of libFuzzer's final "stat::NAME: VALUE" lines, or "?".
final_stat() { sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -n 1 | grep . || echo "?"; }

failures=()
for t in "${targets[@]}"; do
  exe=$bin_dir/$t
  if [[ ! -x $exe ]]; then
    echo "fuzz.sh: $exe not built" >&2
    failures+=("$t: not built")
    continue
  fi
  corpus=$work/$t
  mkdir -p "$corpus"
  for src in fuzz/corpus/$t fuzz/grown/$t fuzz/regressions/$t; do
    if [[ -d $src ]]; then
      find "$src" -maxdepth 1 -type f ! -name 'README*' ! -name '.*' -exec cp -t "$corpus" {} +
    fi
  done
  seeds=$(find "$corpus" -type f | wc -l)
  artifacts=$build/artifacts/$t
  mkdir -p "$artifacts"
  log=$build/logs/$t.log
  status=0
  # Its scratch directory inside $work: a target stopped by -max_total_time skips its atexit
  # cleanup, and nothing of it should outlive this script.
  mkdir -p "$work/tmp.$t"
  TMPDIR=$work/tmp.$t "$exe" "$corpus" -max_total_time="$seconds" -runs="$runs" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  if [[ $status -eq 0 && $grow -eq 1 ]]; then
    # libFuzzer names the inputs it adds by their SHA-1; the copied seeds keep their names.
    found=$work/$t.found
    mkdir -p "$found" "fuzz/grown/$t"
    find "$corpus" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' \
      -exec mv -t "$found" {} +
    "$exe" -merge=1 "fuzz/grown/$t" "$found" >"$build/logs/$t.merge.log" 2>&1 ||
      failures+=("$t: merging the grown corpus failed, see $build/logs/$t.merge.log")
  fi

  execs=$(final_stat number_of_executed_units "$log")
  rate=$(final_stat average_exec_per_sec "$log")
  new=$(final_stat new_units_added "$log")
  rss=$(final_stat peak_rss_mb "$log")
  reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  if [[ $status -eq 0 && -z $reproducer ]]; then
    printf '%-22s ok     %10s executions %8s exec/s  %5s new inputs (%d seeds)  peak RSS %s MB\n' \
      "$t" "$execs" "$rate" "$new" "$seeds" "$rss"
    continue
  fi
  printf '%-22s FAILED %10s executions %8s exec/s  (exit status %d)\n' "$t" "$execs" "$rate" \
    "$status"
  # The sanitizer's or the invariant's report, for the CI log.
  grep -m 1 -B 2 -A 30 -E '^==[0-9]+==ERROR|runtime error|fuzz invariant violated|deadly signal|ERROR: libFuzzer' \
    "$log" | sed 's/^/    /' >&2 || tail -n 30 "$log" | sed 's/^/    /' >&2
  if [[ -n $reproducer ]]; then
    failures+=("$t: reproducer $reproducer (replay: $exe $reproducer; once fixed, copy it to fuzz/regressions/$t/)")
  else
    failures+=("$t: exit status $status without a reproducer, see $log")
  fi
done

if [[ ${#failures[@]} -gt 0 ]]; then
  echo "fuzz.sh: ${#failures[@]} target(s) failed:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
if [[ $runs -gt 0 ]]; then
  echo "fuzz.sh: ${#targets[@]} target(s), up to $runs executions or ${seconds} s each, no crash"
else
  echo "fuzz.sh: ${#targets[@]} target(s), ${seconds} s each, no crash"
fi
