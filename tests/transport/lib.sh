# lib.sh -- what the SFTP transport tests in tests/transport/*.sh add to
# tests/lib/harness.sh (gs_run, gs_err_has, gs_check, gs_finish ...) and
# tests/lib/sshd.sh (gs_sshd_start ...).  Sourced, never run (CTest skips
# files named lib.sh).
#
# Environment: GS_BUILD, the build tree (CTest sets it; by hand:
# GS_BUILD=/path/to/build bash tests/transport/NAME.sh); the programs are
# $GS_BUILD/tests/transport/{tpcli,conformance}.  GS_KEEP=1 keeps the
# scratch directory.
#
#   tp_begin "title"        scratch dir $T, cleanup trap, programs checked;
#                           gs_run's output is $T/out and $T/err
#   tp_sshd [config line]   start the test sshd in $T/sshd (REMOTE, URL),
#                           or fail the whole test loudly
#   tp_cli ARGS...          tpcli with the test sshd's key and known_hosts
# shellcheck shell=bash source-path=SCRIPTDIR

# shellcheck source=../lib/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
# shellcheck source=../lib/sshd.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/sshd.sh"

# shellcheck disable=SC2034  # the tests use them
TP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GS_POLL=0.02

tp_begin() {
	local p
	gs_start "$*"
	[ -n "${GS_BUILD:-}" ] || gs_fatal "\$GS_BUILD is not set (CTest sets it; by hand: GS_BUILD=/path/to/build)"
	TPCLI=$GS_BUILD/tests/transport/tpcli
	CONFORMANCE=$GS_BUILD/tests/transport/conformance
	for p in "$TPCLI" "$CONFORMANCE"; do
		[ -x "$p" ] || gs_fatal "$p is missing (is add_subdirectory(transport) in tests/CMakeLists.txt, and the build done?)"
	done
	gs_need ssh-keygen python3 mktemp pgrep
	gs_scratch
	chmod 755 "$T"
	GS_OUT=$T/out
	GS_ERR=$T/err
}

# tp_sshd [extra sshd_config line]...: start sshd; URL=sftp://...$T/remote
tp_sshd() {
	gs_sshd_start "$T/sshd" "$@" 2>"$T/sshd-start.err" ||
		{ gs_show "$T/sshd-start.err" 40; gs_fatal "the test sshd could not start"; }
	gs_pass "sshd runs on 127.0.0.1:$GS_SSHD_PORT"
	REMOTE=$T/remote
	mkdir -p "$REMOTE"
	# shellcheck disable=SC2034  # the tests use it
	URL="sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$REMOTE"
}

# tpcli as the nightly agent would run it against the test sshd, with the
# ed25519 key and the plain known_hosts unless told otherwise.
tp_cli() {
	"$TPCLI" -i "$GS_SSHD_ID_ED25519" -k "$GS_SSHD_KNOWN_HOSTS" "$@"
}
