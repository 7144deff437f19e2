#!/usr/bin/env bash
# A corrupt LOCAL object is not shipped: a byte is flipped in a local pack
# after backup and before its first ship.  ship hashes what it reads, so it
# exits 1 naming the pack as corrupt locally; no remote file has that
# pack's name; and no snapshot record reaches the remote (snapshot records
# are held back while any pack or index segment could not be shipped).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "a corrupt local pack is not shipped, nor any snapshot record"

gs_run 0 "backup" "$GS_AGENT" backup
[ -z "$(remote_objects)" ] || gs_fatal "the remote holds objects before the first ship"
mapfile -t snaps < <(gs_snaps acme)
[ "${#snaps[@]}" -ge 1 ] || gs_fatal "backup made no snapshot record"
# The largest local pack gets a flipped byte.
bad_path=$(gs_objects acme packs | xargs -r stat -c '%s %n' | sort -rn | head -n 1 | cut -d' ' -f2)
[ -n "$bad_path" ] || gs_fatal "backup made no pack"
bad=$(basename "$bad_path")
npacks=$(gs_objects acme packs | wc -l)
flip_byte "$bad_path" || gs_fatal "cannot flip a byte of $bad_path"
[ "$(xxh128sum "$bad_path" 2>/dev/null | cut -d' ' -f1)" != "$bad" ] || gs_fatal "the flip did not change $bad_path"
gs_say "flipped a byte of local pack $bad (of $npacks packs); snapshot(s) ${snaps[*]}"

gs_run 1 "ship with a corrupt local pack" "$GS_AGENT" ship
gs_err_has "tenant acme: local pack $bad is corrupt" "ship names the pack as corrupt locally"
gs_err_has "held back" "ship says the snapshot record is held back"
found=$(find "$T/remote" -name "$bad")
[ -z "$found" ] && gs_pass "no remote file has the corrupt pack's name" ||
	gs_fail "the corrupt pack is on the remote: $found"
[ -z "$(find "$T/remote" -path '*/snapshots/*' -type f)" ] &&
	gs_pass "no snapshot record (nor a temporary of one) was shipped" ||
	gs_fail "the remote holds snapshot files: $(cd "$T/remote" && find . -path '*/snapshots/*' -type f | tr '\n' ' ')"
for s in "${snaps[@]}"; do
	[ -z "$(find "$T/remote" -name "*$s*")" ] && gs_pass "snapshot $s is nowhere on the remote" ||
		gs_fail "snapshot $s is on the remote: $(find "$T/remote" -name "*$s*")"
done
gs_say "remote after ship: $(remote_objects | wc -l) objects, temporaries: $(find "$T/remote" -name '.gstmp-*' | wc -l)"
grep -F '"event":"ship"' "$T/audit.jsonl" | tail -n 1 | grep -q '"status":1' &&
	gs_pass "the ship record in the audit log has status 1" ||
	gs_fail "the last ship audit record: $(grep -F '"event":"ship"' "$T/audit.jsonl" | tail -n 1)"

# A second ship does not let it through either.
gs_run 1 "a second ship with the same corrupt local pack" "$GS_AGENT" ship
gs_err_has "tenant acme: local pack $bad is corrupt" "the second ship names the pack too"
[ -z "$(find "$T/remote" -name "$bad")" ] && gs_pass "still no remote file has the corrupt pack's name" ||
	gs_fail "the corrupt pack reached the remote on the second ship"
[ -z "$(find "$T/remote" -path '*/snapshots/*' -type f)" ] &&
	gs_pass "still no snapshot record on the remote" || gs_fail "a snapshot file reached the remote on the second ship"
gs_finish
