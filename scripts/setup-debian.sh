#!/usr/bin/env bash
# Installs, only when missing, every Debian package that building and testing rproctee needs.
# Idempotent: a second run with everything present touches nothing (no apt-get at all).
set -euo pipefail

packages=(
  # toolchain and build
  build-essential cmake ninja-build pkg-config git
  clang lld libclang-rt-14-dev            # fuzz preset (libFuzzer), LeakSanitizer runtime
  # libraries
  libssl-dev openssl                      # crypto (OpenSSL 3)
  libcli11-dev libfmt-dev nlohmann-json3-dev
  libp11-kit-dev                          # PKCS#11 header and RFC 7512 URI parser (token keys)
  libfdt-dev device-tree-compiler         # platform descriptions (dtc at build time, libfdt at run time)
  libfuse3-dev fuse3                      # the sysfs-like tree of `rproctee up`
  libgtest-dev libgmock-dev libbenchmark-dev
  libunicorn-dev                          # the emulated Cortex-M core
  # tools used by tests
  xxd binutils
  dpkg-dev file man-db systemd zsh        # cpack -G DEB (dpkg-shlibdeps), the package test:
                                          # man -l, systemd-analyze verify, zsh -n
  softhsm2 opensc                         # PKCS#11 signing tests (a token, pkcs11-tool)
  gcc-arm-none-eabi libnewlib-arm-none-eabi gdb-multiarch  # test firmware, core dumps
  python3-pycryptodome python3-pyelftools  # bench/run.sh: OP-TEE's sign_rproc_fw.py, timed
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present" >&2
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
