#!/usr/bin/env bash
# A damaged audit log never stops the nightly backup: an edited record in
# the open segment makes the next run set the segment aside, back up,
# ship and verify as usual, exit 1 and say why; the set-aside is a signed
# record, and the log verifies again from there.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
audit_begin "a damaged audit log does not stop the run"

gs_run 0 "the first nightly run" "$GS_AGENT" run
python3 "$(dirname "$0")/forge.py" edit "$LOG" "$(sed -n '1s/^{"v":1,"seq":\([0-9]*\),.*/\1/p' "$LOG")"
verify_is 1 "the edited open segment does not verify" --log "$LOG"
snaps=$(gs_snaps acme | wc -l)
ship_data_more 1
gs_run 1 "the next run goes on and exits 1" "$GS_AGENT" run
gs_err_has "set aside" "the run says the log was set aside"
[ "$(gs_snaps acme | wc -l)" -gt "$snaps" ] && gs_pass "the run still backed up" ||
	gs_fail "no new snapshot"
ship_parity "the run still shipped"
[ -n "$(find "$T" -maxdepth 1 -name 'audit.jsonl.damaged.*' ! -name '*.minisig')" ] &&
	gs_pass "the damaged segment is kept aside" || gs_fail "no damaged side file"
grep -q '"action":"damaged-set-aside"' "$T"/audit.*.jsonl "$LOG" &&
	gs_pass "the set-aside is recorded" || gs_fail "no damaged-set-aside record"
verify_is 0 "the log verifies from there" --log "$LOG" --from fi1
gs_run 0 "the run after is clean" "$GS_AGENT" run
gs_finish
