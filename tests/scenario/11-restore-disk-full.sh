#!/bin/bash
# 11-restore-disk-full: a restore onto a target disk that fills up (issue
# 8's faults).  The target is an 8 MiB tmpfs and the snapshot holds more.
# The restore exits 3 with a clear error ("No space left on device") that
# says how many entries were not restored; every regular file left on the
# tmpfs is byte-exact (the one being written when the disk filled is
# removed, nothing looks complete with other content).  Once the tmpfs is
# made larger, restore --overwrite exits 0 and the tree is exact.
# Needs root (mount); the tmpfs is unmounted at exit, before the scratch
# directory is removed.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "restore onto a disk that fills up: exit 3, no space named, no wrong file; --overwrite completes"
gs_need mount umount mountpoint cmp head seq
[ "$(id -u)" = 0 ] || gs_fatal "must run as root (to mount a tmpfs)"

# (gs_tmpfs: the harness unmounts it before it removes $T)
MNT=$T/mnt

# ---- a snapshot larger than 8 MiB -------------------------------------------
S=$T/src
mkdir -p "$S/docs" "$S/data" || gs_fatal "mkdir $S"
cp -a /usr/share/doc/bash/. "$S/docs/" 2>/dev/null
seq 1 200000 >"$S/numbers.txt"
for i in 1 2 3 4 5 6 7; do
	head -c $((2 << 20)) /dev/urandom >"$S/data/part-$i.bin" || gs_fatal "cannot write $S/data/part-$i.bin"
	printf 'small file %s\n' "$i" >"$S/data/small-$i.txt"
done
total=$(du -sb "$S" | cut -f1)
[ "$total" -gt $((8 << 20)) ] && gs_pass "the source holds $total bytes, more than 8 MiB" ||
	gs_fatal "the source ($total bytes) fits in 8 MiB: nothing to test"

gs_keygen acme
CFG=$T/geosnap.ini
gs_config "$CFG" acme "$S"
A() { "$GS_AGENT" -c "$CFG" "$@"; }
R() { "$GS_RESTORE" -c "$CFG" "$@"; }
gs_run 0 "agent init" A init || gs_fatal "init failed"
gs_run 0 "backup" A backup || gs_fatal "backup failed"

gs_tmpfs "$MNT" 8m || gs_fatal "cannot mount a tmpfs on $MNT (root needed)"
mountpoint -q "$MNT" && gs_pass "the target's filesystem is an 8 MiB tmpfs" || gs_fatal "no tmpfs on $MNT"

# ---- the disk fills up ------------------------------------------------------
OUT=$MNT/out
gs_run 3 "restore onto the full disk exits 3" R restore --tenant acme --target "$OUT"
gs_err_has 'No space left on device|[Nn]o space' "the error says the disk has no space left"
missing=$(gs_missing_files "$S" "$OUT" | wc -l)
[ "$missing" -gt 0 ] && gs_pass "$missing files are not in the target" ||
	gs_fail "every file is in the target: the disk was not full"
if gs_stopped_count "the full disk"; then
	[ "$GS_STOPPED_N" -ge "$missing" ] &&
		gs_pass "the count ($GS_STOPPED_N) covers the $missing files missing from the target" ||
		gs_fail "the message says $GS_STOPPED_N entries, but $missing files are missing"
fi
gs_present_exact "after the full disk every file present on the tmpfs is the source's" "$S" "$OUT"

# ---- room again ------------------------------------------------------------
mount -o remount,size=64m "$MNT" && gs_pass "the tmpfs remounted with 64 MiB" ||
	gs_fatal "cannot remount the tmpfs larger"
gs_run 0 "restore --overwrite once there is room" R restore --tenant acme --overwrite --target "$OUT"
gs_treecmp "after the re-run the tree is exact" "$S" "$OUT"
gs_finish
