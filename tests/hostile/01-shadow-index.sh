#!/usr/bin/env bash
# H1: a forged index segment that shadows every chunk ID (garbage under
# each ID in a new pack, the segment's name ground to sort first), shipped
# by the next nightly run.  Every snapshot made before the forgery still
# restores exactly from the local repository and from the remote; the
# snapshot made after it too; check names the forged objects.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
hostile_begin "a forged index segment that shadows every chunk"

ship_data_more 1
gs_run 0 "a second nightly run" "$GS_AGENT" run
SNAP1=$(gs_new_snap acme $SNAP0) || gs_fatal "no second snapshot"
gs_manifest "$T/data/acme" "$T/src1.json"

evil evil_shadow >"$T/forged"
gs_say "forged: $(tr '\n' ' ' <"$T/forged")"
FPACK=$(awk '$1 == "pack" {print $2}' "$T/forged")
FINDEX=$(awk '$1 == "index" {print $2}' "$T/forged")
first=$(find "$GS_REPO/tenants/acme/index" -type f -printf '%f\n' | sort | head -n 1)
[ "$first" = "$FINDEX" ] && gs_pass "the forged segment sorts before every other" ||
	gs_fail "the forged segment does not sort first"

printf 'after the forgery\n' >"$T/data/acme/after.txt"
gs_run 0 "the nightly run after the forgery ships it" "$GS_AGENT" run
[ -f "$T/remote/tenants/acme/index/$FINDEX" ] && gs_pass "the forged segment is on the remote" ||
	gs_fail "the forged segment was not shipped"
SNAP2=$(gs_new_snap acme $SNAP0 $SNAP1) || gs_fatal "no snapshot after the forgery"
gs_manifest "$T/data/acme" "$T/src2.json"

restores_exactly "$SNAP0" "$T/src0.json" "before the forgery"
restores_exactly "$SNAP1" "$T/src1.json" "before the forgery"
restores_exactly "$SNAP2" "$T/src2.json" "after the forgery"

for from in local fi1; do
	gs_run 1 "check --read-data from $from finds the forgery" \
		"$GS_RESTORE" check --tenant acme --from "$from" --read-data
	gs_err_has "$FINDEX" "check from $from names the forged index segment"
	gs_err_has "$FPACK" "check from $from names the forged pack"
done
gs_finish
