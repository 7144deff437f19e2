#!/bin/bash
# 62-report-agent: the report of a log the real agent wrote: two nightly
# runs of geosnap-agent (a good one and one whose backup fails), signed
# with a key made by stock minisign; the operator's geosnap-agent ack.  The report shows
# the agent's own figures (bytes seen, entries), the failure and its
# acknowledgement, and Chromium renders it.
# shellcheck source-path=SCRIPTDIR source=report.bash
. "$(dirname "$0")/report.bash"

gs_begin "report: a log written by geosnap-agent run"
gs_need minisign chromium python3
audit_key web1
mkdir -p "$T/src/d" "$T/log"
head -c 10000 /dev/urandom >"$T/src/d/a.bin"
head -c 20000 /dev/urandom >"$T/src/d/b.bin"
printf 'hello' >"$T/src/c.txt"
gs_keygen acme
GS_CFG_AGENT="audit_log = $T/log/audit.jsonl
audit_key = $T/keys-audit/web1.key" gs_config "$T/geosnap.ini" acme "$T/src"
cat >>"$T/geosnap.ini" <<EOF

[host "scenario-host"]
audit_pubkey = $T/keys-audit/web1.pub
EOF
# shellcheck disable=SC2317  # called through gs_run
A() { "$GS_AGENT" -c "$T/geosnap.ini" "$@"; }
gs_run 0 "init" A init
gs_run 0 "a nightly run" A run
# The second night: the write key is unreadable, the backup fails (exit 2).
mv "$GS_KEYS/acme.write" "$GS_KEYS/acme.write.away"
gs_run "2|3" "a nightly run whose backup fails" A run
mv "$GS_KEYS/acme.write.away" "$GS_KEYS/acme.write"
gs_check "stock minisign verifies the agent's log" \
	minisign -Vm "$T/log/audit.jsonl" -p "$T/keys-audit/web1.pub"

# Yesterday too, in case the runs straddled midnight (UTC); the days before
# the log's first record are not judged.
today=$(date -u +%F)
yesterday=$(date -u -d yesterday +%F)
export GEOSNAP_CONFIG=$T/geosnap.ini
gs_run 1 "report of today (the failure is not acknowledged)" "$GS_RESTORE" report \
	--since "$yesterday" --until "$today" --format json --output "$T/r.json"
py_check "the agent's figures and the unacknowledged failure" "$T/r.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["logs"][0]["ok"] and r["logs"][0]["host"] == "scenario-host", r["logs"]
b = [x for x in r["records"] if x["event"] == "backup"]
assert len(b) == 2, b
ok, bad = b
assert ok["fields"]["status"] == 0 and ok["fields"]["bytes"] == 30005, ok
assert ok["fields"]["files"] == 4, ok  # d and three files
assert bad["fields"]["status"] in (2, 3) and bad["acknowledged_by"] == 0, bad
t = r["tenants"][0]
assert t["name"] == "acme" and t["backup"]["bytes"] == 30005, t["backup"]
# the backup, the volume verify (no key either) and their run
assert r["gaps_by_kind"]["unacknowledged-failure"] == 3, r["gaps"]
assert r["gaps_by_kind"]["missing-night"] == 0  # today is not over
EOF

# The operator acknowledges both failed steps with geosnap-agent ack; the
# run is acknowledged through them.
gs_run 0 "ack the backup" A ack --step backup --tenant acme \
	--note "write key restored from the safe"
gs_run 0 "ack the volume verify" A ack --step verify --tenant acme --note "same cause"
gs_run 1 "report after the ack" "$GS_RESTORE" report --since "$yesterday" --until "$today" \
	--format html --output "$T/r.html"
gs_err_has "0 unacknowledged failure" "the acks handle the steps and, through them, the run"
chromium_dom "$T/r.html" "$T/dom.html"
py_check "Chromium renders the figures and the note" "$T/dom.html" <<'EOF'
import sys
d = open(sys.argv[1]).read()
import pwd, os
for s in ("30005", "write key restored from the safe", "acknowledged", "verified"):
    assert s in d, s
# the operator geosnap-agent ack recorded: $SUDO_USER, the login or the uid's name
who = {os.environ.get("SUDO_USER"), os.environ.get("LOGNAME"), pwd.getpwuid(os.getuid()).pw_name}
assert any(w and "<td>%s</td>" % w in d for w in who), who
EOF

gs_finish
