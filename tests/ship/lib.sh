# lib.sh -- helpers for the replication tests in tests/ship/: a tenant, a
# local repository, and a remote on a throwaway OpenSSH sshd on 127.0.0.1.
# Sourced, never run (CTest skips files named lib.sh).
#
# Everything of tests/scenario/lib.sh (gs_begin, gs_config ...), of
# tests/lib/harness.sh (gs_run, gs_err_has, gs_check, gs_pass, gs_fail,
# gs_finish, gs_bg, gs_wait_until ...), tests/lib/repo.sh (gs_snaps,
# gs_object_list ...) and tests/lib/sshd.sh (gs_sshd_start,
# gs_sshd_kill_sessions ...), plus:
#
#   ship_begin TITLE [sshd_config line]...
#       gs_begin, start sshd in $T/sshd, make the tenant "acme" (keys in
#       $GS_KEYS, a small source tree in $T/data/acme), the remote
#       directory $T/remote, write $T/geosnap.ini (ship_config) and
#       export GEOSNAP_CONFIG; geosnap-agent init.  Fails the test loudly
#       when any of it does not work.
#   ship_config    (re)write $T/geosnap.ini from these variables, which
#                  ship_begin sets and a test may change first:
#       REMOTE_URL      sftp://USER@127.0.0.1:PORT$T/remote
#       REMOTE_ID       identity file ($GS_SSHD_ID_ED25519)
#       REMOTE_KH       known_hosts file ($T/known_hosts)
#       REMOTE_REGION   eu-north        AGENT_REGION   eu-central
#       ALLOWED         "eu-central, eu-north" (policy allowed_regions)
#       AGENT_EXTRA     more lines for the [agent] section (pack_size = 4M)
#       POLICY_EXTRA    more lines for the [policy] section
#       REMOTE_TIMEOUT  the remote's timeout (10s)
#       REMOTE_EXTRA    more lines for the [remote "fi1"] section
#       TENANT_EXTRA    more lines for the [tenant "acme"] section
#   ship_data_more N   add N MiB of random data (a new file) to the source
#   remote_objects     the remote's object files (relative paths), sorted
#   local_objects      the local repository's object files, same form
#   ship_parity WHAT   pass when the remote holds exactly the local objects
#                      (names under tenants/acme, sizes and xxh128sum)
#   flip_byte FILE     invert the byte in the middle of FILE, in place
#   obj_pick KIND      the relative path of one remote object of KIND
#                      (packs, index, snapshots)
#   relay ARGS...      put tests/transport/relay.py (ARGS are its options)
#                      in front of sshd and point the remote at it; its
#                      stderr is in $T/relay.log, its pid in RELAY_PID
#   direct             stop the relay; the remote points at sshd again
#   night N            run (exit 0 wanted), append the new snapshot's name
#                      to the array snaps, copy the source to $T/nightN
#
# Checking a refused connection (30-bad-remote-config.sh and
# 31-bad-remote-identity-path.sh):
#   ere STRING         STRING quoted for grep -E
#   manifest DIR       every entry under DIR with type, size, mode, mtime
#   sshd_idle, sshd_settle   no sshd session left / wait for that
#   mark, since_mark   remember the remote's state and the end of the sshd
#                      log; the log lines since then, in $T/since.log
#   AUTH_ERE           sshd log lines that show an authentication attempt
#   nothing_new WHAT   the remote is exactly as it was at the mark
#   pending_work WHAT  back up new data, so that there is something to ship
#   fixed_run WHAT     rewrite the configuration, run, check parity
#
# Paths: $T/remote is the remote's base; $T/remote/tenants/acme/... its
# objects; $GS_REPO the local repository; $GS_STATE the state_dir.
# shellcheck shell=bash source-path=SCRIPTDIR

# shellcheck source=../scenario/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario/lib.sh"
# shellcheck source=../lib/sshd.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/sshd.sh"

RELAY=$(cd "$(dirname "${BASH_SOURCE[0]}")/../transport" && pwd)/relay.py
RELAY_PID=

ship_config() {
	cat >"$T/geosnap.ini" <<INI
[agent]
host = testhost
region = $AGENT_REGION
repository = $GS_REPO
state_dir = $GS_STATE
audit_log = $T/audit.jsonl
metrics_file = $T/metrics.prom
${AGENT_EXTRA:-}

[policy]
allowed_regions = $ALLOWED
verify_sample = 10%
${POLICY_EXTRA:-}

[remote "fi1"]
url = $REMOTE_URL
identity = $REMOTE_ID
known_hosts = $REMOTE_KH
region = $REMOTE_REGION
connections = 2
timeout = ${REMOTE_TIMEOUT:-10s}
$REMOTE_EXTRA

[tenant "acme"]
source = $T/data/acme
write_key = $GS_KEYS/acme.write
read_key = $GS_KEYS/acme.read
$TENANT_EXTRA
INI
}

ship_data_more() {
	local n=$1 f
	f=$T/data/acme/blob-$RANDOM$RANDOM.bin
	head -c "$((n * 1048576))" /dev/urandom >"$f" || gs_fatal "cannot write $f"
}

