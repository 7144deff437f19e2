#!/usr/bin/env python3
"""forge.py -- what a tamperer does to an audit log (tests/audit/).

  forge.py edit FILE SEQ        change one byte of record SEQ
  forge.py delete FILE SEQ      remove record SEQ
  forge.py swap FILE SEQ        swap records SEQ and SEQ+1
  forge.py truncate FILE        remove the last record
  forge.py rewrite LOG SEQ KEY  change record SEQ and re-chain every record
                                after it in every segment of LOG (the open
                                segment LOG and the closed ones beside it),
                                re-signing each file with stock minisign and
                                the right key: a consistent forgery that only
                                a shipped copy can expose
"""
import glob
import hashlib
import os
import re
import subprocess
import sys

PREV = re.compile(rb'^(\{"v":1,"seq":(\d+),"prev":")([0-9a-f]{64})(".*)$')


def lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def save(path, ls):
    with open(path, "wb") as f:
        f.write(b"".join(x + b"\n" for x in ls))


def index(ls, seq):
    for i, x in enumerate(ls):
        if x.startswith(b'{"v":1,"seq":%d,' % seq):
            return i
    sys.exit("no record %d" % seq)


def edit_one(line):
    """Change one byte inside the record: the last digit of time_ns."""
    m = re.search(rb'"time_ns":(\d+)', line)
    d = m.end(1) - 1
    c = b"%d" % ((line[d] - 48 + 1) % 10)
    return line[:d] + c + line[d + 1:]


def sign(path, key, host, first, n, head):
    trusted = "geosnap-audit v1 host=%s first=%d records=%d head=%s" % (host, first, n, head)
    subprocess.run(["minisign", "-S", "-s", key, "-m", path, "-x", path + ".minisig",
                    "-t", trusted], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def rewrite(log, seq, key):
    d = os.path.dirname(log)
    stem = os.path.basename(log)[:-len(".jsonl")]
    files = sorted(glob.glob(os.path.join(d, stem + ".????????.??????????.jsonl")))
    files.append(log)
    prev = None
    touched = False
    for path in files:
        ls = lines(path)
        changed = False
        for i, x in enumerate(ls):
            m = PREV.match(x)
            s = int(m.group(2))
            if s == seq:
                x = edit_one(x)
                changed = touched = True
            elif touched and prev is not None:
                x = m.group(1) + prev.encode() + m.group(4)
                changed = True
            ls[i] = x
            prev = hashlib.sha256(x).hexdigest()
        if changed:
            save(path, ls)
            first = int(PREV.match(ls[0]).group(2))
            host = re.search(rb'"host":"([^"]*)"', ls[0]).group(1).decode()
            sign(path, key, host, first, len(ls), prev)


def main():
    op = sys.argv[1]
    if op == "rewrite":
        return rewrite(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    path = sys.argv[2]
    ls = lines(path)
    if op == "truncate":
        ls = ls[:-1]
    else:
        i = index(ls, int(sys.argv[3]))
        if op == "edit":
            ls[i] = edit_one(ls[i])
        elif op == "delete":
            del ls[i]
        elif op == "swap":
            ls[i], ls[i + 1] = ls[i + 1], ls[i]
        else:
            sys.exit("unknown operation " + op)
    save(path, ls)


if __name__ == "__main__":
    main()
