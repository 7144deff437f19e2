#!/usr/bin/env bash
# A remote that is wrongly configured is refused cleanly: an unknown or
# changed host key (and a wrong pinned fingerprint) is refused with exit 3
# before any credential is sent, naming the fingerprint the server presented
# and the one expected; geosnap-restore --from refuses the same way before
# asking for a passphrase; a failed ship shows as failed in `status`.  In
# every case nothing at all appears on the remote, and the next `run` once
# the cause is fixed exits 0 with the remote in parity with the local copy.
# (Identity file, remote path, a different repository: 31-bad-remote-identity-path.sh.)
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "bad remote config: host keys, pinned fingerprints, restore --from, status"
gs_need pgrep sed tail

# ---- helpers (ere, mark, since_mark, AUTH_ERE, nothing_new ...: lib.sh) ----

# refused_unauthenticated WHAT: since the mark, sshd saw the connection
# and no authentication request on it.
refused_unauthenticated() {
	sshd_settle
	since_mark
	grep -q '^Connection from ' "$T/since.log" &&
		gs_pass "$1: sshd saw the connection (the host key was presented)" ||
		{ gs_fail "$1: sshd logged no connection: the check below would prove nothing"; gs_show "$T/since.log" 15; }
	if grep -qE "$AUTH_ERE" "$T/since.log"; then
		gs_fail "$1: a credential reached the server"
		grep -E "$AUTH_ERE" "$T/since.log" | sed 's/^/#   | /'
	else
		gs_pass "$1: no authentication attempt in the sshd log (no credential sent)"
	fi
}

GOOD_KH=$REMOTE_KH
SEEN=$GS_SSHD_FPR
[[ $SEEN == SHA256:* ]] || gs_fatal "no fingerprint of the test server's host key ('$SEEN')"
ssh-keygen -q -t ed25519 -N '' -C other-host -f "$T/other_host" || gs_fatal "ssh-keygen"
OTHER_KEY=$(cut -d' ' -f1,2 "$T/other_host.pub")
OTHER_FPR=$(ssh-keygen -lf "$T/other_host.pub" | cut -d' ' -f2)
[[ $OTHER_FPR == SHA256:* && $OTHER_FPR != "$SEEN" ]] || gs_fatal "a second ed25519 key ('$OTHER_FPR')"

# ---- a working remote first ---------------------------------------------

mark
gs_run 0 "the first run with the right configuration" "$GS_AGENT" run
ship_parity "the first run fills the remote"
sshd_settle
since_mark
# positive control: sshd does log authentication, so the absence of such
# lines below means no credential was sent
grep -qE "$AUTH_ERE" "$T/since.log" &&
	gs_pass "sshd logs the authentication of an accepted connection" ||
	{ gs_fail "sshd logs no authentication: the 'no credential' checks would prove nothing"; gs_show "$T/since.log" 30; }

# ---- unknown host key ---------------------------------------------------

gs_say "unknown host key: an empty known_hosts"
pending_work "unknown host key"
: >"$T/kh_empty"
REMOTE_KH=$T/kh_empty
ship_config
mark
gs_run 3 "unknown host key (empty known_hosts): ship refuses" "$GS_AGENT" ship
SHIP_RC=$GS_RC
gs_err_has "not in known_hosts" "unknown host key: the message says the key is not known"
gs_err_has "$(ere "$SEEN")" "unknown host key: the message shows the fingerprint presented ($SEEN)"
gs_err_has "$(ere "$T/kh_empty")" "unknown host key: the message names the known_hosts file"
refused_unauthenticated "unknown host key"
nothing_new "unknown host key"

gs_say "status after the failed ship"
gs_run "1|2|3|4" "status after a failed ship exits non-zero" "$GS_AGENT" status
[ "$GS_RC" = "$SHIP_RC" ] && gs_pass "status exits with the failed ship's status ($SHIP_RC)" ||
	gs_fail "status exits $GS_RC, the failed ship exited $SHIP_RC"
gs_out_has "^ship +acme +fi1 +failed " "status shows the ship step of acme to fi1 as failed"
gs_run "1|2|3|4" "status --json after a failed ship" "$GS_AGENT" status --json
gs_check "status --json: the ship of acme to fi1 failed with the ship's exit status" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ship = [r for r in rows if r["step"] == "ship" and r["tenant"] == "acme" and r["remote"] == "fi1"]
assert len(ship) == 1, rows
assert ship[0]["result"] == "failed" and ship[0]["status"] == int(sys.argv[2]), ship' "$GS_OUT" "$SHIP_RC"

