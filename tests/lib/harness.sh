# harness.sh -- the one TAP harness of the shell tests (tests/*/NN-*.sh).
# Sourced by each folder's lib.sh, never run: CTest registers only the
# *.sh files of golden/ transport/ scenario/ ship/ hostile/, not tests/lib/.
#
# Output is TAP-like: "ok N - what", "not ok N - what" and "# detail" lines,
# ending with "N passed, M failed" and the exit status (0 when none failed).
# A missing tool or program is a failure, never a skip.
#
#   gs_start TITLE         print the title, install the cleanup trap
#   gs_scratch             make the scratch directory $T; the output files
#                          of gs_run are $GS_OUT and $GS_ERR in it
#   gs_say / gs_pass / gs_fail / gs_fatal MSG, gs_show FILE [N], gs_finish
#   gs_need TOOL...        every tool is installed, or the test fails
#   gs_run WANT WHAT CMD...   run CMD (stdin /dev/null); pass when its exit
#                          status is WANT ("0|4" allowed) and no sanitizer
#                          spoke; GS_RC is its exit status
#   gs_no_sanitizer FILE WHAT  fail when FILE holds a sanitizer report
#   gs_err_has / gs_err_lacks / gs_out_has ERE WHAT   about the last gs_run
#   gs_check WHAT CMD...   pass when CMD exits 0
#   gs_bg CMD...           run CMD in the background (pid in GS_BG_PID),
#                          killed at exit if still running
#   gs_wait_until SECONDS CMD...   poll CMD every $GS_POLL seconds
#   gs_tmpfs DIR SIZE      mount a tmpfs of SIZE on DIR, unmounted at exit
#
# At exit (gs_cleanup): background children still running are killed, the
# test sshd (tests/lib/sshd.sh) is stopped, mounts in GS_MOUNTS are
# unmounted, paths in GS_CLEAN_PATHS removed, the local users in
# GS_CLEAN_USERS and then the groups in GS_CLEAN_GROUPS deleted (userdel,
# groupdel; tests/accounts/), and $T removed unless GS_KEEP=1.
# shellcheck shell=bash source-path=SCRIPTDIR

[ -z "${GS_HARNESS_LOADED:-}" ] || return 0
GS_HARNESS_LOADED=1

set -u -o pipefail
# The agent runs from cron with a minimal environment: the C locale.
export LC_ALL=C
export PYTHONDONTWRITEBYTECODE=1
umask 022

# shellcheck disable=SC2034  # for the folders' lib.sh (corrupt.py)
GS_TESTS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GS_TEST_NAME=$(basename "$0" .sh)
GS_PASSED=0
GS_FAILED=0
GS_BG_PIDS=()
GS_CLEAN_PATHS=()
GS_CLEAN_USERS=()
GS_CLEAN_GROUPS=()
GS_MOUNTS=()
# how often gs_wait_until polls, in seconds
GS_POLL=${GS_POLL:-0.05}
# what a sanitizer writes to stderr when it finds something
GS_SANITIZER_ERE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|runtime error:'
T=

gs_say() { printf '# %s\n' "$*"; }

gs_pass() {
	GS_PASSED=$((GS_PASSED + 1))
	printf 'ok %d - %s\n' $((GS_PASSED + GS_FAILED)) "$*"
}

gs_fail() {
	GS_FAILED=$((GS_FAILED + 1))
	printf 'not ok %d - %s\n' $((GS_PASSED + GS_FAILED)) "$*"
}

# gs_show FILE [N]: the last N (default 20) lines of FILE as "# " lines.
gs_show() {
	[ -s "$1" ] || return 0
	tail -n "${2:-20}" "$1" | sed 's/^/#   | /'
}

gs_finish() {
	if [ "$GS_PASSED" -eq 0 ] && [ "$GS_FAILED" -eq 0 ]; then
		gs_fail "the test checked nothing"
	fi
	echo "$GS_PASSED passed, $GS_FAILED failed"
	[ "$GS_FAILED" -eq 0 ] && exit 0
	exit 1
}

# gs_fatal MSG: a failure after which the test cannot go on.
gs_fatal() {
	gs_fail "$*"
	gs_say "cannot continue"
	gs_finish
}

gs_cleanup() {
	local rc=$? pid p
	trap - EXIT
	# only children not yet waited for: a reaped pid may belong to anyone now
	for pid in $(jobs -p); do
		[[ " ${GS_BG_PIDS[*]} " == *" $pid "* ]] || continue
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# its sessions may hold files on a mount below
	if declare -F gs_sshd_stop >/dev/null; then
		gs_sshd_stop
	fi
	for p in "${GS_MOUNTS[@]}"; do
		mountpoint -q "$p" 2>/dev/null || continue
		umount "$p" 2>/dev/null || umount -l "$p" || echo "# could not unmount $p"
	done
	for p in "${GS_CLEAN_PATHS[@]}"; do
		[ -n "$p" ] && [ "$p" != / ] && rm -rf -- "$p"
	done
	for p in "${GS_CLEAN_USERS[@]}"; do
		userdel "$p" 2>/dev/null || echo "# could not delete the user $p"
	done
	for p in "${GS_CLEAN_GROUPS[@]}"; do
		groupdel "$p" 2>/dev/null || echo "# could not delete the group $p"
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "${GS_KEEP:-0}" = 1 ]; then
			echo "# scratch directory kept: $T"
		else
			chmod -R u+rwX "$T" 2>/dev/null
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

