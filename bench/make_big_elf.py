#!/usr/bin/env python3
# bench/make_big_elf.py OUT SIZE: a Cortex-M33 ELF (STM32MP25 preset addresses) whose one code
# segment at 0x80100000 holds SIZE bytes (vector table, then a deterministic pattern), for the
# whole-process figures of bench/run.sh. Python's standard library only.
import random
import struct
import sys

out, size = sys.argv[1], int(sys.argv[2], 0)
base, offset = 0x80100000, 0x1000
code = bytearray(random.Random(12).randbytes(size))
code[0:8] = struct.pack("<II", base + 0x400, base + 0x41)  # initial SP, reset handler (Thumb)
header = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 40, 1,
                     base + 0x41, 52, 0, 0x5000200, 52, 32, 1, 40, 0, 0)
phdr = struct.pack("<IIIIIIII", 1, offset, base, base, size, size, 5, 0x1000)
with open(out, "wb") as f:
    f.write(header + phdr + bytes(offset - len(header) - len(phdr)) + code)
