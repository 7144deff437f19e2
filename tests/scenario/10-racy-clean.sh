#!/bin/bash
# 10-racy-clean: a file rewritten with the same size within the same
# timestamp second as the backup that read it ("racily clean": size, mtime,
# ctime and inode all unchanged) is read again by the next backup, and the
# latest snapshot restores its new content; a file that has not changed for
# longer than the files cache's margin (2 s) is still taken from the cache.
#
# The source lives on a loop-mounted ext2 image made with 128-byte inodes,
# which has 1-second timestamps.  The same-second rewrite is made by
# starting right after a second begins and checked with stat; when the pair
# straddles a second the attempt is repeated (no sleeps: the test waits
# for the clock or the filesystem to reach a state, polling).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "same-size rewrite within the timestamp second: the next backup stores the new content"
gs_need mkfs.ext2 mount umount mountpoint truncate date cmp
[ "$(id -u)" = 0 ] || gs_fatal "must run as root (to loop-mount an ext2 image)"

IMG=$T/ext2.img
MNT=$T/mnt

mkdir -p "$MNT"
truncate -s 16M "$IMG" && mkfs.ext2 -q -F -I 128 "$IMG" >"$T/mkfs.out" 2>&1 ||
	{ gs_show "$T/mkfs.out"; gs_fatal "mkfs.ext2 -I 128 $IMG failed"; }
mount -o loop "$IMG" "$MNT" >"$T/mount.out" 2>&1 ||
	{ gs_show "$T/mount.out"; gs_fatal "cannot loop-mount the ext2 image (needs root and a loop device)"; }
# the harness unmounts it before it removes $T (which holds the image)
GS_MOUNTS+=("$MNT")
gs_pass "ext2 image with 128-byte inodes loop-mounted on $MNT"

S=$MNT/src
mkdir -p "$S"
echo "an old file nobody touches" >"$S/old.txt"
gs_check "the source filesystem has 1-second timestamps (no nanoseconds)" \
	test "$(stat -c %y "$S/old.txt" | sed 's/.*\.\([0-9]*\) .*/\1/')" = 000000000

gs_keygen acme
CFG=$T/geosnap.ini
gs_config "$CFG" acme "$S"
A() { "$GS_AGENT" -c "$CFG" "$@"; }
R() { "$GS_RESTORE" -c "$CFG" "$@"; }
gs_run 0 "agent init" A init || gs_fatal "init failed"

# The clock in whole seconds without a fork (bash's time(), the kernel's
# coarse clock that stamps files): forks under load cost the window.
clock_past() { [ "$EPOCHSECONDS" -gt "$1" ]; }
# stat_of FILE: what the files cache compares (size, mtime, ctime, inode)
stat_of() { stat -c '%s %Y %Z %i' "$1"; }
# files_read: the "N files read" of the last gs_run's -v summary
files_read() { sed -n 's/.*; \([0-9]*\) files read;.*/\1/p' "$GS_ERR"; }

# old.txt must be older than the margin before a backup reads it.
old_ctime=$(stat -c %Z "$S/old.txt")
gs_wait_until 10 clock_past $((old_ctime + 2)) || gs_fatal "the clock did not move past $((old_ctime + 2))"

got_pair=0
for try in $(seq -w 1 30); do
	# Start right after a second begins: the write, the backup (0.1 s
	# even under a sanitizer) and the rewrite then usually fit in it.
	s0=$EPOCHSECONDS
	gs_wait_until 3 clock_past "$s0" || gs_fatal "the clock does not move"
	before=$(gs_snaps acme)
	printf 'version 1 (try %s): the old text\n' "$try" >"$S/racy.txt"
	st1=$(stat_of "$S/racy.txt")
	"$GS_AGENT" -c "$CFG" backup >"$T/try.out" 2>"$T/try.err" </dev/null
	rc=$?
	printf 'version 2 (try %s): THE NEW TEXT\n' "$try" >"$S/racy.txt"
	st2=$(stat_of "$S/racy.txt")
	# (gs_run only now, outside the window: it checks the exit status and
	# looks for sanitizer reports)
	gs_run 0 "try $try: backup right after writing racy.txt" \
		sh -c 'cat "$1"; cat "$2" >&2; exit "$3"' _ "$T/try.out" "$T/try.err" "$rc" ||
		gs_fatal "backup failed"
	if [ "$st1" = "$st2" ]; then
		got_pair=1
		break
	fi
	gs_say "try $try: the rewrite fell into another second ($st1 / $st2); again"
done
[ "$got_pair" = 1 ] || gs_fatal "no same-second rewrite in 30 tries"
gs_pass "try $try: racy.txt rewritten after the backup read it, same size, mtime, ctime and inode ($st2)"
# shellcheck disable=SC2086 # one name a word
S1=$(gs_new_snap acme $before) || gs_fatal "the backup of try $try made no snapshot"

# The next backup runs once the second of the rewrite has passed, when the
# stat of racy.txt is exactly what the previous backup saw.
mtime=$(stat -c %Y "$S/racy.txt")
gs_wait_until 3 clock_past "$mtime" || gs_fatal "the clock did not move past $mtime"
gs_check "racy.txt's stat is still what the previous backup saw" test "$(stat_of "$S/racy.txt")" = "$st2"
gs_run 0 "backup after the second has passed" A -v backup || gs_fatal "backup failed"
n=$(files_read)
[ "$n" = 1 ] && gs_pass "the backup read racy.txt again and took old.txt from the files cache (1 file read)" ||
	{ gs_fail "the backup read '$n' files, wanted 1 (racy.txt only)"; gs_show "$GS_ERR"; }

gs_run 0 "restore the latest snapshot" R restore --tenant acme --snapshot latest --target "$T/out" ||
	gs_fatal "restore failed"
gs_check "the latest snapshot restores racy.txt's new content ($(cat "$S/racy.txt"))" \
	cmp "$S/racy.txt" "$T/out/racy.txt"
gs_check "and old.txt unchanged" cmp "$S/old.txt" "$T/out/old.txt"
gs_run 0 "restore the snapshot made before the rewrite" R restore --tenant acme --snapshot "$S1" --target "$T/out1"
gs_check "it holds version 1, what that backup read" grep -q "^version 1 (try $try)" "$T/out1/racy.txt"

# Once racy.txt has settled (older than the margin when read), it is cached.
gs_wait_until 5 clock_past $((mtime + 2)) || gs_fatal "the clock did not move past $((mtime + 2))"
gs_run 0 "backup once racy.txt is more than 2 s old" A -v backup
gs_run 0 "and one more" A -v backup
n=$(files_read)
[ "$n" = 0 ] && gs_pass "a file settled for more than 2 s comes from the files cache (0 files read)" ||
	{ gs_fail "the last backup read '$n' files, wanted 0"; gs_show "$GS_ERR"; }
gs_finish
