#!/usr/bin/env python3
"""conventions.py SRC: check the layout rules of issue 9 on the source tree.

  - no source file (C, shell, Python under agent/ restore/ include/ tests/
    bench/) is over 800 lines;
  - every exported function (gs_*, agent_*, cmd_*) has a contract comment
    naming it in a header, and one above its definition;
  - no command file calls into another: a function defined in one
    cmd_<verb>.c of agent/cmd/ or restore/ is used by no other cmd_*.c there.
Prints one line per breach and exits 1 if there is any, else 0.
"""
import glob, os, re, sys

MAX_LINES = 800
src = sys.argv[1]
os.chdir(src)
bad = []

files = []
for top in ("agent", "restore", "include", "tests", "bench"):
    for ext in ("c", "h", "sh", "py"):
        files += glob.glob(f"{top}/**/*.{ext}", recursive=True)
for f in sorted(files):
    if "/corpus/" in f:
        continue
    with open(f, errors="replace") as fh:
        n = sum(1 for _ in fh)
    if n > MAX_LINES:
        bad.append(f"{f}: {n} lines (more than {MAX_LINES})")

EXPORTED = r"(?:gs|agent|cmd)_\w+"
headers = glob.glob("include/geosnap/*.h") + glob.glob("agent/*/*.h") + \
    glob.glob("restore/*.h") + glob.glob("restore/*/*.h")
sources = glob.glob("agent/*/*.c") + glob.glob("restore/*.c") + glob.glob("restore/*/*.c")

declared = {}
for h in headers:
    lines = open(h).read().split("\n")
    for i, l in enumerate(lines):
        m = re.match(r"^[a-z][\w\s\*]*?\b(" + EXPORTED + r")\(", l)
        if not m or l.startswith(("static", "#", "typedef")):
            continue
        name = m.group(1)
        declared[name] = h
        if name not in "\n".join(lines[max(0, i - 25):i]):
            bad.append(f"{h}:{i + 1}: {name}: no contract comment in the header")

for c in sources:
    lines = open(c).read().split("\n")
    for k, l in enumerate(lines):
        m = re.match(r"^(" + EXPORTED + r")\(", l)
        if not m or k < 2 or lines[k - 1].startswith("static"):
            continue
        name = m.group(1)
        if name not in declared:
            continue
        j = k - 2
        ok = lines[j].rstrip().endswith("*/")
        if ok:
            while j > 0 and not lines[j].lstrip().startswith("/*"):
                j -= 1
            ok = name in "\n".join(lines[j:k - 1])
        if not ok:
            bad.append(f"{c}:{k + 1}: {name}: no contract comment above the definition")

for folder in ("agent/cmd", "restore"):
    # cmd_common.c and cmd_session.c are what every restore command shares
    # (the option table, the session), not commands
    cmds = sorted(c for c in glob.glob(f"{folder}/cmd_*.c")
                  if os.path.basename(c) not in ("cmd_common.c", "cmd_session.c"))
    defined = {}
    for c in cmds:
        lines = open(c).read().split("\n")
        for k, l in enumerate(lines):
            m = re.match(r"^(\w+)\(", l)
            if m and k > 0 and not lines[k - 1].startswith("static"):
                defined.setdefault(m.group(1), c)
    for c in cmds:
        text = open(c).read()
        for name, owner in defined.items():
            if owner != c and re.search(r"\b" + re.escape(name) + r"\(", text):
                bad.append(f"{c}: calls {name}() of {owner} (a command file calls steps, not another command file)")

for b in bad:
    print(b)
sys.exit(1 if bad else 0)
