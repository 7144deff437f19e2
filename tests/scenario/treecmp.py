#!/usr/bin/env python3
"""treecmp.py -- capture and compare directory trees for the scenario tests.

    treecmp.py snap ROOT OUT.json [--exclude REL]...
        Record every entry below ROOT (ROOT itself excluded): type, mode,
        uid, gid, mtime (ns), size, content, symlink target, device number,
        xattrs (including POSIX ACLs, which Linux shows as system.posix_acl_*)
        and hard-link grouping.

    treecmp.py cmp A B [options]
        A and B are each a directory or a file written by `snap`.  Prints the
        first differences and exits 1 if there are any, 0 if none.
        --exclude REL      ignore REL and what lies below it (both sides)
        --no-xattrs        do not compare xattrs and ACLs
        --no-owner         do not compare uid and gid
        --mtime-res NS     compare mtimes truncated to NS nanoseconds
                           (1000000000 for formats that keep whole seconds)
        --no-dir-mtime     do not compare the mtimes of directories
        --no-symlink-mtime do not compare the mtimes of symlinks
        --no-hardlinks     do not compare hard-link grouping (and let
                           hard links differ from copies)
        --max N            print at most N differences (default 25)

    treecmp.py blocks FILE
        Print FILE's allocated bytes (st_blocks * 512).

Content is compared through a canonical digest that does not depend on how
zeros are stored: the file is cut into 4096-byte blocks, all-zero blocks are
dropped, and the digest covers the size, the positions of the other blocks
and their bytes.  Holes are skipped with SEEK_DATA/SEEK_HOLE, so a 3 GiB
sparse file costs what its data costs, and a sparse restore of a file that
had real zero blocks compares equal to it (as it should: same content).

Paths are bytes on disk; in JSON they are str with surrogateescape, which
json keeps as \\udcXX escapes, so any name round-trips.
"""

import errno
import hashlib
import json
import os
import stat
import sys

BS = 4096
ZERO = bytes(BS)
CHUNK = 1 << 20


