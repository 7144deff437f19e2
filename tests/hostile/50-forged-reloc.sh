#!/usr/bin/env bash
# A forged relocation object (every pack "moved" into another, in a loop),
# written with the write key and shipped to the remote: every
# snapshot still restores exactly, with exit 0, from the local repository
# and from the remote (a pin is followed elsewhere only when its pack is
# gone); the next garbage collection deletes the forgery, carries none of
# its entries on, and loses nothing.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
hostile_begin "a forged relocation object"

ship_data_more 1
gs_run 0 "a second nightly run" "$GS_AGENT" run
SNAP1=$(gs_new_snap acme $SNAP0) || gs_fatal "no second snapshot"
gs_manifest "$T/data/acme" "$T/src1.json"

evil evil_reloc >"$T/forged"
FRELOC=$(awk '$1 == "reloc" {print $2}' "$T/forged")
[ -n "$FRELOC" ] && gs_pass "forged relocation object $FRELOC" || gs_fatal "no forgery"
gs_run 0 "ship sends it to the remote" "$GS_AGENT" ship
[ -f "$T/remote/tenants/acme/relocs/$FRELOC" ] && gs_pass "the forgery is on the remote" ||
	gs_fail "the forgery was not shipped"

restores_exactly "$SNAP0" "$T/src0.json" "under the forged relocation"
restores_exactly "$SNAP1" "$T/src1.json" "under the forged relocation"

# the next collection, with every object past the grace
find "$GS_REPO/tenants/acme" -type f -exec touch -h -d '-2 hours' {} +
gs_run 0 "expire collects" "$GS_AGENT" expire
[ ! -e "$GS_REPO/tenants/acme/relocs/$FRELOC" ] && gs_pass "the forgery is gone locally" ||
	gs_fail "the forgery is still in the local repository"
[ ! -e "$T/remote/tenants/acme/relocs/$FRELOC" ] && gs_pass "the forgery is gone from the remote" ||
	gs_fail "the forgery is still on the remote"
[ -z "$(ls "$GS_REPO/tenants/acme/relocs")" ] &&
	gs_pass "no relocation carried on (no pack was moved)" ||
	gs_fail "relocation objects left: $(ls "$GS_REPO/tenants/acme/relocs")"
restores_exactly "$SNAP0" "$T/src0.json" "after the collection"
restores_exactly "$SNAP1" "$T/src1.json" "after the collection"
gs_finish
