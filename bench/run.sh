#!/usr/bin/env bash
# Benchmarks rproctee against its physical limits, all measured in the same run:
#   - in process (Google Benchmark, bench/bench_image.cpp): sign and verify of 64 KiB and
#     16 MiB firmware with RSA-3072 and P-256, beside one SHA-256 pass over the same bytes and
#     beside `openssl speed -evp sha256` (16 KiB blocks), the machine's SHA-256 throughput;
#   - whole processes (bench/spawn_timer.cpp): `rproctee sign` and `rproctee verify` of a small
#     image (tests/data/vectors/elf/rsc.elf, keys/rproctee-dev.pem, RSA-3072) and of a 16 MiB
#     ELF (bench/make_big_elf.py), beside the floor of spawning /bin/true and `rproctee
#     --version`, beside one SHA-256 pass over the 16 MiB (at the openssl speed rate, plus
#     /bin/true; and the `openssl dgst -sha256` and `sha256sum` processes), the small sign
#     beside the least a libcrypto process does to sign the same file (bench/openssl_sign_floor.cpp:
#     decode the key, one signature) and beside `openssl dgst -sha256 -sign`, and beside OP-TEE's
#     reference signer when REFERENCE_SIGNER names it (a sign_rproc_fw.py run with /usr/bin/python3;
#     needs python3-pycryptodome), all interleaved run by run. BASELINE=PATH adds the same
#     figures for another rproctee binary (an older build), measured in the same run.
# Prints one table of figures, limits and ratios. Nothing here fails on speed: the exit status
# is non-zero only when something cannot be built or run.
#
#   bench/run.sh            # RUNS=50 process runs each, OPENSSL_SECONDS=3
#   RUNS=200 bench/run.sh   # more process runs
#   ONLY=processes bench/run.sh   # just the whole-process figures (sections 2-4)
#   ONLY=firmware bench/run.sh    # just the emulated core and rpmsg (sections 6-8, ~2 minutes)
#   REFERENCE_SIGNER=~/optee_os/scripts/sign_rproc_fw.py BASELINE=/tmp/rproctee-main bench/run.sh
#
# Raw results stay in build/release/bench/results/ (bench_image.json, openssl_speed.txt,
# processes.txt). Needs only what ./scripts/setup-debian.sh installs (cmake, ninja, openssl,
# libbenchmark-dev); awk does the parsing.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-50}
openssl_seconds=${OPENSSL_SECONDS:-3}
build=build/release
rproctee=$build/src/cli/rproctee
results=$build/bench/results

log() { echo "bench: $*" >&2; }

# The release preset, as ./scripts/build.sh release configures it; only the three programs
# measured here are built, so that the benchmark does not depend on the test suite compiling.
log "building the release preset (rproctee and the benchmark programs)"
cmake --preset release >/dev/null
only=${ONLY:-all}
if [ "$only" = processes ]; then
  cmake --build --preset release -j "$(nproc)" --target rproctee rproctee_spawn_timer \
    rproctee_openssl_sign_floor >&2
else
  cmake --build --preset release -j "$(nproc)" --target rproctee rproctee_bench_image \
    rproctee_bench_tee rproctee_spawn_timer rproctee_openssl_sign_floor >&2
fi
mkdir -p "$results"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

: >"$work/medians.txt"
: >"$work/tee_medians.txt"
if [ "$only" != firmware ]; then  # sections 1-5; ONLY=firmware runs 6-8 alone
# --- 1. In process: Google Benchmark, medians of 5 repetitions, CPU time ---------------------
if [ "$only" != processes ]; then
log "running $build/bench/rproctee_bench_image (about a minute)"
"$build/bench/rproctee_bench_image" --benchmark_out="$results/bench_image.json" \
  --benchmark_out_format=json >&2

