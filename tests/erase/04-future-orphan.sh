#!/usr/bin/env bash
# An offboarded date in the future: the tenant is still backed up until
# then, nothing is erased and status says when it will be.  An orphan (a tenant whose data is in the local
# repository and state_dir but whose [tenant] section is gone): reported
# every night (stderr, status, metrics), exit 4, never erased; once its
# section is back, status no longer lists it.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
erase_begin "offboarded in the future; orphaned tenant"

tenant_files "$GS_REPO" >"$T/before.files"
nsnaps=$(gs_snaps acme | wc -l)
offboard "$(day 10)"
echo "one more line" >>"$T/data/acme/more.txt"
gs_run 0 "run -v with an offboarded date in the future" "$GS_AGENT" -v run
gs_out_has "offboarded from $(day 10) \\(in the future\\): nothing erased; erasure due $(day 24)" \
	"run says when the erasure will be due"
tenant_files "$GS_REPO" | comm -23 "$T/before.files" - >"$T/gone.files"
[ ! -s "$T/gone.files" ] && [ -f "$GS_KEYS/acme.write" ] &&
	gs_pass "nothing erased" || { gs_fail "something was erased"; gs_show "$T/gone.files"; }
[ "$(gs_snaps acme | wc -l)" -gt "$nsnaps" ] &&
	gs_pass "until its offboarded date the tenant is still backed up" ||
	gs_fail "no backup before the offboarded date"
status_json
grep -q "\"step\":\"erase\",\"tenant\":\"acme\".*erasure due $(day 24)" "$T/status.json" &&
	gs_pass "status says when" || { gs_fail "status lacks the date"; gs_show "$T/status.json"; }

# beta: backed up once, then its section removed
"$GS_RESTORE" keygen --tenant beta --out "$GS_KEYS" >/dev/null 2>&1 || gs_fatal "keygen beta"
mkdir -p "$T/data/beta" && seq 1 1000 >"$T/data/beta/numbers.txt"
TENANT_EXTRA=
ship_config
printf '\n[tenant "beta"]\nsource = %s\nwrite_key = %s\n' "$T/data/beta" "$GS_KEYS/beta.write" >>"$T/geosnap.ini"
gs_run 0 "back up beta" "$GS_AGENT" backup --tenant beta
ship_config
nbeta=$(cd "$GS_REPO/tenants/beta" && find . -type f | wc -l)
for night in 1 2; do
	gs_run 4 "night $night with beta orphaned: exit 4" "$GS_AGENT" run
	gs_err_has "tenant beta: orphaned" "night $night: the orphan is named on stderr"
done
gs_run 4 "expire reports it too" "$GS_AGENT" expire
[ "$(cd "$GS_REPO/tenants/beta" && find . -type f | wc -l)" = "$nbeta" ] && [ -f "$GS_STATE/beta.files" ] &&
	gs_pass "the orphan's data is never erased" || gs_fail "the orphan's data changed"
status_json
grep -q '"step":"orphan","tenant":"beta".*"status":4' "$T/status.json" && gs_pass "status lists the orphan" ||
	{ gs_fail "status lacks the orphan"; gs_show "$T/status.json"; }
grep -qE '^geosnap_last_status\{step="orphan",tenant="beta"' "$T/metrics.prom" &&
	gs_pass "the metrics name the orphan" || { gs_fail "metrics lack the orphan"; grep orphan "$T/metrics.prom"; }

# its section is back: no orphan any more, and status forgets the line
printf '\n[tenant "beta"]\nsource = %s\nwrite_key = %s\n' "$T/data/beta" "$GS_KEYS/beta.write" >>"$T/geosnap.ini"
gs_run 0 "beta configured again: run exits 0" "$GS_AGENT" run
status_json
grep -q '"step":"orphan"' "$T/status.json" && gs_fail "status still shows an orphan" ||
	gs_pass "the orphan line is gone from status"
gs_finish
