#!/usr/bin/env bash
# A full remote filesystem: the remote's base directory is an 8 MiB tmpfs
# and the tenant's data is larger.  ship exits 3 saying the remote has no
# space left; nothing is published half-way (every file under an object's
# final name is the whole object, no snapshot record without its packs);
# verify exits 1 naming the missing objects.  Once the filesystem is made
# larger, the next run exits 0 and verify --full exits 0, parity holds.
# Needs root (mount); the tmpfs is unmounted at exit, before the scratch
# directory is removed (also with GS_KEEP=1: the remote's content is lost).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "a full remote: ship exits 3, nothing half-published, verify names what is missing, recovery"
gs_need mount umount mountpoint

# At exit the harness stops sshd (its sessions may hold files on the
# tmpfs), then unmounts it, then removes $T.
MNT=$T/remote
gs_tmpfs "$MNT" 8m || gs_fatal "cannot mount a tmpfs on $MNT (root needed)"
mountpoint -q "$MNT" && gs_pass "the remote's base is an 8 MiB tmpfs" || gs_fatal "no tmpfs on $MNT"
gs_run 0 "init lays the remote out again on the tmpfs" "$GS_AGENT" init || gs_fatal "init failed"

ship_data_more 20
gs_run 0 "backup of 20 MiB more" "$GS_AGENT" backup || gs_fatal "backup failed"
total=$(local_objects | awk '{s += $2} END {print s + 0}')
[ "$total" -gt $((8 << 20)) ] && gs_pass "the local objects ($total bytes) do not fit in 8 MiB" ||
	gs_fatal "the local objects ($total bytes) fit in 8 MiB: nothing to test"

# ---- the ship fails --------------------------------------------------------
gs_run 3 "ship to a full remote exits 3" "$GS_AGENT" ship
gs_err_has 'no space left on the remote' "the message says the remote has no space left"
gs_err_has 'remote fi1|fi1:' "the message names the remote"

# whole_objects WHAT: every file under an object's final name on the remote
# has the local object's size and hashes to its name.
whole_objects() {
	local p s bad=0 n=0
	declare -A want
	while read -r p s; do want[$p]=$s; done < <(local_objects)
	while read -r p s; do
		[ -n "$p" ] || continue
		n=$((n + 1))
		if [ "${want[$p]:-}" != "$s" ]; then
			bad=1
			gs_say "$p: $s bytes on the remote, ${want[$p]:-no such object} here"
		elif [ "$(xxh128sum "$T/remote/$p" 2>/dev/null | cut -d' ' -f1)" != "$(basename "$p")" ]; then
			bad=1
			gs_say "$p: does not hash to its name"
		fi
	done < <(remote_objects)
	[ "$bad" = 0 ] && gs_pass "$1 ($n whole objects)" || gs_fail "$1: a file under a final name is not the whole object"
}
whole_objects "after the failed ship every final-named object on the remote is whole"
[ -z "$(find "$T/remote/tenants/acme/snapshots" -type f 2>/dev/null)" ] &&
	gs_pass "no snapshot record on the remote (its packs are not all there)" ||
	gs_fail "a snapshot record is on the remote although its packs are not"
missing=$(comm -23 <(local_objects | cut -d' ' -f1) <(remote_objects | cut -d' ' -f1))
[ -n "$missing" ] && gs_pass "objects are missing on the remote ($(echo "$missing" | wc -l))" ||
	gs_fatal "nothing is missing on the remote: the filesystem was not full"
gs_run 3 "status reports the failed ship (exit 3)" "$GS_AGENT" status
gs_out_has '^ship +acme +fi1 +failed' "status shows the ship to fi1 failed"
gs_run 3 "status --json after the failed ship" "$GS_AGENT" status --json
gs_out_has '"step":"ship".*"message":"[^"]*(space|full)' "the ship record's message says the remote is full"

# ---- verify sees it ----------------------------------------------------
gs_run 1 "verify after the failed ship exits 1" "$GS_AGENT" verify
gs_err_has 'missing on the remote' "verify says objects are missing"
named=0
while read -r p; do
	grep -q "$(basename "$p"): missing on the remote" "$GS_ERR" || { named=1; gs_say "not named: $p"; }
done <<<"$missing"
[ "$named" = 0 ] && gs_pass "verify names every missing object" || gs_fail "verify does not name every missing object"

# ---- the cause fixed: a larger filesystem ---------------------------------
mount -o remount,size=200m "$MNT" && gs_pass "the tmpfs remounted with 200 MiB" ||
	gs_fatal "cannot remount the tmpfs larger"
gs_run 0 "the next run once there is room" "$GS_AGENT" run
gs_run 0 "verify --full once there is room" "$GS_AGENT" verify --full
ship_parity "after the recovery the remote holds exactly the local objects"
gs_finish