# One line per median: "<name without /min_time..> <cpu ms> <bytes>".
awk '
  /"run_name":/       { name = $2; gsub(/[",]/, "", name); sub(/\/min_time.*/, "", name) }
  /"aggregate_name":/ { agg = $2; gsub(/[",]/, "", agg) }
  /"cpu_time":/       { cpu = $2; gsub(/,/, "", cpu) }
  /"bytes":/          { bytes = $2; gsub(/,/, "", bytes) }
  /"time_unit":/      { unit = $2; gsub(/[",]/, "", unit) }
  /^    }/ {
    if (agg == "median") {
      scale = unit == "ns" ? 1e-6 : unit == "us" ? 1e-3 : unit == "s" ? 1e3 : 1
      printf "%s %.6f %d\n", name, cpu * scale, bytes + 0
    }
    name = agg = cpu = unit = ""; bytes = 0
  }' "$results/bench_image.json" >"$work/medians.txt"

# --- 1b. The secure world: LOAD, START+STOP, empty invoke (wall time, medians) ---------------
log "running $build/bench/rproctee_bench_tee (about a minute)"
"$build/bench/rproctee_bench_tee" --benchmark_out="$results/bench_tee.json" \
  --benchmark_out_format=json >&2
awk '
  /"run_name":/       { name = $2; gsub(/[",]/, "", name); sub(/\/repeats.*/, "", name); sub(/\/min_time.*/, "", name) }
  /"aggregate_name":/ { agg = $2; gsub(/[",]/, "", agg) }
  /"real_time":/      { t = $2; gsub(/,/, "", t) }
  /"time_unit":/      { unit = $2; gsub(/[",]/, "", unit) }
  /^    }/ {
    if (agg == "median") {
      scale = unit == "ns" ? 1e-6 : unit == "us" ? 1e-3 : unit == "s" ? 1e3 : 1
      printf "%s %.6f\n", name, t * scale
    }
    name = agg = t = unit = ""
  }' "$results/bench_tee.json" >"$work/tee_medians.txt"
fi

# --- 2. The machine's SHA-256 limit: openssl speed, 16 KiB blocks ----------------------------
log "running openssl speed -evp sha256 -bytes 16384 -seconds $openssl_seconds"
openssl speed -evp sha256 -bytes 16384 -seconds "$openssl_seconds" \
  >"$results/openssl_speed.txt" 2>/dev/null
# Last line "sha256  1624647.37k": thousands of bytes per second.
sha_rate=$(awk '$1 == "sha256" { v = $NF } END { sub(/k$/, "", v); printf "%.0f", v * 1000 }' \
  "$results/openssl_speed.txt")
if [ -z "$sha_rate" ] || [ "$sha_rate" = 0 ]; then
  log "cannot parse the output of openssl speed (see $results/openssl_speed.txt)"
  exit 1
fi

# --- 3. Whole processes: sign and verify beside the spawn floor ------------------------------
elf=tests/data/vectors/elf/rsc.elf
big=$work/big.elf
key=keys/rproctee-dev.pem
pub=keys/rproctee-dev.pub.pem
python3 bench/make_big_elf.py "$big" $((16 << 20))
"$rproctee" sign --in "$elf" --key "$key" --out "$work/rsc.sign"
"$rproctee" verify "$work/rsc.sign" --key "$pub" >/dev/null
"$rproctee" sign --in "$big" --key "$key" --out "$work/big.sign"
"$rproctee" verify "$work/big.sign" --key "$pub" >/dev/null
# The same commands for rproctee (prefix "") and for BASELINE (prefix "base_").
timed_rproctee() {
  local prefix=$1 bin=$2
  echo "${prefix}version -- $bin --version :::"
  echo "${prefix}sign -- $bin sign --in $elf --key $key --out $work/timed.sign :::"
  echo "${prefix}verify -- $bin verify $work/rsc.sign --key $pub :::"
  echo "${prefix}sign16 -- $bin sign --in $big --key $key --out $work/timed16.sign :::"
  echo "${prefix}verify16 -- $bin verify $work/big.sign --key $pub :::"
}
{
  echo "true -- /bin/true :::"
  echo "dgst16 -- openssl dgst -sha256 $big :::"
  echo "sha256sum16 -- sha256sum $big :::"
  echo "cp16 -- cp $big $work/copy.elf :::"
  echo "ssl_sign -- $build/bench/rproctee_openssl_sign_floor $key $elf :::"
  echo "dgst_sign -- openssl dgst -sha256 -sign $key -out $work/dgst.sig $elf :::"
  timed_rproctee "" "$rproctee"
  [ -n "${BASELINE:-}" ] && timed_rproctee base_ "$BASELINE"
  if [ -n "${REFERENCE_SIGNER:-}" ]; then
    echo "ref_sign -- /usr/bin/python3 $REFERENCE_SIGNER --in $elf --key $key --out $work/ref.sign :::"
    echo "ref_sign16 -- /usr/bin/python3 $REFERENCE_SIGNER --in $big --key $key --out $work/ref16.sign :::"
  fi
} | tr '\n' ' ' | sed 's/ ::: $//' >"$work/commands.txt"
log "timing processes: $runs runs each, interleaved"
# shellcheck disable=SC2046  # the command list is meant to split into words (no spaces in paths)
"$build/bench/rproctee_spawn_timer" -n "$runs" -w 5 $(cat "$work/commands.txt") \
  >"$results/processes.txt"

# --- 4. The table ------------------------------------------------------------------------------
cpu=$(awk -F: '/^model name/ { sub(/^[ \t]+/, "", $2); print $2; exit }' /proc/cpuinfo)
{
  echo "cpu: ${cpu:-unknown}, $(nproc) CPUs; $(openssl version); process runs: $runs"
  echo "sha rate $sha_rate"
  cat "$work/medians.txt"
  sed 's/^/proc /' "$results/processes.txt"
} | awk -v elf_bytes="$(stat -c %s "$elf")" -v big_bytes="$(stat -c %s "$big")" '
  NR == 1 { header = $0; next }
  $1 == "sha" { rate = $3; next }
  $1 == "proc" {
    for (i = 3; i <= NF; ++i) { split($i, kv, "="); p[$2, kv[1]] = kv[2] }
    next
  }
  { ms[$1] = $2; bytes[$1] = $3; have_ms = 1 }
  function fmt(v) {
    if (v >= 100) return sprintf("%.0f ms", v)
    if (v >= 1) return sprintf("%.2f ms", v)
    return sprintf("%.1f us", v * 1000)
  }
  # "BM_Verify/rsa3072/16MiB" -> "verify RSA-3072 16 MiB"
  function pretty(name) {
    sub(/^BM_Sha256\//, "SHA-256 pass ", name); sub(/^BM_Sign\//, "sign ", name)
    sub(/^BM_Verify\//, "verify ", name); sub(/^BM_LoadPrivateKey\//, "load private key ", name)
    sub(/^BM_LoadPublicKey\//, "load public key ", name)
    sub(/rsa3072/, "RSA-3072", name); sub(/p256/, "P-256", name)
    sub(/KiB/, " KiB", name); sub(/MiB/, " MiB", name); gsub(/\//, " ", name)
    return name
  }
  function row(label, v, limit_label, limit, extra) {
    printf "%-34s %10s | %-22s %10s | %6.2fx%s\n", label ":", fmt(v), limit_label, fmt(limit),
           v / limit, extra
  }
  END {
    print header
    if (have_ms) in_process()
    processes("", "rproctee")
    if (("base_sign", "median_ms") in p) processes("base_", "BASELINE")
  }
  function in_process(   s, o, k, sha, ossl, name, nsizes, nops, nkeys, sizes, ops, keys) {
    print ""
    print "In process (median CPU time of 5 repetitions); limits: one SHA-256 pass over the same"
    printf "bytes, and those bytes at the openssl speed rate (%.2f GB/s)\n", rate / 1e9
    nsizes = split("64KiB 16MiB", sizes, " ")
    nops = split("BM_Sign/rsa3072 BM_Sign/p256 BM_Verify/rsa3072 BM_Verify/p256", ops, " ")
    for (s = 1; s <= nsizes; ++s) {
      sha = "BM_Sha256/" sizes[s]
      if (!(sha in ms)) continue
      ossl = bytes[sha] / rate * 1000
      row(pretty(sha), ms[sha], "openssl speed:", ossl, "")
      for (o = 1; o <= nops; ++o) {
        name = ops[o] "/" sizes[s]
        if (name in ms)
          row(pretty(name), ms[name], "SHA-256 pass:", ms[sha],
              sprintf(" | %.2fx openssl speed", ms[name] / ossl))
      }
    }
    print ""
    print "Fixed costs in process (median CPU time, OpenSSL initialised; no physical limit):"
    nkeys = split("BM_LoadPrivateKey/rsa3072 BM_LoadPrivateKey/p256 " \
                  "BM_LoadPublicKey/rsa3072 BM_LoadPublicKey/p256", keys, " ")
    for (k = 1; k <= nkeys; ++k)
      if (keys[k] in ms) printf "%-34s %10s\n", pretty(keys[k]) " (PEM):", fmt(ms[keys[k]])
  }
  # The whole-process figures of one binary (keys prefixed by `pre`), each as a ratio to its
  # floor; the reference signer, when timed, as a speed-up.
  function processes(pre, label,   floor, version, sha16, ssl_sign, sha_cp, sha_cp_sign, c, ncmds,
                      cmds, v, ref, sfx) {
    print ""
    printf "Whole processes of %s (median wall time of %d interleaved runs; RSA-3072; %d-byte\n",
           label, p["true", "runs"], elf_bytes
    printf "rsc.elf, %d-byte big.elf; floor of 16 MiB: one SHA-256 pass at the openssl speed rate\n",
           big_bytes
    print "plus /bin/true)"
    floor = p["true", "median_ms"]; version = p[pre "version", "median_ms"]
    ssl_sign = p["ssl_sign", "median_ms"]
    sha16 = big_bytes / rate * 1000 + floor
    sha_cp = sha16 + p["cp16", "median_ms"] - floor
    sha_cp_sign = sha_cp + ssl_sign - floor
    if (pre == "") {
      printf "%-34s %10s\n", "/bin/true:", fmt(floor)
      printf "%-34s %10s\n", "SHA-256 pass 16 MiB + /bin/true:", fmt(sha16)
      row("openssl dgst -sha256 16 MiB", p["dgst16", "median_ms"], "SHA-256 + /bin/true:", sha16,
          "")
      row("sha256sum 16 MiB", p["sha256sum16", "median_ms"], "SHA-256 + /bin/true:", sha16, "")
      row("cp 16 MiB (writing the output)", p["cp16", "median_ms"], "/bin/true:", floor, "")
      row("libcrypto key + 1 signature", ssl_sign, "/bin/true:", floor, "")
      row("openssl dgst -sha256 -sign", p["dgst_sign", "median_ms"], "/bin/true:", floor, "")
    }
    row("rproctee --version", version, "/bin/true:", floor, "")
    ncmds = split("sign verify sign16 verify16", cmds, " ")
    for (c = 1; c <= ncmds; ++c) {
      v = p[pre cmds[c], "median_ms"]
      ref = p["ref_" cmds[c], "median_ms"]
      sfx = ref > 0 ? sprintf(" | reference signer %s: %.1fx faster", fmt(ref), ref / v) : ""
      if (cmds[c] == "sign16")  # also beside the sum of what it cannot avoid, each less /bin/true
        row(cmds[c] " process", v, "SHA-256 + /bin/true:", sha16,
            sprintf(" | SHA-256 + cp: %s, %.2fx | + libcrypto key + sign: %s, %.2fx%s",
                    fmt(sha_cp), v / sha_cp, fmt(sha_cp_sign), v / sha_cp_sign, sfx))
      else if (cmds[c] ~ /16$/)
        row(cmds[c] " process", v, "SHA-256 + /bin/true:", sha16, sfx)
      else if (cmds[c] == "sign")
        row(cmds[c] " process", v, "libcrypto key + sign:", ssl_sign,
            sprintf(" | /bin/true: %.2fx%s", v / floor, sfx))
      else
        row(cmds[c] " process", v, "/bin/true:", floor, sfx)
    }
  }'

[ "$only" = processes ] && exit 0

# --- 5. The secure world ---------------------------------------------------------------------
awk '
  { v[$1] = $2 }
  function fmt(x) { return x >= 1 ? sprintf("%.2f ms", x) : sprintf("%.1f us", x * 1000) }
  END {
    print ""
    print "Secure world through the TEE client API (median wall time of 5 repetitions; socket ="
    print "a machine served on a Unix SOCK_SEQPACKET socket, inproc = in-process transport)"
    n = split("1048576:1 MiB 16777216:16 MiB", sizes, " ")
    for (i = 1; i <= n; ++i) {
      split(sizes[i], kv, ":"); sha = v["BM_Sha256Pass/" kv[1]]
      for (t = 0; t <= 1; ++t) {
        name = "BM_Load/" t "/" kv[1]
        if (name in v)
          printf "%-34s %10s | %-22s %10s | %6.2fx\n", "LOAD " (t == 0 ? "socket " : "inproc ") kv[2] ":",
                 fmt(v[name]), "SHA-256 pass:", fmt(sha), v[name] / sha
      }
    }
    printf "%-34s %10s\n", "START+STOP pair, socket:", fmt(v["BM_StartStop/0"])
    printf "%-34s %10s\n", "START+STOP pair, inproc:", fmt(v["BM_StartStop/1"])
    printf "%-34s %10s\n", "empty InvokeCommand, socket:", fmt(v["BM_EmptyInvoke/0"])
    printf "%-34s %10s\n", "empty InvokeCommand, inproc:", fmt(v["BM_EmptyInvoke/1"])
  }' "$work/tee_medians.txt"
fi  # sections 1-5

# --- 6. The demo firmware on the emulated core -------------------------------------------------
# bench/bench_firmware.cpp: boot/shutdown cycles of demo-m33.sign, rpmsg round trips (echo)
# beside a two-thread mutex/condvar ping-pong, pipelined 496-byte throughput. About a minute.
log "building rproctee_bench_firmware and the demo firmware"
cmake --build --preset release -j "$(nproc)" --target rproctee_bench_firmware >&2
log "running $build/bench/rproctee_bench_firmware"
"$build/bench/rproctee_bench_firmware" --benchmark_out="$results/bench_firmware.json" \
  --benchmark_out_format=json >&2
# Every numeric field of every run, one line each: "<run name>[:<aggregate>] <field> <value>".
awk '
  /^    \{/ { name = agg = ""; n = 0; next }
  /"run_name":/       { name = $2; gsub(/[",]/, "", name); sub(/\/iterations.*/, "", name)
                        sub(/\/repeats.*/, "", name); sub(/\/manual_time.*/, "", name); next }
  /"aggregate_name":/ { agg = $2; gsub(/[",]/, "", agg); next }
  /^      "[A-Za-z0-9_]+": -?[0-9.]+(e[-+][0-9]+)?,?$/ {
    key = $1; gsub(/[":]/, "", key); v = $2; gsub(/,/, "", v); keys[++n] = key; vals[n] = v; next
  }
  /^    \}/ { for (i = 1; i <= n; ++i) print name (agg == "" ? "" : ":" agg), keys[i], vals[i] }
' "$results/bench_firmware.json" >"$work/firmware.txt"
awk '
  { v[$1, $2] = $3 }
  function fmt(x) {
    if (x >= 100000) return sprintf("%.0f ms", x / 1000)
    if (x >= 1000) return sprintf("%.2f ms", x / 1000)
    return sprintf("%.1f us", x)
  }
  function brow(label, key) {
    printf "%-34s %10s %10s\n", label ":", fmt(v[b, key "_median_us"]), fmt(v[b, key "_p99_us"])
  }
  function row(label, x, limit_label, limit, extra) {
    if (limit > 0)
      printf "%-34s %10s | %-22s %10s | %6.2fx%s\n", label ":", fmt(x), limit_label, fmt(limit),
             x / limit, extra
    else printf "%-34s %10s%s\n", label ":", fmt(x), extra
  }
  END {
    print ""
    print "The demo firmware on the emulated Cortex-M33 (wall time; demo-m33.sign, machine served"
    print "on a Unix socket, stm32mp25 preset)"
    b = "BM_Boot"
    printf "%-34s %10s %10s\n", "Boot (" v[b, "iterations"] " boot/shutdown cycles)", "median", "p99"
    brow("authenticate+load (LOAD)", "load")
    brow("START", "start")
    brow("START -> first trace line", "start_to_trace")
    brow("boot() -> rpmsg-tty announced", "boot_to_channel")
    pp = "BM_ThreadPingPong"
    printf "rpmsg round trip (%d each; limit: a mutex/condvar ping-pong between two threads)\n",
           v["BM_RoundTrip/496", "iterations"]
    row("thread ping-pong, median", v[pp, "median_us"], "", 0, "")
    for (s = 1; s <= 2; ++s) {
      size = s == 1 ? 1 : 496; r = "BM_RoundTrip/" size
      row("RTT " size " B, median", v[r, "median_us"], "ping-pong median:", v[pp, "median_us"], "")
      row("RTT " size " B, p99", v[r, "p99_us"], "ping-pong p99:", v[pp, "p99_us"],
          (v[r, "stalls"] > 0 ? sprintf(" | %d stalled > 1 s (left out)", v[r, "stalls"]) : ""))
    }
    t = "BM_Throughput/496"; rtt = v["BM_RoundTrip/496", "median_us"]
    bound = rtt > 0 ? 496 / rtt : 0  # MB/s one message at a time
    printf "%-34s %7.2f MB/s | %-22s %7.2f MB/s | %6.2fx | %.0f msgs/s, window %d, stalls %d\n",
           "throughput 496 B, pipelined:", v[t, "MB_per_s"], "one at a time (RTT):", bound,
           (bound > 0 ? v[t, "MB_per_s"] / bound : 0), v[t, "msgs_per_s"], v[t, "window"],
           v[t, "stalls"]
  }' "$work/firmware.txt"

# === 7. Emulated MIPS and first LOAD ===========================================================
# bench/bench_unicorn_loop.cpp: a `subs r0, #1; bne` loop on the project's Cortex-M core beside
# the same loop on a bare Unicorn engine (no hooks), medians of 5 repetitions (the core keeps
# one block hook that tests a flag: Unicorn 2.0.1 cannot be stopped safely from outside, see
# README "The emulated core"). bench/bench_tee.cpp: BM_FirstLoad, the first LOAD_FW of a fresh
# machine (64 KiB image, socket), beside BM_Load/0/65536, a later LOAD of the same image
# (section 1b ran it). Goal of issue 12: first LOAD within 2x a later one.
log "building and running $build/bench/rproctee_bench_unicorn_loop"
cmake --build --preset release -j "$(nproc)" --target rproctee_bench_unicorn_loop >&2
"$build/bench/rproctee_bench_unicorn_loop" --benchmark_out="$results/bench_unicorn_loop.json" \
  --benchmark_out_format=json >&2
awk '
  /"run_name":/       { name = $2; gsub(/[",]/, "", name); sub(/\/.*/, "", name) }
  /"aggregate_name":/ { agg = $2; gsub(/[",]/, "", agg) }
  /"mips":/           { if (agg == "median") { m = $2; gsub(/,/, "", m); mips[name] = m } }
  /"ns_per_store":/   { v = $2; gsub(/,/, "", v); store = v }
  /"ns_per_plain_turn":/ { v = $2; gsub(/,/, "", v); plain = v }
  END {
    e = mips["BM_EmulatedCoreLoop"]; u = mips["BM_BareUnicornLoop"]
    print ""
    print "Emulated core and first LOAD"
    printf "%-34s %7.0f MIPS | %-22s %7.0f MIPS | %6.2fx | core model costs %.0f%%\n",
           "emulated core (subs/bne loop):", e, "bare Unicorn loop:", u, (u > 0 ? e / u : 0),
           (u > 0 ? 100 * (1 - e / u) : 0)
    if (store != "")
      printf "%-34s %7.1f ns   | %-22s %7.1f ns   | a 496 B copy (124 stores): >= %.1f us\n",
             "bare Unicorn, one guest store:", store, "plain loop turn:", plain, store * 124 / 1000
  }' "$results/bench_unicorn_loop.json"
awk '
  { k = $1; sub(/\/iterations:.*/, "", k); v[k] = $2 }
  function fmt(x) { return x >= 1 ? sprintf("%.2f ms", x) : sprintf("%.1f us", x * 1000) }
  END {
    first = v["BM_FirstLoad/0/65536"]; later = v["BM_Load/0/65536"]
    if (first == "" || later == "") exit
    printf "%-34s %10s | %-22s %10s | %6.2fx\n", "first LOAD, fresh machine, 64 KiB:",
           fmt(first), "later LOAD, 64 KiB:", fmt(later), first / later
  }' "$work/tee_medians.txt"
# === end of section 7 ===========================================================================

# --- 8. rpmsg over the mailbox page, beside its cross-process floors ---------------------------
# (The doorbell section; bench/bench_firmware.cpp, same run as section 6.) Round trips of 1, 64
# and 496 bytes (median, p99) beside a futex ping-pong and a SOCK_SEQPACKET ping-pong between
# two processes, each as a ratio to the futex one; pipelined 496-byte throughput with 1, 16 and
# 64 messages in flight. The issue's goals: 496 B median <= 41 us and <= 1.5x the futex
# ping-pong, >= 105 MB/s at window 16. BASELINE_BENCH_FIRMWARE=PATH (an rproctee_bench_firmware
# built from an older tree, with its own demo firmware) is run right after and shown as
# "before"; figures it lacks print as "-".
rpmsg_filter='PingPong|RoundTrip|Window'
rpmsg_figures() {  # JSON -> "<run name> <counter> <value>" for the counters used below
  awk '
    /"run_name":/ { name = $2; gsub(/[",]/, "", name); sub(/\/iterations.*/, "", name) }
    /"(median_us|p99_us|MB_per_s)":/ { key = $1; gsub(/[":]/, "", key); v = $2; gsub(/,/, "", v)
                                       print name, key, v }' "$1"
}
rpmsg_figures "$results/bench_firmware.json" >"$work/rpmsg_now.txt"
: >"$work/rpmsg_before.txt"
if [ -n "${BASELINE_BENCH_FIRMWARE:-}" ]; then
  log "running $BASELINE_BENCH_FIRMWARE (before)"
  "$BASELINE_BENCH_FIRMWARE" --benchmark_filter="$rpmsg_filter|Throughput" \
    --benchmark_out="$results/bench_firmware_before.json" --benchmark_out_format=json >&2
  rpmsg_figures "$results/bench_firmware_before.json" >"$work/rpmsg_before.txt"
fi
awk '
  FNR == 1 { file++ }
  file == 1 { now[$1, $2] = $3 } file == 2 { before[$1, $2] = $3 }
  function us(x) { return x == "" ? "-" : sprintf("%.1f us", x) }
  function mb(x) { return x == "" ? "-" : sprintf("%.1f MB/s", x) }
  END {
    f = "BM_FutexPingPong"; s = "BM_SocketPingPong"; floor = now[f, "median_us"]
    print ""
    print "rpmsg over the mailbox page (floors: two processes, measured in the same run)"
    printf "%-30s %12s %12s | %12s\n", "", "median", "p99", "before (median)"
    printf "%-30s %12s %12s |\n", "futex ping-pong (floor):", us(now[f, "median_us"]), us(now[f, "p99_us"])
    printf "%-30s %12s %12s | %6.2fx the futex floor\n", "socket ping-pong:", us(now[s, "median_us"]),
           us(now[s, "p99_us"]), (floor > 0 ? now[s, "median_us"] / floor : 0)
    split("1 64 496", sizes, " ")
    for (i = 1; i <= 3; ++i) {
      r = "BM_RoundTrip/" sizes[i]
      printf "%-30s %12s %12s | %12s | %6.2fx the futex floor\n", "RTT " sizes[i] " B:",
             us(now[r, "median_us"]), us(now[r, "p99_us"]), us(before[r, "median_us"]),
             (floor > 0 ? now[r, "median_us"] / floor : 0)
    }
    split("1 16 64", windows, " ")
    for (i = 1; i <= 3; ++i) {
      w = "BM_Window/496/" windows[i]
      # The older bench has one pipelined figure only (window 32, BM_Throughput/496).
      b = before[w, "MB_per_s"]
      if (b == "" && windows[i] == 16) b = before["BM_Throughput/496", "MB_per_s"]
      printf "%-30s %12s %12s | %12s%s\n", "throughput 496 B, window " windows[i] ":",
             mb(now[w, "MB_per_s"]), "", mb(b),
             (b != "" && windows[i] == 16 && before[w, "MB_per_s"] == "" ? " (before: window 32)" : "")
    }
    r = now["BM_RoundTrip/496", "median_us"]; t = now["BM_Window/496/16", "MB_per_s"]
    printf "goals: RTT 496 B median %.1f us (<= 41 us: %s, <= 1.5x floor: %s); window 16 %.1f MB/s (>= 105: %s)\n",
           r, (r <= 41 ? "met" : "not met"), (floor > 0 && r <= 1.5 * floor ? "met" : "not met"), t,
           (t >= 105 ? "met" : "not met")
  }' "$work/rpmsg_now.txt" "$work/rpmsg_before.txt"
