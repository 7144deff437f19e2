# lib.sh -- helpers for the SFTP transport tests in tests/transport/*.sh.
# Sourced, never run (CTest skips files named lib.sh).
#
# Environment: GS_BUILD, the build tree (CTest sets it; by hand:
# GS_BUILD=/path/to/build bash tests/transport/NAME.sh); the programs are
# $GS_BUILD/tests/transport/{tpcli,conformance}.  GS_KEEP=1 keeps the
# scratch directory.
#
#   tp_begin "title"        scratch dir $T, cleanup trap, programs checked
#   tp_sshd [config line]   start the test sshd (sshd.sh) in $T/sshd, or
#                           fail the whole test loudly
#   tp_run WANT WHAT CMD... run CMD (stdout $T/out, stderr $T/err); pass
#                           when its exit status is WANT ("0|1" allowed)
#   tp_err_has ERE WHAT     the last tp_run's stderr matches ERE
#   tp_err_lacks ERE WHAT   ... does not
#   tp_check WHAT CMD...    pass when CMD succeeds
#   tp_finish               "N passed, M failed" and the exit status
#
# Output is TAP-like, as in tests/scenario/lib.sh.

set -u -o pipefail
export LC_ALL=C
export PYTHONDONTWRITEBYTECODE=1
umask 022

TP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TP_NAME=$(basename "$0" .sh)
TP_PASSED=0
TP_FAILED=0
TP_BG=()
TP_MOUNTS=()
T=

# shellcheck source=sshd.sh
. "$TP_DIR/sshd.sh"

tp_say() { printf '# %s\n' "$*"; }

tp_pass() {
	TP_PASSED=$((TP_PASSED + 1))
	printf 'ok %d - %s\n' $((TP_PASSED + TP_FAILED)) "$*"
}

tp_fail() {
	TP_FAILED=$((TP_FAILED + 1))
	printf 'not ok %d - %s\n' $((TP_PASSED + TP_FAILED)) "$*"
}

tp_show() {
	[ -s "$1" ] || return 0
	tail -n "${2:-20}" "$1" | sed 's/^/#   | /'
}

tp_finish() {
	[ "$TP_PASSED" -gt 0 ] || [ "$TP_FAILED" -gt 0 ] || tp_fail "the test checked nothing"
	echo "$TP_PASSED passed, $TP_FAILED failed"
	[ "$TP_FAILED" -eq 0 ] && exit 0
	exit 1
}

tp_fatal() {
	tp_fail "$*"
	tp_say "cannot continue"
	tp_finish
}

tp_cleanup() {
	local rc=$? pid m
	trap - EXIT
	gs_sshd_stop
	for pid in "${TP_BG[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for m in "${TP_MOUNTS[@]}"; do
		mountpoint -q "$m" && umount "$m"
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "${GS_KEEP:-0}" = 1 ]; then
			echo "# scratch directory kept: $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

tp_begin() {
	local p
	echo "# $TP_NAME: $*"
	trap tp_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	[ -n "${GS_BUILD:-}" ] || tp_fatal "\$GS_BUILD is not set (CTest sets it; by hand: GS_BUILD=/path/to/build)"
	TPCLI=$GS_BUILD/tests/transport/tpcli
	CONFORMANCE=$GS_BUILD/tests/transport/conformance
	for p in "$TPCLI" "$CONFORMANCE"; do
		[ -x "$p" ] || tp_fatal "$p is missing (is add_subdirectory(transport) in tests/CMakeLists.txt, and the build done?)"
	done
	for p in ssh-keygen python3 mktemp pgrep; do
		command -v "$p" >/dev/null 2>&1 || tp_fatal "required tool missing: $p"
	done
	T=$(mktemp -d "${TMPDIR:-/tmp}/gs-$TP_NAME.XXXXXX") || tp_fatal "mktemp -d failed"
	chmod 755 "$T"
}

# tp_sshd [extra sshd_config line]...: start sshd; URL=sftp://...$T/remote
tp_sshd() {
	gs_sshd_start "$T/sshd" "$@" 2>"$T/sshd-start.err" ||
		{ tp_show "$T/sshd-start.err" 40; tp_fatal "the test sshd could not start"; }
	tp_pass "sshd runs on 127.0.0.1:$GS_SSHD_PORT"
	REMOTE=$T/remote
	mkdir -p "$REMOTE"
	URL="sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$REMOTE"
}

# tp_bg CMD...: run in the background (killed at exit); pid in TP_BG_PID.
tp_bg() {
	"$@" &
	TP_BG_PID=$!
	TP_BG+=("$TP_BG_PID")
}

tp_run() {
	local want=$1 what=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	TP_RC=$?
	if [ "$TP_RC" -ge 128 ]; then
		tp_fail "$what: killed by signal $((TP_RC - 128)): $*"
		tp_show "$T/err"
		return 1
	fi
	if grep -qE 'AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:' "$T/err"; then
		tp_fail "$what: sanitizer report"
		tp_show "$T/err" 40
		return 1
	fi
	if [[ "|$want|" == *"|$TP_RC|"* ]]; then
		tp_pass "$what (exit $TP_RC)"
		return 0
	fi
	tp_fail "$what: exit $TP_RC, wanted $want"
	tp_say "stderr:"
	tp_show "$T/err"
	tp_say "stdout:"
	tp_show "$T/out" 10
	return 1
}

tp_err_has() {
	if grep -qE -- "$1" "$T/err"; then
		tp_pass "$2"
		return 0
	fi
	tp_fail "$2: stderr does not match /$1/"
	tp_show "$T/err"
	return 1
}

tp_err_lacks() {
	if ! grep -qE -- "$1" "$T/err"; then
		tp_pass "$2"
		return 0
	fi
	tp_fail "$2: stderr matches /$1/"
	tp_show "$T/err"
	return 1
}

tp_check() {
	local what=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then
		tp_pass "$what"
		return 0
	fi
	tp_fail "$what"
	tp_show "$T/check.out" 30
	return 1
}

# tp_wait_until SECONDS CMD...: poll CMD every 20 ms; 1 on timeout.
tp_wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.02
	done
	return 0
}

# tpcli as the nightly agent would run it against the test sshd, with the
# ed25519 key and the plain known_hosts unless told otherwise.
tp_cli() {
	"$TPCLI" -i "$GS_SSHD_ID_ED25519" -k "$GS_SSHD_KNOWN_HOSTS" "$@"
}
