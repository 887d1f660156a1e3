#!/usr/bin/env bash
# The main job: installs what is missing, builds (with the demo firmware, compiled by
# arm-none-eabi-gcc and signed with the bundled development key), then:
#   1. `rproctee run`: the machine (secure world + simulated SoC) as a process, the TA
#      authenticates and loads the signed demo, the emulated Cortex-M33 runs it, its trace is
#      printed, messages go back and forth over rpmsg, and it stops cleanly;
#   2. the offline tool on the same firmware: sign -> verify -> inspect -> offline (HSM) signing
#      with openssl playing the HSM, byte-identical;
#   3. a tampered image: refused offline, and refused by the TA with its reason (exit 1);
#   4. a crash: the firmware faults on request, the normal world recovers it (the TA
#      authenticates the image again) and it answers again.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
./scripts/build.sh release >&2

rproctee=build/release/src/cli/rproctee
firmware=build/release/firmware/demo-m33.elf  # the demo firmware (firmware/), Cortex-M33
key=keys/rproctee-dev.pem                     # published development key: never trust it in production
pub=keys/rproctee-dev.pub.pem
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say rproctee run --send "hello from the normal world" --send version
$rproctee run --send "hello from the normal world" --send version

say rproctee sign --in demo-m33.elf --key "$key" --out demo.sign
$rproctee sign --in "$firmware" --key "$key" --out "$out/demo.sign" -v

say rproctee verify demo.sign --key "$pub"
$rproctee verify "$out/demo.sign" --key "$pub"

say rproctee inspect demo.sign
$rproctee inspect "$out/demo.sign"

say "rproctee digest ... ; openssl pkeyutl -sign (the HSM) ; rproctee stitch ..."
$rproctee digest --in "$firmware" --key "$pub" --sha256 --out "$out/tbs.sha256" \
  --manifest "$out/manifest.json"
openssl pkeyutl -sign -inkey "$key" -pkeyopt digest:sha256 -in "$out/tbs.sha256" -out "$out/hsm.sig"
$rproctee stitch --manifest "$out/manifest.json" --signature "$out/hsm.sig" --key "$pub" --out "$out/hsm.sign"
cmp "$out/hsm.sign" "$out/demo.sign" && echo "HSM-signed image is byte-identical to the directly signed one"

say "flip one byte of the firmware's code (image offset 0x1040), verify again, then run it"
cp "$out/demo.sign" "$out/tampered.sign"
size=$(stat -c %s "$out/tampered.sign")
img_len=$(od -An -t u4 -j 16 -N 4 "$out/tampered.sign" | tr -d ' ')
printf '\xff' | dd of="$out/tampered.sign" bs=1 seek=$((size - img_len + 0x1040)) conv=notrunc status=none
if $rproctee verify "$out/tampered.sign" --key "$pub"; then
  echo "tampered image accepted: this is a bug" >&2
  exit 1
fi
if $rproctee run "$out/tampered.sign"; then
  echo "the trusted application ran a tampered image: this is a bug" >&2
  exit 1
fi

say rproctee run demo.sign --send fault --send "back after recovery" --timeout 5
# "fault" gets no echo (the firmware crashes): run says so, the normal world dumps and recovers
# the processor, and the next message is answered by the re-authenticated firmware.
$rproctee run "$out/demo.sign" --send fault --send "back after recovery" --timeout 5
echo
echo "demo complete: signed firmware authenticated by the TA and run on the emulated core, trace"
echo "and rpmsg echo, offline tools byte-identical, tampering rejected offline and by the TA"
