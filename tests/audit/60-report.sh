#!/bin/bash
# 60-report: the auditor's report of ten nights of a signed log, in every
# format: the figures (bytes, nights, parity, restore tests, the
# acknowledgement) in HTML, Markdown, JSON and CSV; the HTML rendered by
# headless Chromium (the DOM holds the figures, seq numbers and hashes;
# the PDF has the expected pages); the gaps called out (a night with no
# run, a failure never acknowledged, a tenant never restore-tested).
#
# The log is written by the agent's own writer (tests/audit/tools/
# audit_append.c) and signed with a key made by stock minisign.
# shellcheck source-path=SCRIPTDIR source=report.bash
. "$(dirname "$0")/report.bash"

gs_begin "report: ten nights in html, md, json and csv"
gs_need minisign chromium python3
audit_key web1
LOG=$T/log/audit.jsonl
mkdir -p "$T/log"

# Ten nights from 2026-02-01, tenants acme and beta, remote fi1.  No run on
# 02-05; beta's backup fails on 02-07 and is acknowledged the next morning;
# acme's parity on fi1 fails on 02-09 and is never acknowledged; acme is
# restore-tested on 02-03, beta never.
python3 - >"$T/spec" <<'EOF'
import datetime as dt
T = lambda d, h, m=0: (dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)
                       + dt.timedelta(days=d, hours=h, minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ")
def rec(t, ev, **f):
    out = [t, ev]
    for k, v in f.items():
        if v is None:
            out.append(f"{k}:=null")
        elif isinstance(v, (int, float)):
            out.append(f"{k}:={v}")
        else:
            out.append(f"{k}={v}")
    print("\t".join(out))
for d in range(10):
    if d == 4:
        continue
    run = 0
    for i, ten in enumerate(("acme", "beta")):
        st = 3 if (ten == "beta" and d == 6) else 0
        rec(T(d, 2, i * 10), "backup", tenant=ten, remote=None, status=st,
            result="failed" if st else "ok", duration_s=10 + d, files=100,
            bytes=0 if st else 1000 * (d + 1) * (i + 1), new_bytes=0 if st else 100 + d,
            snapshot=None if st else f"snap{d}{ten}",
            message="disk full </script><b>x" if st else None)
        if st:
            run = 3
            continue
        rec(T(d, 2, i * 10 + 1), "ship", tenant=ten, remote="fi1", status=0, result="ok",
            duration_s=2, files=5, bytes=500 + d, new_bytes=0)
        vs = 1 if (ten == "acme" and d == 8) else 0
        rec(T(d, 2, i * 10 + 2), "verify", tenant=ten, remote="fi1", status=vs,
            result="problem" if vs else "ok", duration_s=1, files=20, bytes=400,
            message="parity: 1 object differs" if vs else None)
        rec(T(d, 2, i * 10 + 3), "verify", tenant=ten, remote=None, status=0, result="ok",
            duration_s=1, files=100, bytes=1000 * (d + 1) * (i + 1))
        run = max(run, vs)
    rec(T(d, 2), "run", tenant=None, remote=None, status=run,
        result={0: "ok", 1: "problem", 3: "failed"}[run], duration_s=30)
    if d == 6:
        rec(T(d + 1, 8), "ack", step="backup", tenant="beta", note="disk replaced, ticket 42")
    if d == 2:
        rec(T(d, 11), "restore-test", tenant="acme", **{"from": "fi1"}, snapshot="snap2acme",
            sample="3%", seed=77, files_checked=100, bytes_checked=3000, mismatches=0,
            ttfb_s=0.25, duration_s=1.5, throughput_mib_s=2.0, status=0, result="ok")
rec(T(9, 12), "expire", tenant="acme", status=0, result="ok", snapshots=2)
EOF
audit_append "$LOG" web1 web1 <"$T/spec"
gs_check "stock minisign verifies the open segment" \
	minisign -Vm "$LOG" -p "$T/keys-audit/web1.pub"

cat >"$T/geosnap.ini" <<EOF
[agent]
host = web1
audit_log = $LOG

[policy]
restore_test_max_age = 30d

[host "web1"]
audit_pubkey = $T/keys-audit/web1.pub
EOF
export GEOSNAP_CONFIG=$T/geosnap.ini
P=(--since 2026-02-01 --until 2026-02-10)

for f in html md json csv; do
	gs_run 1 "report --format $f (gaps: exit 1)" "$GS_RESTORE" report "${P[@]}" \
		--format "$f" --output "$T/r.$f"
	gs_err_has "report: 4 gap\(s\) called out \(0 log, 1 missing night, 2 unacknowledged failure, 1 restore test overdue" \
		"$f: the gaps are summed up on stderr"
done

# The figures, from the JSON (the machine's view) against the log's own.
py_check "json: figures, nights, gaps and records as logged" "$T/r.json" "$LOG" <<'EOF'
import json, sys, hashlib
r = json.load(open(sys.argv[1]))
lines = log_lines(sys.argv[2])
def want(c, m):
    if not c:
        sys.exit("not as expected: " + m)
want(r["since"] == "2026-02-01" and r["until"] == "2026-02-10", "period")
want(r["gap_count"] == 4, "gap count %d" % r["gap_count"])
want(r["gaps_by_kind"] == {"log-not-verified": 0, "missing-night": 1,
     "unacknowledged-failure": 2, "restore-test-overdue": 1, "no-log": 0}, "gaps by kind")
g = {(x["kind"], x["date"], x["tenant"]) for x in r["gaps"]}
want(("missing-night", "2026-02-05", None) in g, "missing night 02-05")
want(("unacknowledged-failure", "2026-02-09", "acme") in g, "acme's verify of 02-09")
want(("unacknowledged-failure", "2026-02-09", None) in g, "the run of 02-09")
want(("restore-test-overdue", None, "beta") in g, "beta never restore-tested")
l = r["logs"]
want(len(l) == 1 and l[0]["ok"] and l[0]["result"] == "verified" and l[0]["host"] == "web1", "log")
want(l[0]["records"] == len(lines) and l[0]["last_seq"] == len(lines), "records")
want(l[0]["head"] == hashlib.sha256(lines[-1]).hexdigest(), "head")
t = {x["name"]: x for x in r["tenants"]}
a, b = t["acme"], t["beta"]
want(a["nights"] == {"ok": 8, "warning": 0, "failed": 1, "acknowledged": 0, "no_run": 1,
     "not_over": 0}, "acme nights %s" % a["nights"])
want(b["nights"] == {"ok": 8, "warning": 0, "failed": 0, "acknowledged": 1, "no_run": 1,
     "not_over": 0}, "beta nights %s" % b["nights"])
want(a["backup"]["runs"] == 9 and a["backup"]["bytes"] == 50000, "acme backup bytes")
want(a["backup"]["new_bytes"] == sum(100 + d for d in range(10) if d != 4), "acme new bytes")
want(b["backup"]["bytes"] == 2 * 1000 * sum(d + 1 for d in range(10) if d not in (4, 6)),
     "beta backup bytes")
want(a["ship"]["bytes"] == sum(500 + d for d in range(10) if d != 4), "acme shipped")
p = {x["remote"]: x for x in a["parity"]}
want(p["fi1"]["checks"] == 9 and p["fi1"]["failed"] == 1 and p["fi1"]["objects"] == 180,
     "acme parity on fi1")
want(p[None]["checks"] == 9 and p[None]["failed"] == 0, "acme volume parity")
want(a["restore_tests"]["count"] == 1 and b["restore_tests"]["count"] == 0, "restore tests")
days = {x["date"]: x for x in a["days"]}
want(days["2026-02-03"]["restore_test"] == "passed", "restore test day")
want(days["2026-02-09"]["outcome"] == "failed", "acme 02-09")
want({x["date"]: x for x in b["days"]}["2026-02-07"]["outcome"] == "acknowledged", "beta 02-07")
recs = r["records"]
want(len(recs) == len(lines), "every record of the period: %d" % len(recs))
byseq = {json.loads(l)["seq"]: l for l in lines}
for rec in recs:
    line = byseq[rec["seq"]]
    want(rec["hash"] == hashlib.sha256(line).hexdigest(), "hash of seq %d" % rec["seq"])
    want(json.loads(line) == {**rec["fields"]}, "fields of seq %d" % rec["seq"])
ack = [x for x in recs if x["event"] == "ack"][0]
bad = [x for x in recs if x["event"] == "backup" and x["fields"]["status"] == 3][0]
want(ack["acknowledges"] == bad["seq"] and bad["acknowledged_by"] == ack["seq"], "the ack")
EOF

py_check "csv: one row per record, quoted, with the figures" "$T/r.csv" "$LOG" <<'EOF'
import csv, sys, hashlib, json
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
lines = log_lines(sys.argv[2])
assert len(rows) == len(lines), (len(rows), len(lines))
byseq = {json.loads(l)["seq"]: l for l in lines}
assert sorted(int(r["seq"]) for r in rows) == sorted(byseq)
for row in rows:
    line = byseq[int(row["seq"])]
    j = json.loads(line)
    assert row["hash"] == hashlib.sha256(line).hexdigest()
    assert int(row["seq"]) == j["seq"] and row["event"] == j["event"] and row["time"] == j["time"]
    if "bytes" in j:
        assert row["bytes"] == str(j["bytes"]), row
fail = [r for r in rows if r["status"] == "3" and r["event"] == "backup"][0]
assert fail["message"] == "disk full </script><b>x" and fail["acknowledged_by"], fail
rt = [r for r in rows if r["event"] == "restore-test"][0]
assert (rt["from"], rt["files"], rt["bytes"], rt["mismatches"], rt["ttfb_s"],
        rt["throughput_bps"]) == ("fi1", "100", "3000", "0", "0.250", "2097152"), rt
EOF

py_check "md: sections, calendar line and figures" "$T/r.md" <<'EOF'
import sys
m = open(sys.argv[1]).read()
for s in ("## 1. Verification of the logs", "**verified**", "4 gap(s) called out",
          "| missing-night | 2026-02-05 | web1 |", "acme                 ooRo.oooFo",
          "beta                 oooo.oaooo", "disk full &lt;/script&gt;&lt;b&gt;x",
          "| backup | beta |  | failed, acknowledged by", "| 50000 |", "disk replaced, ticket 42"):
    assert s in m, s
assert "</script>" not in m
EOF

# The HTML: self-contained, escaped, and what Chromium renders holds it all.
py_check "html: no script, no external resource, the log's markup escaped" "$T/r.html" <<'EOF'
import re, sys
h = open(sys.argv[1]).read()
assert "<script" not in h and "</script>" not in h and "<b>x" not in h
assert "disk full &lt;/script&gt;&lt;b&gt;x" in h
assert not re.search(r'(src|href)\s*=', h), "a reference to an outside resource"
assert re.findall(r'https?://[^"\s]*', h) == ["http://www.w3.org/2000/svg"] * h.count("<svg")
assert "@media print" in h and "<svg" in h
EOF
chromium_dom "$T/r.html" "$T/dom.html"
gs_check "chromium renders the report" test -s "$T/dom.html"
read -r fseq fhash < <(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
x = [x for x in r["records"] if x["event"] == "verify" and x["fields"]["status"] == 1][0]
print(x["seq"], x["hash"])' "$T/r.json")
py_check "DOM: the figures, seq numbers and hashes" "$T/dom.html" "$fseq" "$fhash" <<'EOF'
import sys, re
d = open(sys.argv[1]).read()
seq, h = sys.argv[2], sys.argv[3]
text = re.sub(r"<[^>]+>", "|", d)
for s in ("4 gaps called out", "missing-night", "2026-02-05", "restore-test-overdue",
          "unacknowledged-failure", "50000", "disk replaced, ticket 42", "parity: 1 object differs"):
    assert s in text, s
assert re.search(r"\|%s\|+%s\|" % (seq, h), text), "row of seq %s with its hash" % seq
assert d.count("<rect") == 20 + 6, "a calendar cell per tenant and day, and the legend"
assert 'id="seq-web1-%s"' % seq in d
EOF

# Printing: the summary page, then the steps, parity and restore tests,
# acknowledgements and other records, each from a new page.  Two days hold
# few enough records for each part to fit on its page.
gs_run 1 "report of two days" "$GS_RESTORE" report --since 2026-02-01 --until 2026-02-02 \
	--format html --output "$T/two.html"
chromium_pdf "$T/two.html" "$T/two.pdf"
pages=$(pdf_pages "$T/two.pdf")
if [ "$pages" = 4 ]; then
	gs_pass "the PDF of two days has 4 pages"
else
	gs_fail "the PDF of two days has ${pages:-no} pages, wanted 4"
	gs_show "$T/chromium.err"
fi
chromium_pdf "$T/r.html" "$T/r.pdf"
pages=$(pdf_pages "$T/r.pdf")
if [ "${pages:-0}" -gt 4 ] && [ "${pages:-0}" -lt 12 ]; then
	gs_pass "the PDF of ten days has $pages pages (the steps table runs over)"
else
	gs_fail "the PDF of ten days has ${pages:-no} pages"
fi

# No gap in a period where none is: 2026-02-02 to 02-03 (acme restore-tested
# on 02-03, beta not: one gap) -- and with beta tested there is none.
printf '2026-02-03T12:00:00Z\trestore-test\ttenant=beta\tfrom=fi1\tstatus:=0\tresult=ok\n' |
	audit_append "$LOG" web1 web1
gs_run 0 "a period with no gap exits 0" "$GS_RESTORE" report --since 2026-02-02 \
	--until 2026-02-03 --format json --output "$T/ok.json"
gs_check "... and says so" python3 -c 'import json,sys
r = json.load(open(sys.argv[1])); assert r["gap_count"] == 0 and r["gaps"] == [], r["gaps"]' "$T/ok.json"

# Usage errors.
gs_run 2 "no --format" "$GS_RESTORE" report --output "$T/x"
gs_run 2 "a bad --format" "$GS_RESTORE" report --format pdf --output "$T/x"
gs_run 2 "no --output" "$GS_RESTORE" report --format html
gs_run 2 "a bad date" "$GS_RESTORE" report --since 2026-02-30 --format html --output "$T/x"
gs_run 2 "an empty period" "$GS_RESTORE" report --since 2026-02-05 --until 2026-02-01 \
	--format html --output "$T/x"
gs_run 2 "--repo is not an option of report" "$GS_RESTORE" report --repo /x --format html \
	--output "$T/x"
gs_run 2 "an unknown remote" "$GS_RESTORE" report --from nowhere --format html --output "$T/x"
gs_check "no output file was left by a refused report" test ! -e "$T/x"

gs_finish
