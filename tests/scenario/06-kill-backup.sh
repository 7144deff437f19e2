#!/bin/bash
# 06-kill-backup: SIGKILL of the agent in the middle of a backup leaves a
# repository where every earlier snapshot still restores exactly; the next
# backup succeeds (the lock died with the process), adopts what the killed
# run stored instead of storing it twice, and the whole repository passes
# check --read-data.  The kill comes once the killed run has published a
# pack (polled, with a deadline; no fixed sleeps); it is done twice, the
# second time to a run that is adopting the first run's leftovers.  The
# restores are exact, setuid bits and trusted.* included: --privileged.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "SIGKILL during backup: earlier snapshots intact, next backup fine"
gs_need head du
S=$T/src
gs_make_tree "$S" && rm "$S/sparse-3g" || gs_fatal "could not build the source tree"
gs_keygen acme
CFG=$T/geosnap.ini
gs_config "$CFG" acme "$S"
A() { "$GS_AGENT" -c "$CFG" "$@"; }
R() { "$GS_RESTORE" -c "$CFG" "$@"; }
gs_run 0 "agent init" A init || gs_fatal "init failed"
gs_manifest "$S" "$T/m0.json"
gs_run 0 "backup 1 (small tree)" A backup || gs_fatal "first backup failed"
S1=$(gs_new_snap acme) || gs_fatal "no first snapshot"

gs_say "adding 1 GiB of random data in 4 files"
mkdir -p "$S/big"
for i in 1 2 3 4; do head -c $((256 << 20)) /dev/urandom >"$S/big/random$i" || gs_fatal "head"; done
echo "changed before the killed backup" >>"$S/plain/hello.txt"
gs_manifest "$S" "$T/m1.json"

npacks() { gs_objects acme packs | wc -l; }
# kill_after_new_pack WHAT: start a backup, SIGKILL it once a pack more than
# before has been published; returns 1 (failed) if that cannot be arranged.
kill_after_new_pack() {
	local what=$1 before pid rc
	before=$(npacks)
	gs_bg "$GS_AGENT" -c "$CFG" backup >"$T/killed.out" 2>"$T/killed.err"
	pid=$GS_BG_PID
	if ! gs_wait_until 120 bash -c '[ "$(find "$1" -type f -regextype posix-extended -regex ".*/[0-9a-f]{32}" | wc -l)" -gt "$2" ] || ! kill -0 "$3" 2>/dev/null' \
		_ "$GS_REPO/tenants/acme/packs" "$before" "$pid"; then
		gs_fail "$what: no new pack appeared within 120 s"
		return 1
	fi
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	if [ "$rc" != 137 ]; then
		gs_fail "$what: the backup was not killed in time (it exited $rc on its own)"
		gs_show "$T/killed.err"
		return 1
	fi
	gs_pass "$what: SIGKILLed after $(($(npacks) - before)) new packs were published"
	return 0
}

kill_after_new_pack "backup 2" || gs_fatal "could not kill a backup in the middle"
gs_check "no snapshot was published by the killed run" test "$(gs_snaps acme)" = "$S1"
gs_say "leftovers: $(find "$GS_REPO" -name '.gstmp-*' | wc -l) temporary files, $(npacks) packs"
gs_run 0 "right after the kill: check exits 0 (unreferenced packs are not damage)" R check --tenant acme
gs_run 0 "right after the kill: snapshot 1 restores" R restore --tenant acme --snapshot "$S1" --privileged --target "$T/r1" &&
	gs_treecmp "right after the kill: snapshot 1 is exact" "$T/m0.json" "$T/r1"
rm -rf "$T/r1"
gs_run 0 "right after the kill: agent snapshots" A snapshots

kill_after_new_pack "backup 3 (adopting the leftovers of backup 2)" || gs_fatal "could not kill the second backup"
gs_run 0 "after the second kill: check exits 0" R check --tenant acme

t0=$SECONDS
gs_run 0 "backup 4 runs to the end (the lock was released by the kill)" A backup ||
	gs_fatal "the backup after the kills failed"
gs_say "backup 4 took $((SECONDS - t0)) s"
S2=$(gs_new_snap acme "$S1") || gs_fatal "backup 4 made no snapshot"
# published packs only: the killed runs' partial packs are temporaries
packbytes=$(gs_objects acme packs | xargs stat -c %s | awk '{ s += $1 } END { print s }')
limit=$(((1 << 30) + (16 << 20)))
[ "$packbytes" -le "$limit" ] &&
	gs_pass "what the killed runs published was adopted, not stored again ($packbytes bytes of packs for 1 GiB of new data)" ||
	gs_fail "the packs hold $packbytes bytes for 1 GiB of new random data (limit $limit): the killed runs' packs were not adopted"
gs_run 0 "check --read-data of the whole repository" R check --tenant acme --read-data

gs_run 0 "restore snapshot 1" R restore --tenant acme --snapshot "$S1" --privileged --target "$T/r1" &&
	gs_treecmp "snapshot 1 is exact" "$T/m0.json" "$T/r1"
rm -rf "$T/r1"
gs_run 0 "restore snapshot 2" R restore --tenant acme --snapshot "$S2" --privileged --target "$T/r2" &&
	gs_treecmp "snapshot 2 is exact" "$T/m1.json" "$T/r2"
rm -rf "$T/r2"

gs_say "the killed runs' temporary files are swept once stale"
tmps=$(find "$GS_REPO" -name '.gstmp-*' | wc -l)
find "$GS_REPO" -name '.gstmp-*' -exec touch -d '2 hours ago' {} +
gs_run 0 "backup 5" A backup
left=$(find "$GS_REPO" -name '.gstmp-*' | wc -l)
[ "$left" = 0 ] && gs_pass "no temporary file is left ($tmps were swept)" ||
	gs_fail "$left temporary files are left after a backup (of $tmps stale ones)"
gs_run 0 "check --read-data after all that" R check --tenant acme --read-data
gs_finish
