#!/usr/bin/env bash
# geosnap-restore test when it cannot pass (issue 10's faults): a wrong or
# missing passphrase (exit 2), an unwritable scratch directory (a read-only
# tmpfs: exit 2), a full disk during the restore (a 1 MiB tmpfs: exit 3)
# and a corrupt pack on the remote (exit 1): each gives a clear error and
# its exit status of docs/CLI.md, appends a restore-test record saying so
# (a failed test is evidence too) that stock minisign verifies, and leaves
# no scratch directory behind; nor does a test killed with SIGKILL in the
# middle of its restore.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
rtest_begin "restore test faults: passphrase, scratch directory, full disk, corrupt pack"
gs_need mount umount

# recorded WHAT STATUS RESULT ERE: the last record has this status and
# result, its message matches ERE, and the log still verifies.
recorded() {
	local what=$1 st=$2 res=$3 ere=$4 n
	n=$(nrec)
	[ "$n" -gt "$NREC" ] && gs_pass "$what: a record was appended" ||
		gs_fail "$what: no record appended ($n records)"
	NREC=$n
	[ "$(rec status)" = "$st" ] && [ "$(rec result)" = "$res" ] &&
		gs_pass "$what: record status $st, result $res" ||
		gs_fail "$what: record status $(rec status), result $(rec result), wanted $st $res"
	rec message | grep -qE -- "$ere" && gs_pass "$what: record message: $(rec message)" ||
		gs_fail "$what: record message '$(rec message)' does not match /$ere/"
	log_verifies "$T" && gs_pass "$what: stock minisign -Vm verifies the log" ||
		gs_fail "$what: minisign -Vm fails on a segment of the log"
}
NREC=$(nrec)

# ---- passphrase -----------------------------------------------------------
(umask 077 && echo 'not the passphrase' >"$T/wrong-pass")
gs_run 2 "a wrong passphrase: exit 2" env GEOSNAP_PASSPHRASE_FILE="$T/wrong-pass" \
	"$GS_RESTORE" test --tenant acme --scratch "$T/scratch"
gs_err_has "wrong passphrase" "the message says: wrong passphrase"
recorded "wrong passphrase" 2 usage "wrong passphrase"
[ "$(rec snapshot)" = null ] && [ "$(rec from)" = fi1 ] &&
	gs_pass "wrong passphrase: record from fi1, no snapshot" ||
	gs_fail "wrong passphrase: record from $(rec from), snapshot $(rec snapshot)"
scratch_empty "wrong passphrase"
gs_run 2 "no passphrase at all (no file, no terminal): exit 2" \
	setsid -w env -u GEOSNAP_PASSPHRASE_FILE "$GS_RESTORE" test --tenant acme --scratch "$T/scratch"
recorded "no passphrase" 2 usage "passphrase|terminal"
scratch_empty "no passphrase"

# ---- an unwritable scratch directory --------------------------------------
gs_tmpfs "$T/ro" 1m && mount -o remount,ro "$T/ro" || gs_fatal "cannot mount a read-only tmpfs on $T/ro"
gs_run 2 "a read-only scratch directory: exit 2" "$GS_RESTORE" test --tenant acme --scratch "$T/ro"
gs_err_has "scratch directory $T/ro: cannot make a directory in it: Read-only file system" \
	"the message names the directory and why"
recorded "read-only scratch" 2 usage "scratch directory .*Read-only"
gs_run 2 "a missing scratch directory: exit 2" "$GS_RESTORE" test --tenant acme --scratch "$T/nowhere"
gs_err_has "scratch directory $T/nowhere: No such file" "the message names the missing directory"
recorded "missing scratch" 2 usage "nowhere"

# ---- a full disk ----------------------------------------------------------
gs_tmpfs "$T/small" 1m || gs_fatal "cannot mount a 1 MiB tmpfs on $T/small"
gs_run 3 "a scratch file system that fills up (1 MiB for 4.5 MiB): exit 3" \
	"$GS_RESTORE" test --tenant acme --scratch "$T/small"
gs_err_has "No space left on device" "the message says the disk is full"
recorded "full disk" 3 failed "^restore stopped: No space left on device[^;]*$"
left=$(find "$T/small" -mindepth 1 | head -5)
[ -z "$left" ] && gs_pass "full disk: the scratch directory is gone" ||
	gs_fail "full disk: left behind: $left"
[ "$(df --output=used -B1 "$T/small" | tail -1 | tr -d ' ')" -lt 65536 ] &&
	gs_pass "full disk: the tmpfs is empty again" || gs_fail "full disk: the tmpfs still holds data"

# ---- a corrupt pack on the remote -----------------------------------------
# The largest pack: its middle byte lies in the blob area (the header is
# at the end and small), so one chunk fails authentication.
BAD=$(cd "$T/remote" && find tenants/acme/packs -type f ! -name '.gstmp-*' -printf '%s %p\n' |
	sort -n | tail -1 | cut -d' ' -f2)
[ -n "$BAD" ] || gs_fatal "no pack on the remote"
flip_byte "$T/remote/$BAD" || gs_fatal "cannot flip a byte of $BAD"
gs_run 1 "a corrupt pack on the remote: exit 1" "$GS_RESTORE" test --tenant acme --scratch "$T/scratch"
gs_err_has "missing from the restore" "the files it could not restore are named"
recorded "corrupt pack" 1 problem "."
[ "$(rec mismatches)" -ge 1 ] && gs_pass "corrupt pack: record mismatches $(rec mismatches)" ||
	gs_fail "corrupt pack: record mismatches $(rec mismatches)"
[ "$(rec from)" = fi1 ] && [ "$(rec snapshot)" != null ] &&
	gs_pass "corrupt pack: the record names fi1 and the snapshot" ||
	gs_fail "corrupt pack: record from $(rec from) snapshot $(rec snapshot)"
scratch_empty "corrupt pack"
gs_run 0 "the local copy is intact: --from local passes" \
	"$GS_RESTORE" -q test --tenant acme --from local --scratch "$T/scratch"
scratch_empty "from local"

# ---- SIGKILL in the middle of the restore ---------------------------------
# The janitor process removes the scratch directory of a test that was
# killed (no record: the process is gone).  48 MiB more, so that the
# restore is still running when its first file appears.
for _ in 1 2 3 4 5 6; do
	ship_data_more 8
done
gs_run 0 "backup of 48 MiB more" "$GS_AGENT" backup || gs_fatal "backup failed"
restored_file() { [ -n "$(find "$T/scratch" -mindepth 2 -type f -print -quit)" ]; }
gs_bg "$GS_RESTORE" -q test --tenant acme --from local --scratch "$T/scratch"
pid=$GS_BG_PID
gs_wait_until 60 restored_file || gs_fatal "no restored file appeared in the scratch directory"
kill -KILL "$pid"
wait "$pid"
st=$?
[ "$st" = 137 ] && gs_pass "SIGKILL: the test was killed while it restored" ||
	gs_fail "SIGKILL: the test ended with $st before it could be killed"
scratch_gone() { [ -z "$(find "$T/scratch" -mindepth 1 -print -quit)" ]; }
gs_wait_until 30 scratch_gone && gs_pass "SIGKILL: the janitor removed the scratch directory" ||
	gs_fail "SIGKILL: left in the scratch directory: $(find "$T/scratch" -mindepth 1 -maxdepth 1)"
gs_finish
