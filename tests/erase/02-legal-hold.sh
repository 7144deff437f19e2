#!/usr/bin/env bash
# A legal hold: an offboarded tenant past its grace period under
# legal_hold = DATE keeps every object on every copy until that date; the
# hold is one signed record per hold value (not one per night), status
# says until when and why; once the date has passed the next run erases
# the tenant, and the certificate names the hold, its reason, and a
# deadline counted from the hold's end.  A hold without a reason is a
# configuration error.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
erase_begin "legal hold: kept until its date, then erased"

nlocal=$(tenant_files "$GS_REPO" | wc -l)
nremote=$(tenant_files "$T/remote" | wc -l)

offboard "$(day -30)" "legal_hold = $(day 10)"
gs_run 2 "a legal hold without legal_hold_reason is refused" "$GS_AGENT" run
gs_err_has "needs legal_hold_reason" "the missing reason is named"

offboard "$(day -30)" "legal_hold = $(day 10)" "legal_hold_reason = claim 42, district court"
gs_run 0 "run -v under a legal hold" "$GS_AGENT" -v run
gs_out_has "legal hold until $(day 10) \\(claim 42, district court\\)" "run says until when and why"
[ "$(tenant_files "$GS_REPO" | wc -l)" = "$nlocal" ] && [ "$(tenant_files "$T/remote" | wc -l)" = "$nremote" ] &&
	gs_pass "under the hold every object is kept on both copies" || gs_fail "objects removed under a legal hold"
[ -f "$GS_KEYS/acme.write" ] && gs_pass "the write key is kept" || gs_fail "the key is gone"
status_json
grep -q "\"step\":\"erase\",\"tenant\":\"acme\".*legal hold until $(day 10)" "$T/status.json" &&
	gs_pass "status shows the hold" || { gs_fail "status lacks the hold"; gs_show "$T/status.json"; }
[ "$(nrecs legal-hold)" = 1 ] && [ "$(last_rec legal-hold until)" = "$(day 10)" ] &&
	[ "$(last_rec legal-hold reason)" = "claim 42, district court" ] &&
	gs_pass "one signed legal-hold record with its date and reason" || gs_fail "legal-hold records: $(nrecs legal-hold)"
gs_run 0 "the next night under the same hold" "$GS_AGENT" run
[ "$(nrecs legal-hold)" = 1 ] && gs_pass "the same hold is not recorded again" ||
	gs_fail "$(nrecs legal-hold) legal-hold records for one hold"
gs_run 0 "expire --dry-run under the hold" "$GS_AGENT" expire --dry-run
[ "$(tenant_files "$GS_REPO" | wc -l)" = "$nlocal" ] && gs_pass "still kept" || gs_fail "objects removed"

offboard "$(day -30)" "legal_hold = $(day -1)" "legal_hold_reason = claim 42, district court"
gs_run 0 "the hold has ended: expire erases" "$GS_AGENT" expire
[ "$(nrecs legal-hold)" = 2 ] && gs_pass "a changed hold is recorded once more" ||
	gs_fail "$(nrecs legal-hold) legal-hold records"
[ -z "$(tenant_files "$GS_REPO")" ] && [ -z "$(tenant_files "$T/remote")" ] &&
	gs_pass "after the hold nothing of acme is left on either copy" || gs_fail "objects left after the hold"
[ "$(last_rec deletion-certificate legal_hold)" = "$(day -1)" ] &&
	[ "$(last_rec deletion-certificate legal_hold_reason)" = "claim 42, district court" ] &&
	gs_pass "the certificate names the hold and its reason" || gs_fail "the certificate lacks the hold"
[ "$(last_rec deletion-certificate deadline)" = "$(day 89)" ] &&
	gs_pass "the deadline counts from the hold's end (+90d)" ||
	gs_fail "deadline $(last_rec deletion-certificate deadline), wanted $(day 89)"
gs_run 0 "geosnap-restore certificate" "$GS_RESTORE" certificate --tenant acme --output "$T/cert.txt"
gs_check "it verifies with stock minisign" minisign -Vm "$T/cert.txt" -p "$T/audit.pub"
grep -q "^Legal hold reason: *claim 42, district court$" "$T/cert.txt" && gs_pass "the document names the hold" ||
	gs_fail "the document lacks the hold"
gs_finish