ship_begin() {
	local title=$1
	shift
	gs_begin "$title"
	gs_need ssh-keygen xxh128sum
	gs_sshd_start "$T/sshd" "$@" || gs_fatal "the test sshd did not start (see above)"
	cp "$GS_SSHD_KNOWN_HOSTS" "$T/known_hosts" || gs_fatal "known_hosts"
	REMOTE_URL="sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$T/remote"
	REMOTE_ID=$GS_SSHD_ID_ED25519
	REMOTE_KH=$T/known_hosts
	REMOTE_REGION=eu-north
	AGENT_REGION=eu-central
	ALLOWED="eu-central, eu-north"
	REMOTE_EXTRA=
	TENANT_EXTRA=
	AGENT_EXTRA=
	mkdir -p "$T/remote" "$T/data/acme/docs" || gs_fatal "mkdir"
	cp -a /usr/share/doc/bash/. "$T/data/acme/docs/" 2>/dev/null
	seq 1 200000 >"$T/data/acme/numbers.txt"
	ship_data_more 3
	"$GS_RESTORE" keygen --tenant acme --out "$GS_KEYS" >"$T/keygen.out" 2>&1 ||
		{ gs_show "$T/keygen.out"; gs_fatal "keygen failed"; }
	ship_config
	export GEOSNAP_CONFIG=$T/geosnap.ini
	"$GS_AGENT" init >"$T/init.out" 2>&1 || { gs_show "$T/init.out"; gs_fatal "init failed"; }
}

remote_objects() { gs_object_list "$T/remote" acme; }
local_objects() { gs_object_list "$GS_REPO" acme; }

ship_parity() {
	local what=$1 l r bad=0 p
	l=$(local_objects)
	r=$(remote_objects)
	if [ "$l" != "$r" ]; then
		gs_fail "$what: the remote's objects differ from the local ones"
		diff <(echo "$l") <(echo "$r") | head -20 | sed 's/^/#   | /'
		return 1
	fi
	while read -r p _; do
		[ -n "$p" ] || continue
		[ "$(xxh128sum "$T/remote/$p" 2>/dev/null | cut -d' ' -f1)" = "$(basename "$p")" ] || {
			bad=1
			gs_say "bad bytes: $p"
		}
	done <<<"$r"
	[ -n "$r" ] || { gs_fail "$what: no object at all"; return 1; }
	[ "$bad" = 0 ] && gs_pass "$what" || gs_fail "$what: some remote object does not hash to its name"
}

obj_pick() { gs_obj_pick "$T/remote" acme "$1"; }

# flip_byte FILE: invert the byte in the middle of FILE, in place (the
# file may be read-only: we are root).
flip_byte() { python3 "$GS_TESTS_LIB/corrupt.py" "$1" flip middle >/dev/null; }

# ---- a relay in front of sshd -------------------------------------------

# relay ARGS...: start relay.py in front of sshd and point the remote at it
# (known_hosts names the relay's port with sshd's host key).
relay() {
	local pf=$T/relay.port.$RANDOM port
	[ -f "$RELAY" ] || gs_fatal "relay.py not found at $RELAY"
	: >"$T/relay.log"
	gs_bg python3 "$RELAY" --target "$GS_SSHD_PORT" --port-file "$pf" "$@" 2>>"$T/relay.log"
	RELAY_PID=$GS_BG_PID
	gs_wait_until 10 test -s "$pf" || gs_fatal "the relay did not start"
	port=$(cat "$pf")
	echo "[127.0.0.1]:$port $GS_SSHD_HOSTKEY_PUB" >"$T/known_hosts.relay"
	REMOTE_URL="sftp://$GS_SSHD_USER@127.0.0.1:$port$T/remote"
	REMOTE_KH=$T/known_hosts.relay
	ship_config
}

# direct: the remote url straight at sshd again; the relay is stopped.
direct() {
	if [ -n "$RELAY_PID" ]; then
		kill "$RELAY_PID" 2>/dev/null
		wait "$RELAY_PID" 2>/dev/null
		RELAY_PID=
	fi
	REMOTE_URL="sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$T/remote"
	REMOTE_KH=$T/known_hosts
	ship_config
}

# ---- a refused connection -----------------------------------------------

# ere STRING: STRING quoted for grep -E (fingerprints hold + and /).
ere() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }

# manifest DIR: every entry under DIR, with type, size, mode and mtime.
manifest() { (cd "$1" && find . -printf '%p %y %s %m %T@\n' | LC_ALL=C sort); }

# sshd_idle: no per-connection sshd process is left, so every line about
# the connections so far is in the log.
sshd_idle() { [ -z "$(gs_sshd_sessions)" ]; }
sshd_settle() {
	gs_wait_until 20 sshd_idle || gs_fail "the sshd sessions did not end within 20 s"
}

