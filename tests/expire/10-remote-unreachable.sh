#!/usr/bin/env bash
# A remote that cannot be reached during expire: the local copy is expired
# all the same, the remote's deletions are remembered in state_dir
# (pending-expire/acme@fi1), expire warns and exits 3 (remote unreachable,
# docs/CLI.md), and the remote loses nothing yet.  A backup and ship in
# between do not bring the removed snapshots back; the next nightly run,
# with the remote reachable again, completes the remote's deletions and
# leaves nothing pending.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
expire_begin "an unreachable remote during expire: pending, warning, the next run completes"

four_backups
gs_run 0 "ship the four snapshots to fi1" "$GS_AGENT" ship
NEW="$(printf '%s\n' "${S[2]}" "${S[3]}" | sort)"
PENDING=$GS_STATE/pending-expire/acme@fi1

# a port nothing listens on: connection refused
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REMOTE_URL="sftp://$GS_SSHD_USER@127.0.0.1:$port$T/remote"
ship_config
gs_run 3 "expire with fi1 unreachable exits 3" "$GS_AGENT" expire
gs_err_has "remote fi1: 2 snapshot deletions pending \(unreachable\)" "the warning names the remote and the pending deletions"
[ "$(local_snaps)" = "$NEW" ] && gs_pass "the local copy is expired all the same" ||
	gs_fail "the local copy holds $(local_snaps | wc -l) snapshots"
[ "$(remote_snaps | wc -l)" = 4 ] && gs_pass "the remote still holds the four snapshots" ||
	gs_fail "the remote holds $(remote_snaps | wc -l) snapshots"
[ "$(sort "$PENDING" 2>/dev/null)" = "$(printf '%s\n' "${S[0]}" "${S[1]}" | sort)" ] &&
	gs_pass "the two deletions are pending in state_dir" ||
	{ gs_fail "the pending-expire file does not name the two removed snapshots"; gs_show "$PENDING"; }
[ "$(rec_field 1 copy)/$(rec_field 1 result)/$(rec_field 1 pending)" = "fi1/failed/2" ] &&
	gs_pass "the fi1 expire record says failed, 2 pending" ||
	gs_fail "the fi1 expire record: $(expire_records | tail -n 1)"
gs_run 3 "status shows the failed expire" "$GS_AGENT" status
gs_out_has "^expire +acme +fi1 +failed" "status: expire acme fi1 failed"

# a backup and ship in between: the removed snapshots do not come back
direct
version_backup
gs_run 0 "ship with deletions pending" "$GS_AGENT" ship
gs_check "the ship did not put the removed snapshots back on the local copy" \
	test -z "$(local_snaps | grep -E "${S[0]}|${S[1]}")"

before=$(local_snaps)
gs_run 0 "the next nightly run (remote reachable)" "$GS_AGENT" run
gs_err_lacks "on the remote but not" "verify does not flag the snapshots pending deletion"
# shellcheck disable=SC2086  # names are 32 hex digits
SNAP=$(gs_new_snap acme $before) && cp -a "$T/data/acme" "$T/versions/$SNAP"
[ "$(remote_snaps)" = "$(local_snaps)" ] && [ "$(local_snaps | wc -l)" = 2 ] &&
	gs_pass "the remote holds exactly the two snapshots the local copy keeps" ||
	gs_fail "after the run: local $(local_snaps | wc -l), remote $(remote_snaps | wc -l) snapshots"
[ ! -e "$PENDING" ] && gs_pass "nothing is pending any more" || { gs_fail "still pending"; gs_show "$PENDING"; }
removed=" $(rec_field 1 removed_snapshots) "
if [[ "$removed" == *" ${S[0]} "* && "$removed" == *" ${S[1]} "* ]]; then
	gs_pass "the run's fi1 record names the formerly pending snapshots as removed"
else
	gs_fail "the run's fi1 record: $(expire_records | tail -n 1)"
fi
gs_run 0 "verify --full of the remote" "$GS_AGENT" verify --full
for s in $(local_snaps); do restores_exactly "after the run" fi1 "$s"; done
gs_finish
