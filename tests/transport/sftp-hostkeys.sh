#!/usr/bin/env bash
# Strict host-key checking of the SFTP transport: an unknown or changed
# host key is refused before any credential is sent (the sshd log shows no
# authentication request), naming the fingerprint seen and the one
# expected; pinned fingerprints and hashed known_hosts work.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
tp_begin "host keys: unknown, changed, pinned, hashed, revoked"
tp_sshd
SEEN=$GS_SSHD_FPR
HOSTPAT="[127.0.0.1]:$GS_SSHD_PORT"
KEYLINE=$GS_SSHD_HOSTKEY_PUB

# another ed25519 key and an ECDSA key, as a "changed" server would have
ssh-keygen -q -t ed25519 -N '' -f "$T/other_ed25519" || gs_fatal "ssh-keygen"
ssh-keygen -q -t ecdsa -N '' -f "$T/other_ecdsa" || gs_fatal "ssh-keygen"
OTHER=$(cut -d' ' -f1,2 "$T/other_ed25519.pub")
OTHER_FPR=$(ssh-keygen -lf "$T/other_ed25519.pub" | cut -d' ' -f2)
ECDSA=$(cut -d' ' -f1,2 "$T/other_ecdsa.pub")
ECDSA_FPR=$(ssh-keygen -lf "$T/other_ecdsa.pub" | cut -d' ' -f2)

# connect KNOWN_HOSTS [tpcli options]: list the base directory
connect() {
	local kh=$1
	shift
	if [ -n "$kh" ]; then
		"$TPCLI" -i "$GS_SSHD_ID_ED25519" -k "$kh" "$@" "$URL" ls ""
	else
		"$TPCLI" -i "$GS_SSHD_ID_ED25519" "$@" "$URL" ls ""
	fi
}

# refused WHAT ERE KNOWN_HOSTS [tpcli options]: the connection is refused
# (REFUSED), stderr matches ERE and shows the fingerprint seen, and sshd
# saw no authentication request.
refused() {
	local what=$1 ere=$2 before
	shift 2
	sleep 0.1
	before=$(wc -l <"$GS_SSHD_LOG")
	gs_run 3 "$what: refused" connect "$@"
	gs_err_has 'errkind=REFUSED' "$what: errkind REFUSED"
	gs_err_has "$ere" "$what: the message says why"
	gs_err_has "${SEEN//+/\\+}" "$what: the message shows the fingerprint seen"
	gs_wait_until 5 grep -q 'Connection closed\|Received disconnect\|Disconnected from' \
		<(tail -n +"$((before + 1))" "$GS_SSHD_LOG") ||
		gs_say "(no disconnect logged by sshd yet)"
	if tail -n +"$((before + 1))" "$GS_SSHD_LOG" | grep -qE 'userauth-request|Accepted key|Failed publickey|Postponed'; then
		gs_fail "$what: a credential reached the server"
		tail -n +"$((before + 1))" "$GS_SSHD_LOG" | grep -E 'userauth|key' | sed 's/^/#   /'
	else
		gs_pass "$what: no credential was sent"
	fi
}

: >"$T/empty"
refused "empty known_hosts" "not in known_hosts" "$T/empty"
gs_err_has "expected no key" "empty known_hosts: nothing was expected"

echo "[127.0.0.2]:$GS_SSHD_PORT $KEYLINE" >"$T/kh_otherhost"
refused "known_hosts for another host" "not in known_hosts" "$T/kh_otherhost"

echo "127.0.0.1 $KEYLINE" >"$T/kh_port22"
refused "a plain entry (port 22) does not cover another port" "not in known_hosts" "$T/kh_port22"

echo "$HOSTPAT $OTHER" >"$T/kh_changed"
refused "changed host key" "HOST KEY CHANGED" "$T/kh_changed"
gs_err_has "${OTHER_FPR//+/\\+}" "changed host key: the message shows the fingerprint expected"

cp "$T/kh_changed" "$T/kh_changed_hashed" && ssh-keygen -q -H -f "$T/kh_changed_hashed" >/dev/null 2>&1
refused "changed host key, hashed known_hosts" "HOST KEY CHANGED" "$T/kh_changed_hashed"
gs_err_has "${OTHER_FPR//+/\\+}" "changed host key, hashed: the fingerprint expected is shown"

echo "$HOSTPAT $ECDSA" >"$T/kh_ecdsa"
refused "known_hosts knows only an ECDSA key" "not in known_hosts" "$T/kh_ecdsa"
gs_err_has "ecdsa-sha2-nistp256 ${ECDSA_FPR//+/\\+}" "the ECDSA key known_hosts expects is shown"

{ echo "@revoked * $KEYLINE"; echo "$HOSTPAT $KEYLINE"; } >"$T/kh_revoked"
refused "a revoked host key" "revoked" "$T/kh_revoked"

refused "a wrong pinned fingerprint" "does not match the pinned fingerprint" "" -f "$OTHER_FPR"
gs_err_has "${OTHER_FPR//+/\\+}" "wrong pin: the pinned fingerprint is shown"

refused "right pin, wrong known_hosts" "HOST KEY CHANGED" "$T/kh_changed" -f "$SEEN"

gs_run 3 "a missing known_hosts file is refused" connect "$T/does-not-exist"
gs_err_has "cannot read known_hosts .*does-not-exist" "missing known_hosts: named in the message"

gs_run 3 "neither known_hosts nor a fingerprint: refused" connect ""
gs_err_has "neither known_hosts nor fingerprint" "no host key source: the message says so"

gs_run 0 "plain known_hosts accepted" connect "$GS_SSHD_KNOWN_HOSTS"
# positive control for the "no credential was sent" checks above
gs_wait_until 5 grep -q 'userauth-request' "$GS_SSHD_LOG" &&
	gs_pass "sshd logs authentication requests (so their absence above means something)" ||
	gs_fail "sshd does not log authentication requests: the checks above prove nothing"
gs_run 0 "hashed known_hosts accepted" connect "$GS_SSHD_KNOWN_HOSTS_HASHED"
gs_run 0 "pinned fingerprint accepted" connect "" -f "$SEEN"
gs_run 0 "pin and known_hosts, both right, accepted" connect "$GS_SSHD_KNOWN_HOSTS" -f "$SEEN"

{
	echo "# a comment"
	echo
	echo "@cert-authority *.example.org $ECDSA"
	echo "garbage line that is not a key"
	echo "example.org,192.0.2.1 $OTHER"
	echo "[127.0.0.1]:1 $OTHER"
	echo "127.0.0.9,$HOSTPAT $KEYLINE comment here"
} >"$T/kh_mixed"
gs_run 0 "a known_hosts with comments, markers, junk and host lists is usable" connect "$T/kh_mixed"
gs_finish
