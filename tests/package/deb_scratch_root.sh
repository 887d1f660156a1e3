#!/usr/bin/env bash
# The Debian package as a user gets it, without root-only tricks: `cpack -G DEB` in the build
# tree, `dpkg-deb -x` into a scratch root, then from that root: `rproctee --version`, `man -l`
# on a page, the systemd units, and an OP-TEE host program built with the root's teec.pc and
# linked against its libteec.so.2, run against a `rproctee machine` started from the root.
#   tests/package/deb_scratch_root.sh CPACK BUILD_DIR SOURCE_DIR
set -euo pipefail
cpack=$1 build=$2 src=$3
work=$(mktemp -d)
machine=
cleanup() {
  [ -n "$machine" ] && kill "$machine" 2>/dev/null && wait "$machine" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "deb_scratch_root: $*" >&2
  exit 1
}

"$cpack" -G DEB -B "$work/pkg" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$work"/pkg/rproctee_*_*.deb)
echo "package: ${deb##*/}"
dpkg-deb --field "$deb" Package Version Architecture Depends
dpkg-deb --contents "$deb" | awk '{print $6}' >"$work/contents"
for path in ./usr/bin/rproctee ./usr/bin/sign_rproc_fw.py ./usr/libexec/rproctee-full \
  ./usr/lib/libteec.so.2.0.0 \
  ./usr/lib/libteec.so.2 ./usr/lib/libteec.so ./usr/include/tee_client_api.h \
  ./usr/lib/pkgconfig/teec.pc ./usr/lib/cmake/teec/teecConfig.cmake \
  ./usr/share/man/man1/rproctee.1.gz ./usr/share/man/man1/rproctee-sign.1.gz \
  ./usr/share/man/man1/rproctee-machine.1.gz ./usr/share/bash-completion/completions/rproctee \
  ./usr/share/zsh/vendor-completions/_rproctee ./usr/lib/systemd/system/rproctee-machine.service \
  ./usr/lib/systemd/system/rproctee-machine.socket ./usr/share/rproctee/firmware/demo-m33.sign; do
  grep -qxF "$path" "$work/contents" || fail "the package has no $path"
done
dpkg-deb --field "$deb" Depends | grep -q libunicorn || fail "Depends lacks the shared libraries"
dpkg-deb --field "$deb" Depends | grep -q libp11-kit0 || fail "Depends lacks libp11-kit0 (dlopen'ed)"

root=$work/root
dpkg-deb -x "$deb" "$root"
version=$("$root/usr/bin/rproctee" --version)
[ "$version" = "rproctee $(sed -n 's/^project(rproctee VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")" ] ||
  fail "rproctee --version printed '$version'"
echo "$version"
# The offline tool needs none of the machine's libraries; `rproctee machine` below execs
# rproctee-full from the root's libexec.
if ldd "$root/usr/bin/rproctee" | grep -E 'libunicorn|libfuse|libfdt'; then
  fail "bin/rproctee links a machine library"
fi
page=$(MANWIDTH=80 man -l "$root/usr/share/man/man1/rproctee-machine.1.gz" 2>&1)
grep -q "rproctee-machine - run the secure world" <<<"$page" || fail "man -l: $page"
grep -q -- "--socket PATH" <<<"$page" || fail "man -l: no --socket in $page"
echo "man -l rproctee-machine.1.gz: $(grep -c . <<<"$page") lines"
grep -q '^ListenSequentialPacket=/run/rproctee/tee.sock$' \
  "$root/usr/lib/systemd/system/rproctee-machine.socket" || fail "socket unit"
if command -v systemd-analyze >/dev/null; then
  # The units as systemd reads them in that root (ExecStart resolved there); the root gets a
  # copy of the host's targets and slices, which the units are ordered against.
  cp /usr/lib/systemd/system/*.target /usr/lib/systemd/system/*.slice "$root/usr/lib/systemd/system/"
  systemd-analyze verify --man=no --root="$root" /usr/lib/systemd/system/rproctee-machine.socket \
    /usr/lib/systemd/system/rproctee-machine.service || fail "systemd-analyze verify"
  echo "systemd-analyze verify: the units are valid"
fi

export PKG_CONFIG_PATH=$root/usr/lib/pkgconfig
# shellcheck disable=SC2046  # pkg-config's words are meant to split
gcc -std=c11 -Wall -Wextra -Werror "$src/tests/teec/host_program.c" \
  $(pkg-config --cflags --libs teec) -o "$work/host"
"$root/usr/bin/rproctee" machine --platform stm32mp25 --socket "$work/tee.sock" \
  2>"$work/machine.err" &
machine=$!
for _ in $(seq 300); do
  grep -q "listening on" "$work/machine.err" 2>/dev/null && [ -S "$work/tee.sock" ] && break
  sleep 0.1
done
[ -S "$work/tee.sock" ] || { cat "$work/machine.err" >&2; fail "the machine did not listen"; }
LD_LIBRARY_PATH=$root/usr/lib RPROCTEE_TEE=unix:$work/tee.sock \
  "$work/host" 0 "$root/usr/share/rproctee/firmware/demo-m33.sign" ||
  { cat "$work/machine.err" >&2; fail "the host program failed"; }
LD_LIBRARY_PATH=$root/usr/lib ldd "$work/host" | grep "$root/usr/lib/libteec.so.2" >/dev/null || fail "not linked against the root's libteec"
echo "deb_scratch_root: ok"
