#!/bin/bash
# 20-run-status: the nightly `run` holds a lock (a second run exits 3 naming
# the holder; a stale lock of a dead process is taken over and said so),
# records every step in the status table, the audit log (hash-chained JSON
# Lines) and Prometheus metrics; `status` reports them and its exit status
# follows the last results.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "run: lock, status, audit log, metrics"
gs_need flock python3

A() { "$GS_AGENT" -c "$T/geosnap.ini" "$@"; }
mkdir -p "$T/src/d"
echo one >"$T/src/d/a.txt"
gs_keygen acme
GS_CFG_AGENT="audit_log = $T/audit.jsonl
metrics_file = $T/geosnap.prom" gs_config "$T/geosnap.ini" acme "$T/src"
gs_run 0 "init" A init

gs_run 0 "run on a clean tree" A run
gs_check "run is silent on success (no stdout, no stderr)" \
	test ! -s "$GS_OUT" -a ! -s "$GS_ERR"
gs_run 0 "status after a good run exits 0" A status
gs_out_has "^backup +acme .* ok " "status shows the backup step of acme as ok"
gs_run 0 "status --json" A status --json
gs_check "status --json is JSON Lines with step, result and age" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert {r["step"] for r in rows} == {"backup", "verify", "expire", "run"}, rows
assert all(r["result"] == "ok" and r["age_s"] >= 0 for r in rows), rows' "$GS_OUT"

gs_say "the audit log"
gs_check "each record names its predecessor's SHA-256 and seq increases by one" python3 -c '
import hashlib, json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b"", "the log ends with a newline"
prev = "0" * 64
for i, l in enumerate(lines[:-1]):
    r = json.loads(l)
    assert r["seq"] == i + 1, (i, r["seq"])
    assert r["prev"] == prev, (i, r["prev"], prev)
    prev = hashlib.sha256(l).hexdigest()
events = [json.loads(l)["event"] for l in lines[:-1]]
assert events == ["backup", "verify", "expire", "run"], events' "$T/audit.jsonl"
gs_check "the backup record names its snapshot and counts what the scan saw" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["event"] == "backup" and r["tenant"] == "acme" and r["status"] == 0, r
assert len(r["snapshot"]) == 32 and r["files"] == 2 and r["bytes"] == 4, r' "$T/audit.jsonl"

gs_say "metrics"
gs_check "the metrics file has the last status, success time and bytes of the backup" python3 -c '
import re, sys
text = open(sys.argv[1]).read()
assert re.search(r"^geosnap_last_status\{step=\"backup\",tenant=\"acme\",remote=\"\"\} 0$", text, re.M), text
assert re.search(r"^geosnap_last_success_timestamp_seconds\{step=\"backup\",tenant=\"acme\",remote=\"\"\} 1\d{9}", text, re.M), text
assert re.search(r"^geosnap_last_bytes\{step=\"backup\",tenant=\"acme\",remote=\"\"\} 4$", text, re.M), text
for line in text.splitlines():
    assert line.startswith("#") or re.match(r"^[a-z_]+(\{[^}]*\})? [-+0-9.e]+$", line), line' "$T/geosnap.prom"
if command -v promtool >/dev/null; then
	gs_check "promtool check metrics accepts the file" sh -c 'promtool check metrics <"$1"' _ "$T/geosnap.prom"
fi

gs_say "the lock"
gs_run 3 "a run while another holds the lock exits 3" \
	flock "$GS_STATE/run.lock" "$GS_AGENT" -c "$T/geosnap.ini" run
gs_err_has "another geosnap-agent run holds .*run\.lock" "the refusal names the lock"
bash -c 'exit 0' & dead=$!
wait "$dead"
echo "$dead" >"$GS_STATE/run.lock"
gs_run 0 "a run after a holder died takes the lock over" A run
gs_err_has "stale lock .* of pid $dead" "and says whose stale lock it took over"
gs_check "a finished run leaves the lock file empty" test ! -s "$GS_STATE/run.lock"

gs_say "failures show in status"
chmod 644 "$GS_KEYS/acme.write"
gs_run 2 "run with a group-readable write key exits 2" A run
gs_err_has "accessible by group or others" "and says why"
gs_run 2 "status then exits 2 too" A status
gs_out_has "^backup +acme .* usage " "status shows the failed backup"
chmod 600 "$GS_KEYS/acme.write"
gs_run 0 "the next run succeeds" A run
gs_run 0 "and status is back to 0" A status
gs_finish