# mark: remember the remote's state and the end of the sshd log.
mark() {
	sshd_settle
	MARK_LOG=$(wc -l <"$GS_SSHD_LOG")
	MARK_REMOTE=$(manifest "$T/remote")
}
# since_mark: the sshd log lines written since the mark, in $T/since.log
# (a file, not a pipe: under pipefail, `tail | grep -q` can fail by SIGPIPE).
since_mark() { tail -n +"$((MARK_LOG + 1))" "$GS_SSHD_LOG" >"$T/since.log"; }

# shellcheck disable=SC2034  # used by the tests
AUTH_ERE='userauth-request|Accepted (key|publickey)|Failed publickey|Postponed publickey'

# nothing_new WHAT: the remote is exactly as it was at the mark: no object,
# no temporary, no directory, not even a changed mtime.  (Each mark follows
# a run whose ship_parity checked every object's bytes, so nothing on the
# remote can be a final-named file that does not hash to its name.)
nothing_new() {
	local now
	now=$(manifest "$T/remote")
	if [ "$now" = "$MARK_REMOTE" ]; then
		gs_pass "$1: nothing at all new on the remote"
	else
		gs_fail "$1: the remote changed"
		diff <(echo "$MARK_REMOTE") <(echo "$now") | head -20 | sed 's/^/#   | /'
	fi
}

# pending_work WHAT: new data backed up locally, not yet on the remote.
pending_work() {
	ship_data_more 1
	gs_run 0 "$1: back up new data (something to ship)" "$GS_AGENT" backup
	[ "$(local_objects)" != "$(remote_objects)" ] &&
		gs_pass "$1: the local copy holds objects the remote lacks" ||
		gs_fail "$1: nothing left to ship: the case would prove nothing"
}

# fixed_run WHAT: with the configuration fixed, the next run exits 0 and
# the remote holds exactly the local objects.
fixed_run() {
	ship_config
	gs_run 0 "$1: the next run after the fix" "$GS_AGENT" run
	ship_parity "$1: after the fix the remote holds the local objects"
	[ -z "$(find "$T/remote" -name '.gstmp-*')" ] &&
		gs_pass "$1: no temporary left on the remote" || gs_fail "$1: temporaries left on the remote"
}

# ---- restore tests (geosnap-restore test) ---------------------------------
#   rtest_begin TITLE   ship_begin, an audit key made by stock minisign
#                       ($T/audit.key, $T/audit.pub) in the configuration,
#                       and a run that backs up and ships to fi1
#   log_lines           every record of the local log, oldest first: the
#                       closed segments (audit.<date>.<seq>.jsonl), then
#                       the open one ($T/audit.jsonl)
#   rec FIELD           FIELD of the last restore-test record (strings
#                       bare, null as "null")
#   rec_line            that record's line as it is in the log
#   nrec                how many restore-test records the log holds
#   log_verifies DIR    stock minisign -Vm accepts every segment of the log
#                       in DIR (each that is not empty), with $T/audit.pub
#   scratch_empty WHAT  pass when $T/scratch holds nothing (every test
#                       removed its scratch directory)

rtest_begin() {
	ship_begin "$1"
	gs_need minisign
	minisign -G -W -p "$T/audit.pub" -s "$T/audit.key" >"$T/minisign-G.out" 2>&1 ||
		{ gs_show "$T/minisign-G.out"; gs_fatal "minisign -G failed"; }
	chmod 600 "$T/audit.key"
	AGENT_EXTRA="audit_key = $T/audit.key"
	ship_config
	mkdir -p "$T/scratch"
	gs_run 0 "the nightly run (backup, ship to fi1, verify)" "$GS_AGENT" run ||
		gs_fatal "the nightly run failed"
}

log_lines() {
	local f
	for f in $(cd "$T" && find . -maxdepth 1 -name 'audit.*.jsonl' | sort) audit.jsonl; do
		[ -f "$T/$f" ] && cat "$T/$f"
	done
}

rec_line() { log_lines | grep '"event":"restore-test"' | tail -n 1; }

rec() {
	rec_line | python3 -c '
import json, sys
line = sys.stdin.read().strip()
v = json.loads(line).get(sys.argv[1], "(absent)") if line else None
print("null" if v is None else v if isinstance(v, str) else json.dumps(v))
' "$1"
}

nrec() { log_lines | grep -c '"event":"restore-test"'; }

log_verifies() {
	local f n=0
	for f in "$1"/audit.*.jsonl "$1"/audit.jsonl; do
		[ -s "$f" ] || continue
		minisign -Vm "$f" -p "$T/audit.pub" >/dev/null 2>&1 || return 1
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

scratch_empty() {
	local left
	left=$(find "$T/scratch" -mindepth 1 -maxdepth 1 2>/dev/null)
	[ -z "$left" ] && gs_pass "$1: the scratch directory is gone" ||
		gs_fail "$1: left in the scratch directory: $left"
}

# night N: a nightly run; the snapshot it made goes into snaps, the source
# as it was into $T/nightN (the garbage collection tests).
night() {
	local prev
	mapfile -t prev < <(gs_snaps acme)
	gs_run 0 "night $1" "$GS_AGENT" run
	snaps+=("$(gs_new_snap acme "${prev[@]}")")
	cp -a "$T/data/acme" "$T/night$1"
}