class Digest:
    def __init__(self, size):
        self.size = size
        self.h = hashlib.sha256()
        self.ranges = []  # [first_block, end_block) of non-zero blocks

    def _add(self, blk_index, nblocks):
        if self.ranges and self.ranges[-1][1] == blk_index:
            self.ranges[-1][1] += nblocks
        else:
            self.ranges.append([blk_index, blk_index + nblocks])

    def feed(self, off, buf):
        """buf starts at block-aligned offset off."""
        nfull = len(buf) // BS
        full = memoryview(buf)[: nfull * BS]
        if nfull and buf.find(ZERO, 0, nfull * BS) == -1:
            self.h.update(full)
            self._add(off // BS, nfull)
        else:
            for i in range(nfull):
                blk = full[i * BS:(i + 1) * BS]
                if blk != ZERO:
                    self.h.update(blk)
                    self._add(off // BS + i, 1)
        tail = buf[nfull * BS:]
        if tail and tail.count(0) != len(tail):
            self.h.update(tail)
            self._add(off // BS + nfull, 1)

    def hexdigest(self):
        top = hashlib.sha256()
        top.update(b"size %d\n" % self.size)
        for a, b in self.ranges:
            top.update(b"%d-%d\n" % (a, b))
        top.update(self.h.digest())
        return top.hexdigest()


def content_digest(path, size):
    d = Digest(size)
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        pos = 0      # everything before pos has been fed
        while pos < size:
            try:
                data = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError as e:
                if e.errno == errno.ENXIO:
                    break  # only a hole from pos to the end
                if e.errno in (errno.EINVAL, errno.EOPNOTSUPP):
                    data = pos
                else:
                    raise
            try:
                hole = os.lseek(fd, data, os.SEEK_HOLE)
            except OSError:
                hole = size
            off = max(data - data % BS, pos)
            end = min(hole, size)
            while off < end:
                buf = os.pread(fd, min(CHUNK, end - off), off)
                if not buf:
                    raise OSError(errno.EIO, "%s: file shrank while being read"
                                  % os.fsdecode(path))
                d.feed(off, buf)
                off += len(buf)
            pos = max(off, hole)
    finally:
        os.close(fd)
    return d.hexdigest()


def ftype(mode):
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"),
                       (stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISCHR, "chr"), (stat.S_ISBLK, "blk"),
                       (stat.S_ISSOCK, "sock")):
        if test(mode):
            return name
    return "unknown"


def read_xattrs(path):
    out = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as e:
        if e.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return out
        raise
    for n in sorted(names):
        out[n] = os.getxattr(path, n, follow_symlinks=False).hex()
    return out


def under(rel, excl):
    for x in excl:
        if rel == x or rel.startswith(x + "/"):
            return True
    return False


def capture(root, excludes=()):
    """Return {rel: entry} for everything below root."""
    rootb = os.fsencode(root)
    entries = {}
    inodes = {}
    stack = [b""]
    while stack:
        relb = stack.pop()
        dirpath = os.path.join(rootb, relb) if relb else rootb
        with os.scandir(dirpath) as it:
            names = sorted(e.name for e in it)
        for nb in names:
            crel = os.path.join(relb, nb) if relb else nb
            rel = os.fsdecode(crel)
            if under(rel, excludes):
                continue
            p = os.path.join(rootb, crel)
            st = os.lstat(p)
            t = ftype(st.st_mode)
            e = {
                "type": t,
                "mode": "%04o" % stat.S_IMODE(st.st_mode),
                "uid": st.st_uid,
                "gid": st.st_gid,
                "mtime_ns": st.st_mtime_ns,
                "xattrs": read_xattrs(p),
            }
            if t == "file":
                e["size"] = st.st_size
                e["blocks"] = st.st_blocks * 512
                e["content"] = content_digest(p, st.st_size)
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif t == "symlink":
                e["target"] = os.fsdecode(os.readlink(p))
            elif t in ("chr", "blk"):
                e["rdev"] = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            elif t == "dir":
                stack.append(crel)
            entries[rel] = e
    for paths in inodes.values():
        group = sorted(paths)
        for rel in paths:
            entries[rel]["links"] = group
    for rel, e in entries.items():
        if e["type"] == "file" and "links" not in e:
            e["links"] = [rel]
    return entries


def load(src, excludes):
    if os.path.isdir(src):
        return capture(src, excludes)
    with open(src, encoding="utf-8") as f:
        data = json.load(f)
    ents = data["entries"]
    if excludes:
        ents = {k: v for k, v in ents.items() if not under(k, excludes)}
        for v in ents.values():
            if "links" in v:
                v["links"] = [p for p in v["links"] if not under(p, excludes)]
    return ents


def show(s):
    return json.dumps(s, ensure_ascii=True)


def compare(a, b, opts):
    diffs = []

    def diff(rel, what, va, vb):
        diffs.append("%s: %s: A=%s B=%s" % (show(rel), what, show(va), show(vb)))

    for rel in sorted(set(a) - set(b)):
        diffs.append("%s: only in A (%s)" % (show(rel), a[rel]["type"]))
    for rel in sorted(set(b) - set(a)):
        diffs.append("%s: only in B (%s)" % (show(rel), b[rel]["type"]))
    res = opts["mtime_res"]
    for rel in sorted(set(a) & set(b)):
        ea, eb = a[rel], b[rel]
        if ea["type"] != eb["type"]:
            diff(rel, "type", ea["type"], eb["type"])
            continue
        t = ea["type"]
        if ea["mode"] != eb["mode"] and t != "symlink":
            diff(rel, "mode", ea["mode"], eb["mode"])
        if opts["owner"]:
            for k in ("uid", "gid"):
                if ea[k] != eb[k]:
                    diff(rel, k, ea[k], eb[k])
        check_mtime = not ((t == "dir" and not opts["dir_mtime"]) or
                           (t == "symlink" and not opts["symlink_mtime"]))
        if check_mtime and ea["mtime_ns"] // res != eb["mtime_ns"] // res:
            diff(rel, "mtime_ns", ea["mtime_ns"], eb["mtime_ns"])
        if opts["xattrs"] and ea["xattrs"] != eb["xattrs"]:
            diff(rel, "xattrs", ea["xattrs"], eb["xattrs"])
        for k in ("size", "content", "target", "rdev"):
            if ea.get(k) != eb.get(k):
                diff(rel, k, ea.get(k), eb.get(k))
        if t == "file" and opts["hardlinks"] and ea.get("links") != eb.get("links"):
            diff(rel, "hard links", ea.get("links"), eb.get("links"))
    return diffs


def usage():
    sys.stderr.write(__doc__)
    sys.exit(2)


def main(argv):
    if len(argv) < 2:
        usage()
    cmd, rest = argv[1], argv[2:]
    opts = {"xattrs": True, "owner": True, "mtime_res": 1, "dir_mtime": True,
            "symlink_mtime": True, "hardlinks": True, "max": 25}
    excludes = []
    pos = []
    i = 0
    while i < len(rest):
        x = rest[i]
        if x == "--exclude":
            i += 1
            excludes.append(rest[i].strip("/"))
        elif x == "--no-xattrs":
            opts["xattrs"] = False
        elif x == "--no-owner":
            opts["owner"] = False
        elif x == "--mtime-res":
            i += 1
            opts["mtime_res"] = int(rest[i])
        elif x == "--no-dir-mtime":
            opts["dir_mtime"] = False
        elif x == "--no-symlink-mtime":
            opts["symlink_mtime"] = False
        elif x == "--no-hardlinks":
            opts["hardlinks"] = False
        elif x == "--max":
            i += 1
            opts["max"] = int(rest[i])
        elif x.startswith("--"):
            usage()
        else:
            pos.append(x)
        i += 1

    if cmd == "snap" and len(pos) == 2:
        ents = capture(pos[0], excludes)
        tmp = pos[1] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"root": pos[0], "entries": ents}, f, sort_keys=True, indent=0)
        os.rename(tmp, pos[1])
        print("treecmp: %d entries below %s recorded in %s" % (len(ents), pos[0], pos[1]))
        return 0
    if cmd == "cmp" and len(pos) == 2:
        for p in pos:
            if not os.path.lexists(p):
                print("treecmp: %s: no such file or directory" % p)
                return 1
        a = load(pos[0], excludes)
        b = load(pos[1], excludes)
        diffs = compare(a, b, opts)
        if not diffs:
            print("treecmp: %d entries identical (A=%s B=%s)" % (len(a), pos[0], pos[1]))
            return 0
        print("treecmp: %d differences between A=%s and B=%s; the first:"
              % (len(diffs), pos[0], pos[1]))
        for d in diffs[: opts["max"]]:
            print("  " + d)
        return 1
    if cmd == "blocks" and len(pos) == 1:
        print(os.lstat(pos[0]).st_blocks * 512)
        return 0
    usage()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
