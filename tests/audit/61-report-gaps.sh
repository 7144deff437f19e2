#!/bin/bash
# 61-report-gaps: what the report calls out when the evidence is not
# whole, and what it does with hostile records.
#  - a log with an edited byte does not verify (stock minisign agrees), a
#    log with no public key is not verified, a configured host with no log
#    is named: each a gap, and the report is still written (exit 1);
#  - --from REMOTE gathers every host under the remote's log/ (the
#    production host and a restore-test host, each with its own key);
#  - records that are signed but malformed (bad JSON, a huge number, a
#    control character) are refused by seq; markup in strings (</script>)
#    is escaped in every format.
# shellcheck source-path=SCRIPTDIR source=report.bash
. "$(dirname "$0")/report.bash"

gs_begin "report: gaps in the evidence, several hosts, hostile records"
gs_need minisign python3
audit_key web1
audit_key rt1
audit_key other

# web1: three nights with runs, 2026-04-01..03.
mkdir -p "$T/web1" "$T/rt1"
for d in 01 02 03; do
	printf '2026-04-%sT02:00:00Z\tbackup\ttenant=acme\tremote:=null\tstatus:=0\tresult=ok\tbytes:=%s\n' "$d" $((10#$d * 1000))
	printf '2026-04-%sT02:00:00Z\trun\ttenant:=null\tremote:=null\tstatus:=0\tresult=ok\n' "$d"
done | audit_append "$T/web1/audit.jsonl" web1 web1
# rt1, the restore-test host: one passed test of acme on 04-02.
printf '2026-04-02T10:00:00Z\trestore-test\ttenant=acme\tfrom=fi1\tsnapshot=s1\tstatus:=0\tresult=ok\tfiles_checked:=7\tbytes_checked:=777\tmismatches:=0\tttfb_s:=0.1\tduration_s:=0.7\n' |
	audit_append "$T/rt1/audit.jsonl" rt1 rt1

# The remote: what shipping leaves under log/<host>/ (the closed segments
# and their signatures; the open ones are cut here by copying them whole),
# and a host nobody configured a key for.
mkdir -p "$T/remote/log/web1" "$T/remote/log/rt1" "$T/remote/log/ghost"
cp "$T"/web1/audit.2026*.jsonl* "$T/remote/log/web1/"
cp "$T/rt1/audit.jsonl" "$T/remote/log/rt1/audit.20260402.0000000001.jsonl"
cp "$T/rt1/audit.jsonl.minisig" "$T/remote/log/rt1/audit.20260402.0000000001.jsonl.minisig"
cp "$T/rt1/audit.jsonl" "$T/remote/log/ghost/audit.20260402.0000000001.jsonl"

cat >"$T/geosnap.ini" <<EOF
[agent]
host = web1
audit_log = $T/web1/audit.jsonl

[remote "fi1"]
url = file://$T/remote

[host "web1"]
audit_pubkey = $T/keys-audit/web1.pub

[host "rt1"]
audit_pubkey = $T/keys-audit/rt1.pub

[host "db9"]
audit_pubkey = $T/keys-audit/other.pub
EOF
export GEOSNAP_CONFIG=$T/geosnap.ini
P=(--since 2026-04-01 --until 2026-04-03 --format json)

# json_has FILE WHAT EXPR: a check of the report's JSON (r) in Python.
json_has() {
	gs_check "$2" python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
logs = {l['source']: l for l in r['logs']}
kinds = r['gaps_by_kind']
gaps = r['gaps']
assert $3, (r['gaps'], r['logs'])" "$1"
}

gs_run 1 "--from fi1: every host of the remote" "$GS_RESTORE" report "${P[@]}" --from fi1 \
	--output "$T/all.json"
json_has "$T/all.json" "the local log, checked against the remote, verifies" \
	"logs[\"$T/web1/audit.jsonl, against remote fi1\"]['ok']"
json_has "$T/all.json" "rt1's log on the remote verifies with rt1's key" \
	"logs['remote fi1: log/rt1/']['ok'] and logs['remote fi1: log/rt1/']['records'] == 1"
json_has "$T/all.json" "ghost's log is not verified: no key" \
	"logs['remote fi1: log/ghost/']['result'] == 'NOT VERIFIED' and 'no public key for host ghost' in logs['remote fi1: log/ghost/']['why']"
json_has "$T/all.json" "db9, configured, has no log" \
	"any(g['kind'] == 'no-log' and g['host'] == 'db9' for g in gaps)"
json_has "$T/all.json" "acme's restore test on rt1 counts: no restore-test gap" \
	"kinds['restore-test-overdue'] == 0 and r['tenants'][0]['restore_tests']['count'] == 1"
json_has "$T/all.json" "exactly those two gaps" \
	"r['gap_count'] == 2 and kinds['log-not-verified'] == 1 and kinds['no-log'] == 1"

# Without the remote: acme is not restore-tested (the test is on rt1).
gs_run 1 "the local log alone" "$GS_RESTORE" report "${P[@]}" --output "$T/local.json"
json_has "$T/local.json" "no restore test of acme called out" \
	"kinds['restore-test-overdue'] == 1 and kinds['missing-night'] == 0"

# An edited byte: stock minisign and the report both refuse the log.
cp -r "$T/web1" "$T/edited"
python3 - "$T/edited/audit.20260401.0000000001.jsonl" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b'"bytes":1000') + len('"bytes":')
b[i] = ord("9")
open(p, "wb").write(bytes(b))
EOF
gs_run 1 "stock minisign refuses the edited segment" minisign -Vm \
	"$T/edited/audit.20260401.0000000001.jsonl" -p "$T/keys-audit/web1.pub"
gs_run 1 "report on the edited log" "$GS_RESTORE" report "${P[@]}" --log "$T/edited/audit.jsonl" \
	--pubkey "$T/keys-audit/web1.pub" --output "$T/edited.json"
gs_err_has "report: .* \(1 log," "the unverifiable log is a gap"
json_has "$T/edited.json" "... named DOES NOT VERIFY with its first bad record" \
	"r['logs'][0]['result'] == 'DOES NOT VERIFY' and r['logs'][0]['bad_seq'] >= 1 and kinds['log-not-verified'] == 1"
json_has "$T/edited.json" "... and none of its records from the bad one on is taken as evidence" \
	"all(x['fields'].get('bytes') != 9000 and x['seq'] < r['logs'][0]['bad_seq'] for x in r['records']) and r['logs'][0]['not_used'] >= 1"

# The wrong key: the log does not verify.
gs_run 1 "a log checked with another host's key" "$GS_RESTORE" report "${P[@]}" \
	--log "$T/web1/audit.jsonl" --pubkey "$T/keys-audit/other.pub" --output "$T/wrong.json"
json_has "$T/wrong.json" "... does not verify" "r['logs'][0]['result'] == 'DOES NOT VERIFY'"
gs_run 2 "an unreadable --pubkey is a usage error" "$GS_RESTORE" report "${P[@]}" \
	--log "$T/web1/audit.jsonl" --pubkey "$T/nonexistent.pub" --output "$T/x.json"

# Hostile records, signed by the host's own key (a forged log need not
# break the signature): bad JSON, a number too long for any figure, a
# control character, a string with </script>.
mkdir -p "$T/hostile"
{
	printf '2026-04-01T02:00:00Z\trun\tstatus:=0\n'
	printf '2026-04-01T03:00:00Z\tbackup\ttenant=acme\tstatus:={"x":\n'
	printf '2026-04-01T03:01:00Z\tbackup\ttenant=acme\tstatus:=0\tbytes:=99999999999999999999999999\n'
	printf '2026-04-01T03:02:00Z\tbackup\ttenant=acme\tstatus:=0\tmessage:="a\001b"\n'
	printf '2026-04-01T03:03:00Z\tbackup\ttenant=acme\tstatus:=3\tmessage=</script><script>alert(1)</script>\n'
	printf '2026-04-01T03:04:00Z\tbackup\ttenant=acme\tstatus:=0\tbytes:=1e999\n'
} | audit_append "$T/hostile/audit.jsonl" web1 web1
for f in json html md csv; do
	gs_run 1 "hostile records: report --format $f" "$GS_RESTORE" report --since 2026-04-01 \
		--until 2026-04-01 --format "$f" --log "$T/hostile/audit.jsonl" \
		--pubkey "$T/keys-audit/web1.pub" --output "$T/hostile.$f"
done
gs_err_has "record 2 is malformed: byte [0-9]+: expected a value" \
	"the bad JSON is refused, naming its seq"
json_has "$T/hostile.json" "four records refused, the first seq 2, the rest kept" \
	"r['logs'][0]['malformed'] == 4 and r['logs'][0]['malformed_seq'] == 2 and sorted(x['seq'] for x in r['records']) == [1, 5]"
py_check "</script> is escaped in html and md, quoted in csv and json" "$T/hostile" <<'EOF'
import sys, json, csv
d = sys.argv[1]
for f in ("html", "md"):
    s = open(f"{d}.{f}").read()
    assert "<script" not in s and "</script>" not in s, f
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in s, f
rows = list(csv.DictReader(open(f"{d}.csv", newline="")))
assert [r["message"] for r in rows if r["seq"] == "5"] == ["</script><script>alert(1)</script>"]
r = json.load(open(f"{d}.json"))
assert [x["fields"]["message"] for x in r["records"] if x["seq"] == 5] == \
    ["</script><script>alert(1)</script>"]
EOF

gs_finish