# gs_start TITLE: print "# NAME: TITLE" and install the cleanup trap.
gs_start() {
	echo "# $GS_TEST_NAME: $*"
	trap gs_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# gs_need TOOL...: every tool must be installed; a missing one fails loudly.
gs_need() {
	local t missing=
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -z "$missing" ] || gs_fatal "required tools missing:$missing (Debian packages: see tests/scenario/README.md)"
}

# gs_scratch: make the scratch directory $T (removed at exit); gs_run's
# output goes to GS_OUT=$T/run.out and GS_ERR=$T/run.err.
gs_scratch() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/gs-$GS_TEST_NAME.XXXXXX") || gs_fatal "mktemp -d failed"
	GS_OUT=$T/run.out
	GS_ERR=$T/run.err
	GS_RC=0
}

# gs_no_sanitizer FILE WHAT: fail (and return 1) when FILE holds a
# sanitizer's report.
gs_no_sanitizer() {
	grep -qE "$GS_SANITIZER_ERE" "$1" || return 0
	gs_fail "$2"
	gs_show "$1" 40
	return 1
}

# gs_run WANT WHAT CMD...: run CMD with stdout in $GS_OUT, stderr in $GS_ERR
# and stdin from /dev/null; WANT is an exit status or several as "0|4".  A
# death by signal or a sanitizer report always fails.  Sets GS_RC; returns
# 0 if as wanted.
gs_run() {
	local want=$1 what=$2
	shift 2
	"$@" >"$GS_OUT" 2>"$GS_ERR" </dev/null
	GS_RC=$?
	if [ "$GS_RC" -ge 128 ]; then
		gs_fail "$what: killed by signal $((GS_RC - 128)) (exit $GS_RC): $*"
		gs_show "$GS_ERR"
		return 1
	fi
	gs_no_sanitizer "$GS_ERR" "$what: sanitizer report (exit $GS_RC): $*" || return 1
	if [[ "|$want|" == *"|$GS_RC|"* ]]; then
		gs_pass "$what (exit $GS_RC)"
		return 0
	fi
	gs_fail "$what: exit $GS_RC, wanted $want: $*"
	gs_say "stderr:"
	gs_show "$GS_ERR"
	gs_say "stdout:"
	gs_show "$GS_OUT" 10
	return 1
}

# gs_err_has ERE WHAT: the last gs_run's stderr matches ERE.
gs_err_has() {
	if grep -qE -- "$1" "$GS_ERR"; then
		gs_pass "$2"
		return 0
	fi
	gs_fail "$2: stderr does not match /$1/"
	gs_show "$GS_ERR"
	return 1
}

# gs_err_lacks ERE WHAT: the last gs_run's stderr does not match ERE.
gs_err_lacks() {
	if ! grep -qE -- "$1" "$GS_ERR"; then
		gs_pass "$2"
		return 0
	fi
	gs_fail "$2: stderr matches /$1/"
	gs_show "$GS_ERR"
	return 1
}

# gs_out_has ERE WHAT: the last gs_run's stdout matches ERE.
gs_out_has() {
	if grep -qE -- "$1" "$GS_OUT"; then
		gs_pass "$2"
		return 0
	fi
	gs_fail "$2: stdout does not match /$1/"
	gs_show "$GS_OUT"
	return 1
}

# gs_check WHAT CMD...: pass when CMD exits 0; its output is shown on failure.
gs_check() {
	local what=$1 out=$T/check.out
	shift
	if "$@" >"$out" 2>&1 </dev/null; then
		gs_pass "$what"
		return 0
	fi
	gs_fail "$what"
	gs_show "$out" 30
	return 1
}

# gs_bg CMD...: run CMD in the background; it is killed at exit if still
# running.  The pid is in GS_BG_PID.
gs_bg() {
	"$@" &
	GS_BG_PID=$!
	GS_BG_PIDS+=("$GS_BG_PID")
}

# gs_wait_until SECONDS CMD...: poll CMD every $GS_POLL seconds until it
# succeeds; returns 1 when the deadline passes first.
gs_wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep "$GS_POLL"
	done
	return 0
}

# gs_tmpfs DIR SIZE: mount a tmpfs of SIZE (mount's size=, e.g. 8m) with
# mode 0755 on DIR (made if missing); it is unmounted at exit, before $T is
# removed.  Needs root; returns non-zero when the mount fails.
gs_tmpfs() {
	mkdir -p "$1" || return 1
	mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" || return 1
	GS_MOUNTS+=("$1")
}
