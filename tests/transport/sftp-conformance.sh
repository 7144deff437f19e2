#!/usr/bin/env bash
# The transport conformance suite (conformance.c) against the SFTP
# transport on a throwaway sshd: with the ed25519 key and known_hosts, the
# RSA key and a hashed known_hosts, and a pinned fingerprint alone.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
tp_begin "the conformance suite over SFTP"
tp_sshd

# conf WHAT ARGS...: one run of the suite; its output is shown.
conf() {
	local what=$1
	shift
	"$CONFORMANCE" "$@" -s "$REMOTE" "$URL" >"$T/conf.out" 2>"$T/conf.err"
	local rc=$?
	sed 's/^/#   /' "$T/conf.out"
	if [ "$rc" -eq 0 ] && tail -n 1 "$T/conf.out" | grep -qE '^[1-9][0-9]* passed, 0 failed$'; then
		gs_pass "$what: $(tail -n 1 "$T/conf.out")"
	else
		gs_fail "$what (exit $rc)"
		gs_show "$T/conf.err" 40
	fi
}

conf "ed25519 key, known_hosts" -i "$GS_SSHD_ID_ED25519" -k "$GS_SSHD_KNOWN_HOSTS"
conf "RSA key, hashed known_hosts" -i "$GS_SSHD_ID_RSA" -k "$GS_SSHD_KNOWN_HOSTS_HASHED"
conf "ed25519 key, pinned fingerprint" -i "$GS_SSHD_ID_ED25519" -f "$GS_SSHD_FPR"

gs_finish
