#!/usr/bin/env bash
# A remote that cannot be reached during an erasure: the local copy, the
# state_dir files and the key go, the remote's copy stays pending with a
# warning every night (exit 4 before the deadline, exit 1 every night once
# offboarded + grace + erasure_deadline has passed; run exits 3, as it
# cannot ship the audit log there either), the pending state
# survives across runs, no certificate is recorded; once the remote is
# back the next run erases it and records the certificate (deadline not
# met); the auditor's report lists the pending erasure and calls it out.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
erase_begin "erasure with a remote unreachable: pending, retried, then certified"

nremote=$(tenant_files "$T/remote" | wc -l)
good_url=$REMOTE_URL
REMOTE_URL="sftp://$GS_SSHD_USER@127.0.0.1:1$T/remote" # nothing listens on port 1
REMOTE_TIMEOUT=2s

offboard "$(day -20)"
gs_run 4 "past grace, before the deadline, the remote unreachable: warnings" "$GS_AGENT" expire
gs_err_has "erasure pending on fi1: .*retried by the next run; deadline $(day 84)" "the pending copy is warned with its deadline"
[ -z "$(tenant_files "$GS_REPO")" ] && gs_pass "the local copy is erased" || gs_fail "the local copy is still there"
[ ! -e "$GS_KEYS/acme.write" ] && gs_pass "the write key is gone" || gs_fail "the write key is still there"
[ "$(tenant_files "$T/remote" | wc -l)" = "$nremote" ] && gs_pass "the remote's copy is untouched" ||
	gs_fail "the remote's copy changed"
[ "$(nrecs deletion-certificate)" = 0 ] && gs_pass "no certificate while a copy is pending" ||
	gs_fail "a certificate with a copy pending"
grep -q "^copy local " "$GS_STATE/erasure/acme" && grep -q "^copy fi1 0 " "$GS_STATE/erasure/acme" &&
	gs_pass "the erasure state keeps local done and fi1 pending" || gs_show "$GS_STATE/erasure/acme"
grep -rlF "$MARK" "$GS_STATE" >"$T/trace" 2>/dev/null
[ ! -s "$T/trace" ] && gs_pass "no file name of the tenant in state_dir" || gs_fail "state_dir names $MARK"

offboard "$(day -200)"
for night in 1 2; do
	gs_run 1 "night $night past the deadline: expire exits 1" "$GS_AGENT" expire
	gs_err_has "erasure pending on fi1: .*deadline passed on $(day -96)" "night $night: warned, deadline passed"
done
# run also fails to ship the audit log to fi1 (exit 3, the worse status)
gs_run 3 "run with fi1 unreachable" "$GS_AGENT" run
gs_err_has "erasure pending on fi1: .*deadline passed on $(day -96)" "run warns of the pending erasure too"
status_json
grep -q '"step":"erase","tenant":"acme","remote":"fi1","status":1' "$T/status.json" &&
	gs_pass "status shows fi1's erasure pending, status 1" || { gs_fail "status"; gs_show "$T/status.json"; }
[ "$(tenant_files "$T/remote" | wc -l)" = "$nremote" ] && gs_pass "the remote's copy is still untouched" ||
	gs_fail "the remote's copy changed"

gs_run 1 "the auditor's report calls the pending erasure out" "$GS_RESTORE" report --format md --output "$T/report.md"
grep -q "^| acme | pending | $(day -200) | $(day -96) | - | - |" "$T/report.md" &&
	gs_pass "the report lists the pending erasure with its deadline" ||
	{ gs_fail "the report lacks the pending erasure"; grep -A6 "Departed" "$T/report.md" | sed 's/^/#   /'; }
gs_err_has "unacknowledged failure" "the past-deadline erasure is a gap"

REMOTE_URL=$good_url
offboard "$(day -200)"
gs_run 1 "the remote is back: the next run erases it (exit 1: deadline missed)" "$GS_AGENT" run
gs_err_has "erased after its deadline $(day -96)" "the missed deadline is named"
[ -z "$(tenant_files "$T/remote")" ] && [ ! -e "$T/remote/tenants/acme" ] &&
	gs_pass "the remote's copy is erased" || gs_fail "the remote still holds acme"
[ "$(nrecs deletion-certificate)" = 1 ] && gs_pass "the certificate is recorded" || gs_fail "no certificate"
[ "$(last_rec deletion-certificate deadline_met)" = false ] && gs_pass "the certificate says the deadline was missed" ||
	gs_fail "deadline_met: $(last_rec deletion-certificate deadline_met)"
python3 -c '
import json, sys
c = {x["copy"]: x for x in json.loads(sys.argv[1])}
assert c["fi1"]["objects"] == int(sys.argv[2]) and c["local"]["objects"] > 0
assert c["local"]["erased_ns"] < c["fi1"]["erased_ns"]
' "$(last_rec deletion-certificate copies)" "$nremote" && gs_pass "each copy with its own erasure time and objects" ||
	gs_fail "copies: $(last_rec deletion-certificate copies)"
gs_run 0 "geosnap-restore certificate" "$GS_RESTORE" certificate --tenant acme --output "$T/cert.txt"
gs_check "it verifies with stock minisign" minisign -Vm "$T/cert.txt" -p "$T/audit.pub"
grep -q "^Deadline met: *no$" "$T/cert.txt" && gs_pass "the document says the deadline was missed" ||
	gs_fail "the document's deadline line"
gs_finish
