#!/usr/bin/env bash
# The test sshd of tests/lib/sshd.sh starts, serves SFTP to the stock
# OpenSSH client with either client key and either known_hosts, is refused
# by that client under a wrong host key, reports its fingerprint, and stops.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sshd.sh"
gs_start "the test sshd starts, serves SFTP to the stock client, stops"
gs_need sftp ssh-keygen mktemp
gs_scratch

gs_sshd_start "$T/sshd" 2>"$T/sshd-start.err" ||
	{ gs_show "$T/sshd-start.err" 40; gs_fatal "sshd starts"; }
gs_pass "sshd starts on 127.0.0.1:$GS_SSHD_PORT (pid $GS_SSHD_PID)"
mkdir -p "$T/remote"
echo hello >"$T/hello"

# sftp_as KNOWN_HOSTS IDENTITY [sftp option]...: the stock client in batch
# mode, its commands on stdin.
sftp_as() {
	local kh=$1 id=$2
	shift 2
	sftp -q -b - -P "$GS_SSHD_PORT" -i "$id" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$kh" \
		-o GlobalKnownHostsFile=/dev/null "$@" "$GS_SSHD_USER@127.0.0.1"
}

if printf 'put %s %s/hello\nls %s\n' "$T/hello" "$T/remote" "$T/remote" |
	sftp_as "$GS_SSHD_KNOWN_HOSTS" "$GS_SSHD_ID_ED25519" >"$T/out" 2>&1 &&
	cmp -s "$T/hello" "$T/remote/hello"; then
	gs_pass "sftp put with the ed25519 key and known_hosts"
else
	gs_fail "sftp put with the ed25519 key and known_hosts"
	gs_show "$T/out"
fi
if echo "ls $T/remote" | sftp_as "$GS_SSHD_KNOWN_HOSTS_HASHED" "$GS_SSHD_ID_RSA" >"$T/out" 2>&1; then
	gs_pass "sftp with the RSA key and the hashed known_hosts"
else
	gs_fail "sftp with the RSA key and the hashed known_hosts"
	gs_show "$T/out"
fi
echo "[127.0.0.1]:$GS_SSHD_PORT $(cut -d' ' -f1,2 "$GS_SSHD_ID_ED25519.pub")" >"$T/wrong_known_hosts"
if echo "ls /" | sftp_as "$T/wrong_known_hosts" "$GS_SSHD_ID_ED25519" >"$T/out" 2>&1; then
	gs_fail "the stock client refuses a wrong host key"
else
	gs_pass "the stock client refuses a wrong host key"
fi
if [[ $GS_SSHD_FPR == SHA256:* && ${#GS_SSHD_FPR} -eq 50 ]]; then
	gs_pass "fingerprint $GS_SSHD_FPR"
else
	gs_fail "fingerprint '$GS_SSHD_FPR'"
fi
pid=$GS_SSHD_PID port=$GS_SSHD_PORT
gs_sshd_stop
if ! kill -0 "$pid" 2>/dev/null && ! _gs_sshd_ready "$port"; then
	gs_pass "sshd stops"
else
	gs_fail "sshd stops"
fi
gs_finish
