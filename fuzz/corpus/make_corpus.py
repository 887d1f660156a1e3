#!/usr/bin/env python3
"""Rebuilds the seed corpora fuzz/corpus/<target>/ from the test vectors, the files that the
fuzz_verify set-up generates (compact ELFs, signed containers, container-mode seeds) and a few
crafted edge cases. Needs the fuzz build (./scripts/build.sh fuzz). See README.md."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
VECTORS = os.path.join(ROOT, "tests", "data", "vectors")
FUZZ_VERIFY = os.path.join(ROOT, "build", "fuzz", "fuzz", "fuzz_verify")
TARGETS = ["fuzz_inspect", "fuzz_verify", "fuzz_elf32", "fuzz_resource_table"]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def put(target, name, data):
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def u32(*values):
    return struct.pack("<%dI" % len(values), *values)


def patch(data, offset, fmt, value):
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


def rsc_table(entries):
    """ver 1, num, reserved, offsets, then the entries (each starting with its type word)."""
    offset = 16 + 4 * len(entries)
    offsets = []
    for e in entries:
        offsets.append(offset)
        offset += len(e)
    return u32(1, len(entries), 0, 0) + u32(*offsets) + b"".join(entries)


def main():
    if not os.access(FUZZ_VERIFY, os.X_OK):
        sys.exit("build the fuzz targets first: ./scripts/build.sh fuzz")
    for t in TARGETS:
        shutil.rmtree(os.path.join(CORPUS, t), ignore_errors=True)
        os.makedirs(os.path.join(CORPUS, t))
    gen = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, RPROCTEE_FUZZ_WRITE_SEEDS=tmp)
        subprocess.run([FUZZ_VERIFY], env=env, check=True, stderr=subprocess.DEVNULL)
        for name in sorted(os.listdir(tmp)):
            gen[name] = read(os.path.join(tmp, name))

    elfs = {n: read(os.path.join(VECTORS, "elf", n)) for n in sorted(os.listdir(os.path.join(VECTORS, "elf")))}
    signed = {n: read(os.path.join(VECTORS, "signed", n))
              for n in sorted(os.listdir(os.path.join(VECTORS, "signed")))}
    minis = {n: d for n, d in gen.items() if n.startswith("mini-") and n.endswith(".elf")}

    # fuzz_verify: container-mode seeds, signed containers and vectors (whole-file mode), and a
    # header that promises more bytes than the file has.
    for n, d in gen.items():
        if n.startswith("container-"):
            put("fuzz_verify", n, d)
    for n, d in signed.items():
        put("fuzz_verify", n, d)
    put("fuzz_verify", "header-only.bin", u32(0x3543A468, 1, 8, 256, 8))

    # fuzz_inspect: signed files, ELF files, and short files of each kind.
    for n, d in list(signed.items()) + [(n, d) for n, d in gen.items() if n.endswith(".sign")]:
        put("fuzz_inspect", n, d)
    for n, d in list(minis.items()) + [("rsc.elf", elfs["rsc.elf"])]:
        put("fuzz_inspect", n, d)
    put("fuzz_inspect", "header-only.bin", u32(0x3543A468, 1, 8, 256, 8))
    put("fuzz_inspect", "elf-magic-only.bin", b"\x7fELF")

    # fuzz_elf32: the ELF files, and ELF files each with one defect.
    for n, d in list(elfs.items()) + list(minis.items()):
        put("fuzz_elf32", n, d)
    rsc = minis["mini-rsc.elf"]
    put("fuzz_elf32", "no-sections.elf", patch(rsc, 48, "<H", 0))             # e_shnum = 0
    put("fuzz_elf32", "elfclass64.elf", patch(rsc, 4, "<B", 2))                # EI_CLASS 64
    put("fuzz_elf32", "truncated-phdrs.elf", rsc[:80])                         # phdrs cut
    put("fuzz_elf32", "overlap.elf", patch(patch(rsc, 52 + 32 + 8, "<I", 0x80100020),
                                           52 + 32 + 12, "<I", 0x80100020))  # 2nd LOAD overlaps
    put("fuzz_elf32", "filesz-gt-memsz.elf", patch(rsc, 52 + 20, "<I", 0x10))  # p_memsz < p_filesz
    shoff = struct.unpack_from("<I", rsc, 32)[0]
    put("fuzz_elf32", "rsc-executable.elf",                                    # .resource_table AX
        patch(rsc, shoff + 3 * 40 + 8, "<I", 0x6))

    # fuzz_resource_table: the tables of the ELF vectors, the all-entries table, edge cases.
    for n in ("rsc.elf", "rsc_aligned16.elf"):
        put("fuzz_resource_table", n.replace(".elf", "-table.bin"), elfs[n][0x2000:0x2000 + (0x8c if n == "rsc.elf" else 0x90)])
    put("fuzz_resource_table", "mini-rsc-table.bin", gen["mini-rsc-table.bin"])
    put("fuzz_resource_table", "empty-table.bin", rsc_table([]))
    put("fuzz_resource_table", "vdev-one-vring-config.bin",
        rsc_table([u32(3, 7, 0, 1, 0, 12) + bytes([0, 1, 0, 0]) + u32(0xFFFFFFFF, 16, 8, 0, 0)
                   + bytes(12)]))
    put("fuzz_resource_table", "vendor-and-unknown.bin", rsc_table([u32(129, 0), u32(1000)]))
    put("fuzz_resource_table", "num-huge.bin", u32(1, 0xFFFFFFFF, 0, 0))
    put("fuzz_resource_table", "offset-into-header.bin", u32(1, 1, 0, 0, 8, 2))
    put("fuzz_resource_table", "short.bin", u32(1, 0, 0)[:11])

    total = 0
    for t in TARGETS:
        files = os.listdir(os.path.join(CORPUS, t))
        size = sum(os.path.getsize(os.path.join(CORPUS, t, f)) for f in files)
        total += size
        print("%-20s %3d files %7d bytes" % (t, len(files), size))
    print("%-20s           %7d bytes" % ("total", total))


if __name__ == "__main__":
    main()
