#!/bin/bash
# 09-check-long-refs: a snapshot whose reference stream is longer than one
# chunk checks clean.  The stream is cut by the content chunker like any
# other, so a cut falls inside a 32-byte chunk ID; `check` used to demand
# whole IDs in every reference chunk and called such snapshots broken.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "check: a reference stream of several chunks"

mkdir -p "$T/src"
python3 - "$T/src" <<'PY' || gs_fatal "cannot make the source tree"
import os, sys
for i in range(3000):
    with open(os.path.join(sys.argv[1], "f%05d" % i), "w") as f:
        f.write("small file %d\n" % i)
PY
gs_keygen acme
# Small chunks: 3000 files make a reference stream of about 94 KiB, cut
# into several chunks of 4-16 KiB.
GS_CFG_AGENT=$'chunk_min = 4K\nchunk_avg = 8K\nchunk_max = 16K' gs_config "$T/g.ini" acme "$T/src"
gs_run 0 "init" "$GS_AGENT" -c "$T/g.ini" init
gs_run 0 "backup of 3000 files" "$GS_AGENT" -c "$T/g.ini" backup
gs_run 0 "check" "$GS_RESTORE" -c "$T/g.ini" check --tenant acme &&
	gs_check "check says nothing about reference chunks" \
		bash -c '! grep -q "reference" "$1"' _ "$GS_ERR"
gs_finish
