#!/bin/bash
# 50-ack: `geosnap-agent ack` records that a failed step was seen and
# handled (R3).  A backup whose source is gone and a ship to a remote whose
# directory is gone fail; ack appends one "ack" record per failed result,
# chained after the step records and signed (stock `minisign -V` verifies
# the log and its trusted comment names the ack as head), naming the
# acknowledged record (status, result, time_ns, message), the note and the
# operator; status and the metrics show the result acknowledged until the
# step's next result.  Bad input (no --note, an unknown step, a note with a
# line break, a control character or over 1000 bytes, a missing or
# superfluous --tenant, nothing to acknowledge, no audit_log) exits 2 with
# a message saying what is wrong, and leaves the log as it was; an ack
# whose record cannot be appended (the log is a symbolic link) exits 3 and
# marks nothing.  A status table written before the ack columns still loads.
# shellcheck source-path=SCRIPTDIR source=../scenario/lib.sh
. "$(dirname "$0")/../scenario/lib.sh"
gs_begin "ack: an acknowledged failure is a signed audit record"
gs_need minisign python3 sha256sum

A() { "$GS_AGENT" -c "$T/geosnap.ini" "$@"; }
LOG=$T/log/audit.jsonl
mkdir -p "$T/src" "$T/good" && mkdir -m 700 "$T/log"
echo one >"$T/src/a.txt"
gs_keygen acme
minisign -G -W -p "$T/audit.pub" -s "$GS_KEYS/audit.key" >"$T/minisign.out" 2>&1 ||
	{ gs_show "$T/minisign.out"; gs_fatal "minisign -G -W failed"; }
GS_CFG_AGENT="audit_log = $LOG
audit_key = $GS_KEYS/audit.key
metrics_file = $T/geosnap.prom" gs_config "$T/geosnap.ini" acme "$T/src"
gs_run 0 "init" A init
# the remotes after init, which checks that each can be reached
cat >>"$T/geosnap.ini" <<INI

[policy]
allowed_regions = eu-north

[remote "good"]
url = file://$T/good
region = eu-north

[remote "gone"]
url = file://$T/gone
region = eu-north
INI

# the log's line count, to check that a refused ack appended nothing
records() { wc -l <"$LOG"; }
# unchanged N WHAT: the log still has N lines
unchanged() { gs_check "$2: the audit log is unchanged" test "$(records)" -eq "$1"; }

gs_say "nothing to acknowledge"
gs_run 0 "backup" A backup
n=$(records)
gs_run 2 "ack of a backup that ended ok exits 2" \
	A ack --step backup --tenant acme --note "checked"
gs_err_has "nothing to acknowledge: the last backup of acme ended ok" "and says so"
gs_run 2 "ack of a step that never ran exits 2" A ack --step run --note "checked"
gs_err_has "nothing to acknowledge: no run has been recorded" "and says so"
unchanged "$n" "after both"

gs_say "a failed backup, acknowledged"
mv "$T/src" "$T/src.away"
gs_run 3 "a backup whose source is gone fails" A backup
SUDO_USER=alice gs_run 0 "ack of the failed backup" \
	A ack --step backup --tenant acme --note "source disk remounted, ticket OPS-1234 — ok"
gs_out_has "^acknowledged: backup of acme, failed at " "ack says what it acknowledged"
# (gs_check gives its command /dev/null as stdin: the script goes in a file)
cat >"$T/ackrec.py" <<'PY'
import hashlib, json, sys
raw = open(sys.argv[1], "rb").read().split(b"\n")
assert raw[-1] == b"", "the log ends with a newline"
recs = [json.loads(l) for l in raw[:-1]]
prev = "0" * 64
for i, (l, r) in enumerate(zip(raw, recs)):
    assert r["seq"] == i + 1 and r["prev"] == prev, (i, r)
    prev = hashlib.sha256(l).hexdigest()
