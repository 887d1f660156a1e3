#!/usr/bin/env bash
# The main job: installs what is missing, builds, then walks through the offline tool on the
# bundled firmware with the bundled development key: sign -> verify -> inspect -> offline
# (HSM) signing with openssl playing the HSM -> a tampered image rejected with the TA's code.
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
echo
echo "demo complete: signed, verified, inspected, HSM flow byte-identical, tampering rejected"
