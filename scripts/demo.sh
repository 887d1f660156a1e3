#!/usr/bin/env bash
# The main job: installs what is missing, builds, then walks through the offline tool on the
# bundled firmware with the bundled development key: sign -> verify -> inspect -> offline
# (HSM) signing with openssl playing the HSM -> a tampered image rejected with the TA's code;
# then the secure world as a process (`rproctee machine`): a C client of the GlobalPlatform
# client API loads, authenticates, starts and stops the signed firmware, and the tampered image
# is refused by the trusted application with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
./scripts/build.sh release >&2

rproctee=build/release/src/cli/rproctee
firmware=tests/data/vectors/elf/rsc.elf   # Cortex-M33 firmware with a resource table
key=keys/rproctee-dev.pem                 # published development key: never trust it in production
pub=keys/rproctee-dev.pub.pem
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say rproctee sign --in "$firmware" --key "$key" --plat-tlv BOOTADDR 0x80100000 --out demo.sign
$rproctee sign --in "$firmware" --key "$key" --plat-tlv BOOTADDR 0x80100000 --out "$out/demo.sign" -v

say rproctee verify demo.sign --key "$pub"
$rproctee verify "$out/demo.sign" --key "$pub"

say rproctee inspect demo.sign
$rproctee inspect "$out/demo.sign"

say "rproctee digest ... ; openssl pkeyutl -sign (the HSM) ; rproctee stitch ..."
$rproctee digest --in "$firmware" --key "$pub" --plat-tlv BOOTADDR 0x80100000 \
  --sha256 --out "$out/tbs.sha256" --manifest "$out/manifest.json"
openssl pkeyutl -sign -inkey "$key" -pkeyopt digest:sha256 -in "$out/tbs.sha256" -out "$out/hsm.sig"
$rproctee stitch --manifest "$out/manifest.json" --signature "$out/hsm.sig" --key "$pub" --out "$out/hsm.sign"
cmp "$out/hsm.sign" "$out/demo.sign" && echo "HSM-signed image is byte-identical to the directly signed one"

say "flip one byte of the firmware's code (image offset 0x1040), verify again"
cp "$out/demo.sign" "$out/tampered.sign"
size=$(stat -c %s "$out/tampered.sign")
img_len=$(od -An -t u4 -j 16 -N 4 "$out/tampered.sign" | tr -d ' ')
printf '\xff' | dd of="$out/tampered.sign" bs=1 seek=$((size - img_len + 0x1040)) conv=notrunc status=none
if $rproctee verify "$out/tampered.sign" --key "$pub"; then
  echo "tampered image accepted: this is a bug" >&2
  exit 1
fi
say "rproctee machine --platform stm32mp25 --socket tee.sock &   (secure world + simulated SoC)"
$rproctee machine --platform stm32mp25 --socket "$out/tee.sock" &
machine=$!
trap 'kill $machine 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 100); do [ -S "$out/tee.sock" ] && break; sleep 0.1; done
client=build/release/examples/teec_load_firmware

say "teec_load_firmware unix:tee.sock 0 demo.sign   (a C client of the TEE client API)"
$client "unix:$out/tee.sock" 0 "$out/demo.sign"

say "teec_load_firmware unix:tee.sock 0 tampered.sign"
if $client "unix:$out/tee.sock" 0 "$out/tampered.sign"; then
  echo "the trusted application loaded a tampered image: this is a bug" >&2
  exit 1
fi
kill -TERM $machine
wait $machine
echo
echo "demo complete: signed, verified, inspected, HSM flow byte-identical, tampering rejected"
echo "offline and by the trusted application behind a real process boundary"