failed, ack = recs[-2], recs[-1]
assert failed["event"] == "backup" and failed["status"] == 3, failed
want = {"event": "ack", "step": "backup", "tenant": "acme", "remote": None,
        "acked_status": 3, "acked_result": "failed", "acked_time": failed["time"],
        "acked_time_ns": failed["time_ns"], "acked_message": failed["message"],
        "note": "source disk remounted, ticket OPS-1234 \u2014 ok",
        "operator": "alice", "uid": int(sys.argv[2])}
for k, v in want.items():
    assert ack[k] == v, (k, ack.get(k), v)
assert ack["time_ns"] >= failed["time_ns"] and ack["host"] == failed["host"], ack
PY
gs_check "the ack record follows the failed backup's record in the chain and names it" \
	python3 "$T/ackrec.py" "$LOG" "$(id -u)"
gs_check "stock minisign verifies the log with the ack in it" \
	minisign -Vm "$LOG" -p "$T/audit.pub"
head=$(tail -n 1 "$LOG" | tr -d '\n' | sha256sum | cut -d' ' -f1)
gs_check "the signature's trusted comment counts the ack and names it as head" \
	grep -qE "^trusted comment: geosnap-audit v1 .* records=$(records) head=$head\$" "$LOG.minisig"
gs_run 3 "status still exits 3: the result is failed, acknowledged or not" A status
gs_out_has "^ +acknowledged by alice at [0-9-]+T[0-9:]+Z$" "status shows the failure acknowledged"
gs_run 3 "status --json" A status --json
gs_check "status --json says who acknowledged the backup, and when" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in rows if x["step"] == "backup"][0]
assert r["acknowledged_by"] == "alice" and r["acknowledged"].endswith("Z"), r' "$GS_OUT"
gs_check "the metrics file has the time of the acknowledgement" grep -qE \
	'^geosnap_last_acknowledged_timestamp_seconds\{step="backup",tenant="acme",remote=""\} 1[0-9]{9}' \
	"$T/geosnap.prom"

gs_say "a failed ship, one remote of two"
gs_run 3 "ship: the remote whose directory is gone fails" A ship
n=$(records)
gs_run 2 "ack of the ship to the good remote exits 2" \
	A ack --step ship --tenant acme --remote good --note "checked"
gs_err_has "nothing to acknowledge: the last ship of acme with remote good ended ok" "and says so"
gs_run 0 "ack of the ship, not run through sudo" env -u SUDO_USER \
	"$GS_AGENT" -c "$T/geosnap.ini" ack --step ship --tenant acme \
	--note "remote gone retired, ticket OPS-1235"
gs_out_has "^acknowledged: ship of acme with remote gone, failed at " "ack names the remote"
gs_check "one record: only the failed remote's result is acknowledged" \
	test "$(records)" -eq $((n + 1))
gs_check "the ack record names the remote and an operator" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readlines()[-1])
assert r["event"] == "ack" and r["step"] == "ship" and r["remote"] == "gone", r
assert r["acked_status"] == 3 and "gone" in r["acked_message"], r
assert r["operator"], r' "$LOG"
gs_check "minisign still verifies the log" minisign -Vm "$LOG" -p "$T/audit.pub"

gs_say "bad input"
n=$(records)
gs_run 2 "ack without --note" A ack --step backup --tenant acme
gs_err_has "ack needs --note TEXT" "names the missing --note"
gs_run 2 "ack without --step" A ack --tenant acme --note "x"
gs_err_has "ack needs --step STEP" "names the missing --step"
gs_run 2 "ack of an unknown step" A ack --step expire --tenant acme --note "x"
gs_err_has "unknown step 'expire': backup, ship, verify or run" "names the step and the known ones"
gs_run 2 "a note with a line break" A ack --step backup --tenant acme --note $'line one\nline two'
gs_err_has "line break at byte 9: it must be one line" "says where and why"
gs_run 2 "a note with a control character" A ack --step backup --tenant acme --note $'tab\there'
gs_err_has "control character at byte 4" "says where"
gs_run 2 "a note that is not UTF-8" A ack --step backup --tenant acme --note $'caf\xe9'
gs_err_has "not UTF-8 \\(byte 4\\)" "says where"
gs_run 2 "a note of 1001 bytes" A ack --step backup --tenant acme --note "$(printf '%1001s' '' | tr ' ' x)"
gs_err_has "1001 bytes long; at most 1000" "gives the limit"
gs_run 0 "a note of exactly 1000 bytes is taken" \
	A ack --step backup --tenant acme --note "$(printf '%1000s' '' | tr ' ' y)"
