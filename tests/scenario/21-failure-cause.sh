#!/bin/bash
# 21-failure-cause: a step that fails records why, not a summary line.  A
# backup refused because another writer holds the tenant's lock puts the
# holder's pid into its audit record and into `status`; the next backup,
# once the lock is free, succeeds and leaves the lock file empty.
. "$(dirname "$0")/lib.sh"
gs_begin "a failed backup records its cause"
gs_need flock python3

A() { "$GS_AGENT" -c "$T/geosnap.ini" "$@"; }
mkdir -p "$T/src"
echo one >"$T/src/a.txt"
gs_keygen acme
GS_CFG_AGENT="audit_log = $T/audit.jsonl" gs_config "$T/geosnap.ini" acme "$T/src"
gs_run 0 "init" A init

# Hold the tenant's writer lock the way another agent would: flock(1) holds
# the lock file while it runs the backup, and the file records a pid we
# choose, which the refusal must name.
lock=$GS_REPO/tenants/acme/lock
holder=424242
echo "$holder" >"$lock"
gs_run 3 "a backup while another writer holds the tenant's lock exits 3" \
	flock "$lock" "$GS_AGENT" -c "$T/geosnap.ini" backup
gs_err_has "locked by another writer \\(pid $holder" "stderr names the holder's pid"
gs_err_has "backup failed; no snapshot was made" "and says that no snapshot was made"
gs_check "the audit record carries the cause, with the holder's pid" python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in recs if x["event"] == "backup"][-1]
assert r["status"] == 3, r
assert "locked by another writer (pid " + sys.argv[2] in r["message"], r["message"]' \
	"$T/audit.jsonl" "$holder"
gs_run 3 "status exits 3 after the failed backup" A status
gs_out_has "^backup +acme .* fail" "status shows the failed backup"
gs_out_has "^ +.*locked by another writer \\(pid $holder" "and the cause below it"
gs_run 3 "status --json too" A status --json
gs_check "status --json carries the cause in its message" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in rows if x["step"] == "backup"][0]
assert "locked by another writer (pid " + sys.argv[2] in r["message"], r' "$GS_OUT" "$holder"

gs_run 0 "once the lock is free the backup succeeds" A backup
gs_check "the released lock file is empty" test ! -s "$lock"
gs_finish
