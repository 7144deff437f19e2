#!/usr/bin/env bash
# R10, the region rule, checked before connecting: a remote whose region
# the policy does not allow, a remote in the agent's own region, and a
# tenant whose own allowed_regions refuses what the policy allows: ship
# exits 2 naming the config file, the remote and the region; sshd logs no
# new connection and nothing appears on the remote.  run with such a
# remote still backs up (status: backup ok) and exits 2; once the config
# is fixed, run exits 0 and the remote holds the local objects.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "R10: remotes outside the allowed regions are refused before connecting"

CFG=$T/geosnap.ini
conns() { grep -c 'Connection from' "$GS_SSHD_LOG"; }
remote_state() { (cd "$T/remote" && find . -printf '%p %s\n' | sort); }

# refused WHAT REGION-ERE: ship exits 2 naming the config file, remote fi1
# and the region (REGION-ERE), without a connection or a change on the remote.
refused() {
	local what=$1 ere=$2 c0 r0
	c0=$(conns)
	r0=$(remote_state)
	gs_run 2 "$what: ship is refused" "$GS_AGENT" ship
	gs_err_has "$CFG" "$what: the message names the config file"
	gs_err_has "remote \"?fi1\"?" "$what: the message names the remote"
	gs_err_has "$ere" "$what: the message names the region"
	[ "$(conns)" = "$c0" ] && gs_pass "$what: no connection reached sshd" ||
		{ gs_fail "$what: sshd logged $(($(conns) - c0)) new connections"; gs_show "$GS_SSHD_LOG" 5; }
	[ "$(remote_state)" = "$r0" ] && gs_pass "$what: nothing changed on the remote" ||
		gs_fail "$what: the remote changed: $(diff <(echo "$r0") <(remote_state) | head -5 | tr '\n' ' ')"
}

gs_run 0 "backup, so that there is something to ship" "$GS_AGENT" backup
[ -n "$(gs_objects acme packs)" ] || gs_fatal "backup made no pack"

REMOTE_REGION=us-east
ship_config
refused "a region not in the policy's allowed_regions" "region us-east"

REMOTE_REGION=eu-central
ship_config
refused "the agent's own region" "region eu-central"
gs_err_has "primary's own region" "the own-region refusal says so"

REMOTE_REGION=eu-north
TENANT_EXTRA="allowed_regions = eu-central"
ship_config
refused "a tenant allowed_regions that overrides the policy" "region eu-north"
gs_err_has "tenant acme" "the tenant-level refusal names the tenant"

# run with a disallowed remote: the backup still happens, the ship does not.
TENANT_EXTRA=
REMOTE_REGION=us-east
ship_config
mapfile -t before < <(gs_snaps acme)
ship_data_more 1
c0=$(conns)
r0=$(remote_state)
gs_run 2 "run with a remote in a disallowed region" "$GS_AGENT" run
gs_err_has "$CFG.*fi1.*us-east" "run names the config file, the remote and the region"
new=$(gs_new_snap acme "${before[@]}" 2>&1) && gs_pass "run still backed up (new snapshot $new)" ||
	gs_fail "run made no new snapshot: $new"
[ "$(conns)" = "$c0" ] && gs_pass "run: no connection reached sshd" || gs_fail "run connected to sshd"
[ "$(remote_state)" = "$r0" ] && gs_pass "run: nothing changed on the remote" || gs_fail "run changed the remote"
gs_run 2 "status after that run" "$GS_AGENT" status --json
grep -q '"step":"backup".*"status":0' "$GS_OUT" && gs_pass "status: the backup step is ok" ||
	{ gs_fail "status has no ok backup step"; gs_show "$GS_OUT"; }
grep -q '"step":"ship","tenant":"acme","remote":"fi1".*"status":2' "$GS_OUT" &&
	gs_pass "status: the ship step of acme to fi1 has status 2" ||
	{ gs_fail "status has no ship step with status 2"; gs_show "$GS_OUT"; }

# Fixed: an allowed region other than the agent's own.
REMOTE_REGION=eu-north
ship_config
c0=$(conns)
gs_run 0 "run after fixing the region" "$GS_AGENT" run
# the control: a connection does show in the sshd log
[ "$(conns)" -gt "$c0" ] && gs_pass "that run's connections show in the sshd log" ||
	gs_fail "that run logged no 'Connection from' line: the no-connection checks above prove nothing"
ship_parity "after the fixed run the remote holds the local objects"
gs_finish