gs_say "geosnap-restore --from the remote with the unknown host key"
mark
GEOSNAP_PASSPHRASE_FILE=$T/no-such-passphrase-file \
	gs_run 3 "restore --from fi1 with an unknown host key refuses" \
	"$GS_RESTORE" snapshots --tenant acme --from fi1
gs_err_has "not in known_hosts" "restore --from: the error is about the host key"
gs_err_has "$(ere "$SEEN")" "restore --from: the message shows the fingerprint presented"
if grep -qiE 'passphrase|no-such-passphrase-file' "$GS_ERR"; then
	gs_fail "restore --from: it got as far as the passphrase"
	gs_show "$GS_ERR"
else
	gs_pass "restore --from: refused before any passphrase was needed"
fi
refused_unauthenticated "restore --from, unknown host key"
nothing_new "restore --from, unknown host key"

gs_say "unknown host key: known_hosts knows only another host"
echo "[127.0.0.2]:$GS_SSHD_PORT $GS_SSHD_HOSTKEY_PUB" >"$T/kh_otherhost"
REMOTE_KH=$T/kh_otherhost
ship_config
mark
gs_run 3 "known_hosts with only another host's entry: ship refuses" "$GS_AGENT" ship
gs_err_has "not in known_hosts" "another host's entry: the message says the key is not known"
gs_err_has "$(ere "$SEEN")" "another host's entry: the message shows the fingerprint presented"
refused_unauthenticated "another host's entry"
nothing_new "another host's entry"

REMOTE_KH=$GOOD_KH
fixed_run "unknown host key"
gs_run 0 "status after the fix and a clean run exits 0" "$GS_AGENT" status
gs_out_has "^ship +acme +fi1 +ok " "status shows the ship step of acme to fi1 as ok again"

# ---- changed host key ---------------------------------------------------

gs_say "changed host key: known_hosts holds another ed25519 key for the server"
pending_work "changed host key"
echo "[127.0.0.1]:$GS_SSHD_PORT $OTHER_KEY" >"$T/kh_changed"
REMOTE_KH=$T/kh_changed
ship_config
mark
gs_run 3 "changed host key: ship refuses" "$GS_AGENT" ship
gs_err_has "CHANGED|changed" "changed host key: the message says the key changed"
gs_err_has "$(ere "$SEEN")" "changed host key: the message shows the fingerprint seen ($SEEN)"
gs_err_has "$(ere "$OTHER_FPR")" "changed host key: the message shows the fingerprint expected ($OTHER_FPR)"
refused_unauthenticated "changed host key"
nothing_new "changed host key"
REMOTE_KH=$GOOD_KH
fixed_run "changed host key"

# ---- pinned fingerprint -------------------------------------------------

gs_say "a pinned fingerprint, with known_hosts still set"
pending_work "right pin"
REMOTE_EXTRA="fingerprint = $SEEN"
ship_config
gs_run 0 "the right pinned fingerprint and the right known_hosts: run ships" "$GS_AGENT" run
ship_parity "right pin: the remote holds the local objects"

pending_work "wrong pin"
REMOTE_EXTRA="fingerprint = $OTHER_FPR"
ship_config
mark
gs_run 3 "a wrong pinned fingerprint (known_hosts right): ship refuses" "$GS_AGENT" ship
gs_err_has "pinned" "wrong pin: the message says the pinned fingerprint does not match"
gs_err_has "$(ere "$SEEN")" "wrong pin: the message shows the fingerprint seen"
gs_err_has "$(ere "$OTHER_FPR")" "wrong pin: the message shows the fingerprint pinned"
refused_unauthenticated "wrong pin"
nothing_new "wrong pin"

REMOTE_EXTRA="fingerprint = $SEEN"
REMOTE_KH=$T/kh_changed
ship_config
mark
gs_run 3 "the right pin with a changed known_hosts: ship refuses (both must match)" "$GS_AGENT" ship
gs_err_has "$(ere "$OTHER_FPR")" "right pin, changed known_hosts: the known_hosts key is shown as expected"
refused_unauthenticated "right pin, changed known_hosts"
nothing_new "right pin, changed known_hosts"

REMOTE_KH=$GOOD_KH
fixed_run "wrong pin"
gs_run 0 "status after the last clean run exits 0" "$GS_AGENT" status
gs_finish
