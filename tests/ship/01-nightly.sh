#!/usr/bin/env bash
# The nightly cycle against a real sshd: run = backup + ship + verify;
# the remote then holds exactly the local objects, byte for byte; status
# and the metrics (checked by promtool) say so; a second run with new data
# ships only what is new; restore --from the remote is exact.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "nightly run, ship, verify, status, metrics, restore --from"
gs_need promtool

gs_run 0 "the first nightly run" "$GS_AGENT" run
[ -s "$GS_OUT" ] && gs_fail "run printed on stdout" || gs_pass "run is quiet on stdout"
[ -s "$GS_ERR" ] && gs_fail "run printed on stderr" || gs_pass "run is quiet on stderr"
ship_parity "after the first run the remote holds the local objects"
[ -f "$T/remote/config" ] && cmp -s "$T/remote/config" "$GS_REPO/config" &&
	gs_pass "the remote holds the repository's config object" ||
	gs_fail "the remote's config object is missing or differs"
[ -z "$(find "$T/remote" -name '.gstmp-*')" ] && gs_pass "no temporary left on the remote" ||
	gs_fail "temporaries left on the remote"

gs_run 0 "status after a clean run" "$GS_AGENT" status --json
for step in backup ship verify; do
	grep -q "\"step\":\"$step\".*\"status\":0" "$GS_OUT" &&
		gs_pass "status records $step ok" || gs_fail "status lacks an ok $step record"
done
grep -q '"step":"ship","tenant":"acme","remote":"fi1"' "$GS_OUT" &&
	gs_pass "status has the ship step per tenant and remote" ||
	gs_fail "status has no ship line for acme/fi1"

gs_check "promtool accepts the metrics file" promtool check metrics <"$T/metrics.prom"
grep -qE '^geosnap_parity_ok\{tenant="acme",remote="fi1"\} 1$' "$T/metrics.prom" &&
	gs_pass "metrics: parity ok for acme on fi1" || { gs_fail "metrics: no parity_ok 1"; gs_show "$T/metrics.prom" 60; }
grep -qE '^geosnap_objects_verified\{tenant="acme",remote="fi1"\} [1-9]' "$T/metrics.prom" &&
	gs_pass "metrics: objects verified counted" || gs_fail "metrics: no objects_verified"
grep -c '"event":"ship"' "$T/audit.jsonl" | grep -qx 1 &&
	gs_pass "the audit log has one ship record" || gs_fail "audit log ship records"

before=$(remote_objects | wc -l)
ship_data_more 2
gs_run 0 "the second nightly run" "$GS_AGENT" run
ship_parity "after the second run the remote holds the local objects"
after=$(remote_objects | wc -l)
[ "$after" -gt "$before" ] && gs_pass "the second run shipped new objects" || gs_fail "nothing new shipped"
shipped=$(grep '"event":"ship"' "$T/audit.jsonl" | tail -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["files"])')
[ "$shipped" = $((after - before)) ] && gs_pass "the second ship sent only the $shipped new objects" ||
	gs_fail "the second ship sent $shipped objects, $((after - before)) were new"

gs_run 0 "ship with nothing to do" "$GS_AGENT" ship
gs_run 0 "restore the latest snapshot from the remote" \
	"$GS_RESTORE" restore --tenant acme --from fi1 --target "$T/restored"
gs_check "the restore from the remote equals the source" diff -r "$T/data/acme" "$T/restored"
gs_run 0 "check --read-data of the remote copy" "$GS_RESTORE" check --tenant acme --from fi1 --read-data
gs_run 2 "--from an unknown remote is a usage error" "$GS_RESTORE" snapshots --tenant acme --from nowhere
gs_err_has "no remote named nowhere" "the unknown remote is named"
gs_finish
