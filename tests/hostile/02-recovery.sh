#!/usr/bin/env bash
# The compromised production host, and the recovery of docs/OPERATIONS.md
# ("The production host was compromised").  With the write key alone it
# writes (a) a pack with garbage under every existing chunk ID and no index
# segment, which the next backup adopts, and (b) garbage under the ID of a
# file the tenant will only have later, so the next backup deduplicates
# against it.  Snapshots made before still restore exactly; the one made
# while compromised cannot restore the pre-poisoned file and says so.
# check names the forged objects, quarantine sets them aside on every copy
# (nothing deleted), and the first backup after that is sound again.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
hostile_begin "forged pack, pre-poisoned content, and the recovery"

printf 'the quarterly report, final version\n' >"$T/future.txt"
evil evil_shadow --no-index >"$T/forged-a"
evil evil_prepoison "$T/future.txt" >"$T/forged-b"
PACK_A=$(awk '$1 == "pack" {print $2}' "$T/forged-a")
PACK_B=$(awk '$1 == "pack" {print $2}' "$T/forged-b")
INDEX_B=$(awk '$1 == "index" {print $2}' "$T/forged-b")
cp "$T/future.txt" "$T/data/acme/future.txt"
gs_run 0 "the nightly run while compromised" "$GS_AGENT" run
SNAP1=$(gs_new_snap acme "$SNAP0") || gs_fatal "no snapshot while compromised"
[ -f "$T/remote/tenants/acme/packs/${PACK_A:0:2}/$PACK_A" ] &&
	gs_pass "the forged pack was shipped to the remote" || gs_fail "the forged pack is not on the remote"

restores_exactly "$SNAP0" "$T/src0.json" "made before the forgery"
gs_run 1 "the snapshot made while compromised cannot restore the pre-poisoned file" \
	"$GS_RESTORE" restore --tenant acme --from fi1 --snapshot "$SNAP1" --target "$T/r1"
gs_err_has "future.txt" "the restore names the file it could not restore"

gs_say "recovery: check names the forged objects, quarantine sets them aside"
gs_run 1 "check --read-data of the remote" "$GS_RESTORE" check --tenant acme --from fi1 --read-data
sed -n 's/.*: set aside: //p' "$GS_ERR" | sort -u >"$T/aside"
gs_say "to set aside: $(tr '\n' ' ' <"$T/aside")"
grep -qx "packs/$PACK_A" "$T/aside" && gs_pass "check lists the forged pack without an index" ||
	gs_fail "check does not list packs/$PACK_A"
grep -qx "packs/$PACK_B" "$T/aside" && gs_pass "check lists the pre-poisoning pack" ||
	gs_fail "check does not list packs/$PACK_B"
grep -qx "index/$INDEX_B" "$T/aside" && gs_pass "check lists the forged index segment" ||
	gs_fail "check does not list index/$INDEX_B"
gs_err_has "snapshot $SNAP1: .*fails authentication" "check names the snapshot made against a forged pack"

before=$(find "$GS_REPO" "$T/remote" -type f | wc -l)
# shellcheck disable=SC2046
gs_run 0 "quarantine sets them aside on every copy" \
	"$GS_AGENT" quarantine --tenant acme $(cat "$T/aside") "snapshots/$SNAP1"
after=$(find "$GS_REPO" "$T/remote" -type f | wc -l)
[ "$before" = "$after" ] && gs_pass "nothing was deleted ($after files)" || gs_fail "files went from $before to $after"
for base in "$GS_REPO" "$T/remote"; do
	[ -e "$base/tenants/acme/packs/${PACK_A:0:2}/$PACK_A" ] && gs_fail "packs/$PACK_A is still in $base" ||
		gs_pass "packs/$PACK_A is out of $base"
	ls "$base/tenants/acme/quarantine/" | grep -q "^pack-$PACK_A-" &&
		gs_pass "and in its quarantine" || gs_fail "not in the quarantine of $base"
done
n=$(($(wc -l <"$T/aside") + 1))
[ "$(grep -c '"event":"quarantine"' "$T/audit.jsonl")" = $((2 * n)) ] &&
	gs_pass "one audit record per object and copy" ||
	gs_fail "$(grep -c '"event":"quarantine"' "$T/audit.jsonl") quarantine records, wanted $((2 * n))"
gs_run 1 "quarantine of an object on no copy" "$GS_AGENT" quarantine --tenant acme "packs/$PACK_A"
gs_run 2 "quarantine of a malformed name" "$GS_AGENT" quarantine --tenant acme "packs/../../etc"

gs_say "the first run after the clean-up is sound"
gs_run 0 "the nightly run after the clean-up" "$GS_AGENT" run
SNAP2=$(gs_new_snap acme "$SNAP0") || gs_fatal "no snapshot after the clean-up"
gs_manifest "$T/data/acme" "$T/src2.json"
restores_exactly "$SNAP2" "$T/src2.json" "made after the clean-up"
restores_exactly "$SNAP0" "$T/src0.json" "made before the forgery, after the clean-up"
for from in local fi1; do
	gs_run 0 "check --read-data from $from is clean after the clean-up" \
		"$GS_RESTORE" check --tenant acme --from "$from" --read-data
done
gs_run 0 "verify --full after the clean-up" "$GS_AGENT" verify --full
gs_finish
