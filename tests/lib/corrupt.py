#!/usr/bin/env python3
"""corrupt.py -- damage a repository object in place, for the golden tests
(tests/golden/lib.sh) and the ship tests' flip_byte (tests/ship/lib.sh).

    corrupt.py FILE truncate N       keep the first N bytes (N may be "half",
                                     or negative: drop -N bytes at the end)
    corrupt.py FILE flip OFFSET      invert one byte (OFFSET < 0: from the end;
                                     "middle" for len/2)
    corrupt.py FILE put OFFSET HEX   overwrite bytes at OFFSET with HEX
    corrupt.py FILE u32 OFFSET VALUE write a little-endian u32 at OFFSET
    corrupt.py FILE u32at OFFSET_OF_LEN ADD VALUE
                                     read the u32 at OFFSET_OF_LEN, and write
                                     VALUE at OFFSET_OF_LEN + 4 + that + ADD
                                     (reaches a field behind a length-prefixed
                                     block, e.g. a snapshot's sealed_len)
    corrupt.py FILE grow SIZE        extend to SIZE bytes with a hole
VALUE and SIZE may be written "size+N" or "size-N" (relative to the object).
Prints what it did.
"""
import os
import struct
import sys


def off(arg, size):
    if arg == "middle":
        return size // 2
    n = int(arg, 0)
    return size + n if n < 0 else n


def val(arg, size):
    """An integer, or "size+N" / "size-N" relative to the object's size."""
    if arg.startswith("size"):
        return size + int(arg[4:] or "0", 0)
    return int(arg, 0)


def main(argv):
    path, op, args = argv[1], argv[2], argv[3:]
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        if op == "truncate":
            n = size // 2 if args[0] == "half" else int(args[0])
            if n < 0:
                n = size + n
            f.truncate(n)
            msg = "truncated from %d to %d bytes" % (size, n)
        elif op == "flip":
            o = off(args[0], size)
            f.seek(o)
            b = f.read(1)
            if not b:
                raise SystemExit("corrupt.py: no byte %d in the %d-byte object" % (o, size))
            f.seek(o)
            f.write(bytes([b[0] ^ 0xFF]))
            msg = "flipped byte %d of %d (0x%02x -> 0x%02x)" % (o, size, b[0], b[0] ^ 0xFF)
        elif op == "put":
            o = off(args[0], size)
            f.seek(o)
            f.write(bytes.fromhex(args[1]))
            msg = "wrote %s at %d" % (args[1], o)
        elif op == "u32":
            o = off(args[0], size)
            f.seek(o)
            v = val(args[1], size)
            f.write(struct.pack("<I", v))
            msg = "u32 %d (0x%x) at %d" % (v, v, o)
        elif op == "u32at":
            lo = off(args[0], size)
            f.seek(lo)
            (n,) = struct.unpack("<I", f.read(4))
            o = lo + 4 + n + int(args[1], 0)
            if o + 4 > size:
                raise SystemExit("corrupt.py: offset %d beyond the %d-byte object" % (o, size))
            f.seek(o)
            v = val(args[2], size)
            f.write(struct.pack("<I", v))
            msg = "u32 %d (0x%x) at %d (behind a %d-byte block)" % (v, v, o, n)
        elif op == "grow":
            n = val(args[0], size)
            f.truncate(n)
            msg = "grown from %d to %d bytes" % (size, n)
        else:
            raise SystemExit("corrupt.py: unknown operation %s" % op)
    print("%s: %s" % (os.path.basename(path), msg))


if __name__ == "__main__":
    main(sys.argv)