n=$((n + 1))
gs_run 2 "an empty note" A ack --step backup --tenant acme --note "  "
gs_err_has "--note is empty" "says so"
gs_run 2 "a backup ack without --tenant" A ack --step backup --note "x"
gs_err_has "ack --step backup needs one --tenant" "says so"
gs_run 2 "a run ack with --tenant" A ack --step run --tenant acme --note "x"
gs_err_has "takes no --tenant" "says so"
gs_run 2 "a backup ack with --remote" A ack --step backup --tenant acme --remote good --note "x"
gs_err_has "ack --step backup takes no --remote" "says so"
gs_run 2 "two notes" A ack --step backup --tenant acme --note a --note b
gs_err_has "takes one --note" "says so"
unchanged "$n" "after the refusals"
sed "/^audit_/d" "$T/geosnap.ini" >"$T/nolog.ini"
gs_run 2 "ack with no audit_log configured" \
	"$GS_AGENT" -c "$T/nolog.ini" ack --step backup --tenant acme --note "x"
gs_err_has "no audit_log is configured; an acknowledgement is an audit record" "says why"
unchanged "$n" "after it"

gs_say "a record that cannot be appended marks nothing"
cp "$GS_STATE/status.tsv" "$T/status.before"
mv "$LOG" "$T/audit.saved" && echo victim >"$T/victim" && ln -s "$T/victim" "$LOG"
gs_run 3 "ack with the audit log a symbolic link exits 3" \
	A ack --step ship --tenant acme --note "second look"
gs_err_has "acknowledgement of the ship of acme with remote gone was not recorded" "and says so"
gs_check "the status table is as it was" cmp "$GS_STATE/status.tsv" "$T/status.before"
gs_check "the link's target is untouched" test "$(cat "$T/victim")" = victim
rm "$LOG" && mv "$T/audit.saved" "$LOG"

gs_say "the next result clears the mark"
mv "$T/src.away" "$T/src"
gs_run 0 "the backup succeeds again" A backup
gs_run 3 "status (the ship to gone still failed)" A status
gs_check "the backup's line no longer says acknowledged" python3 -c '
import sys
out = open(sys.argv[1]).read().splitlines()
i = [k for k, l in enumerate(out) if l.startswith("backup ")][0]
assert " ok " in out[i] and (i + 1 == len(out) or "acknowledged" not in out[i + 1]), out' "$GS_OUT"
gs_run 0 "ship to the good remote (which rewrites the metrics file)" A ship --remote good
gs_check "the metrics no longer say the backup is acknowledged; the ship's ack stays" python3 -c '
import sys
t = open(sys.argv[1]).read()
assert "geosnap_last_acknowledged_timestamp_seconds{step=\"backup\"" not in t, t
assert "geosnap_last_acknowledged_timestamp_seconds{step=\"ship\",tenant=\"acme\",remote=\"gone\"}" in t, t' \
	"$T/geosnap.prom"

gs_say "a status table written before acks existed"
cut -f1-12 "$GS_STATE/status.tsv" >"$T/old.tsv" && cp "$T/old.tsv" "$GS_STATE/status.tsv"
gs_run 3 "status reads a table without the ack columns" A status
gs_err_lacks "malformed" "without calling it malformed"
gs_run 0 "and ack rewrites it" A ack --step ship --tenant acme --note "again"
gs_check "with the ack columns" awk -F'\t' 'NF != 14 { exit 1 }' "$GS_STATE/status.tsv"
gs_finish
