#!/usr/bin/env bash
# Authentication of the SFTP transport: key files only (ed25519, RSA),
# refused when group/other readable, missing or passphrase-protected, or
# when the server does not know the key; a wrong remote path is a clear
# error; and no key material ever appears in a message.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
tp_begin "authentication and configuration errors"
tp_sshd
ERRS=$T/all-errors
: >"$ERRS"
keep_err() { cat "$T/err" >>"$ERRS"; }

ls_with() { # IDENTITY [URL]
	"$TPCLI" -i "$1" -k "$GS_SSHD_KNOWN_HOSTS" "${2:-$URL}" ls ""
}

gs_run 0 "the ed25519 key works" ls_with "$GS_SSHD_ID_ED25519"
gs_run 0 "the RSA key works (sshd allows ssh-rsa signatures)" ls_with "$GS_SSHD_ID_RSA"
gs_run 0 "the user defaults to the current user" ls_with "$GS_SSHD_ID_ED25519" \
	"sftp://127.0.0.1:$GS_SSHD_PORT$REMOTE"

gs_run 3 "a missing identity is refused" ls_with "$T/no-such-key"
keep_err
gs_err_has 'identity .*no-such-key: No such file' "missing identity: named in the message"
gs_err_has 'errkind=CONFIG' "missing identity: errkind CONFIG (our setup, not the server)"

cp "$GS_SSHD_ID_ED25519" "$T/id_group" && chmod 640 "$T/id_group"
before=$(grep -c 'Connection from' "$GS_SSHD_LOG")
gs_run 3 "a group-readable identity is refused" ls_with "$T/id_group"
keep_err
gs_err_has 'accessible by group or others \(mode 0640\)' "group-readable identity: the message says so"
gs_err_has 'errkind=CONFIG' "group-readable identity: errkind CONFIG"
after=$(grep -c 'Connection from' "$GS_SSHD_LOG")
[ "$before" = "$after" ] && gs_pass "group-readable identity: not even a connection was made" ||
	gs_fail "group-readable identity: a connection was made"
cp "$GS_SSHD_ID_ED25519" "$T/id_other" && chmod 604 "$T/id_other"
gs_run 3 "an other-readable identity is refused" ls_with "$T/id_other"
keep_err

ssh-keygen -q -t ed25519 -N '' -f "$T/id_stranger" || gs_fatal "ssh-keygen"
gs_run 3 "a key the server does not know is refused" ls_with "$T/id_stranger"
keep_err
gs_err_has "refused the key .*id_stranger for user $GS_SSHD_USER" "unknown key: the message names key and user"
gs_err_has 'errkind=REFUSED' "unknown key: errkind REFUSED"

ssh-keygen -q -t ed25519 -N 'a passphrase' -f "$T/id_locked" || gs_fatal "ssh-keygen"
gs_run 3 "a passphrase-protected key is refused" ls_with "$T/id_locked"
keep_err
gs_err_has 'cannot be used: passphrase-protected' "locked key: the message says why"

gs_run 3 "a wrong remote path is a clear error" ls_with "$GS_SSHD_ID_ED25519" \
	"sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$T/no/such/dir"
keep_err
gs_err_has "remote base directory $T/no/such/dir on \[127.0.0.1\]:$GS_SSHD_PORT: no such file or directory" \
	"wrong path: the message names path and server"
gs_err_has 'errkind=REFUSED' "wrong path: errkind REFUSED"
: >"$T/afile"
gs_run 3 "a remote path that is a file is refused" ls_with "$GS_SSHD_ID_ED25519" \
	"sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$T/afile"
keep_err
gs_err_has "is not a directory" "path to a file: the message says so"

for bad in "sftp://127.0.0.1:0/x" "sftp://127.0.0.1:99999/x" "sftp://127.0.0.1" \
	"sftp://u:pw@127.0.0.1/x" "sftp://[::1/x" "ftp://127.0.0.1/x" "sftp://127.0.0.1/a%zz"; do
	gs_run 3 "bad url $bad is refused" ls_with "$GS_SSHD_ID_ED25519" "$bad"
	keep_err
done
gs_run 0 "an IPv6 literal url parses ([::1] is not listened on: any error but a parse error)" \
	bash -c '"$0" -t 2 -i "$1" -k "$2" "sftp://[::1]:$3/x" ls "" 2>&1 | grep -q "connect to ::1"' \
	"$TPCLI" "$GS_SSHD_ID_ED25519" "$GS_SSHD_KNOWN_HOSTS" "$GS_SSHD_PORT"

# A stock OpenSSH (>= 8.8) refuses the SHA-1 RSA signatures of libssh2 1.10.
gs_sshd_stop
tp_sshd "PubkeyAcceptedAlgorithms -ssh-rsa"
gs_run 0 "stock sshd: the ed25519 key works" ls_with "$GS_SSHD_ID_ED25519"
if gs_run "0|3" "stock sshd: the RSA key" ls_with "$GS_SSHD_ID_RSA"; then
	keep_err
	if [ "$GS_RC" = 3 ]; then
		gs_err_has 'OpenSSH 8.8 and later refuse.*prefer an ed25519 key' \
			"stock sshd refused RSA: the message explains why"
	else
		gs_pass "this libssh2 signs RSA with SHA-2: accepted"
	fi
fi

# No secret in any message.
leak=0
for k in "$GS_SSHD_ID_ED25519" "$GS_SSHD_ID_RSA" "$T/id_group" "$T/id_stranger" "$T/id_locked"; do
	while read -r line; do
		case $line in -----*) continue ;; esac
		[ "${#line}" -ge 20 ] || continue
		grep -qF -- "$line" "$ERRS" && leak=1
	done <"$k"
done
[ "$leak" = 0 ] && gs_pass "no private key material in any message" ||
	gs_fail "private key material appeared in a message"
gs_finish
