#!/usr/bin/env bash
# A connection cut in the middle of an upload, three ways: a relay that
# drops the first connections after 8 MB (inside the first 32 MiB pack),
# the sessions' sshd processes killed while a ship runs, and a relay that
# goes silent (only the I/O timeout gets the agent out).  Each time: ship
# either reconnects and finishes (exit 0) or gives up (exit 3), and holds
# back the snapshot record unless every pack and index segment is there;
# the cut upload's temporary is never renamed (its object arrives under a
# fresh temporary); the next ship exits 0; verify (--full after the first
# case) exits 0; the remote holds exactly the local objects; and no object
# is ever seen on the remote under its final name with other bytes than
# its own (a watcher polls the remote during every ship, and every
# final-named file hashes to its name at the end).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "connection cut mid-upload: relay drop, sshd sessions killed, silent server"
gs_need python3 timeout comm awk
CUT=8000000 # bytes from the agent to the server before the cut (case 1)
CUT3=3000000 # the same for the silent server (case 3), with less data

# watch_start / watch_stop WHAT: while a ship runs, poll the remote every
# 50 ms; a file under an object's final name whose size is not the local
# object's size (a half-written object, or one that is not ours) is noted.
# The local repository does not change during a ship.
watch_start() {
	rm -f "$T/watch.stop" "$T/watch.bad" "$T/watch.rounds"
	local_objects >"$T/watch.local"
	(
		declare -A want
		while read -r p s; do want[$p]=$s; done <"$T/watch.local"
		rounds=0
		# one look; true (the watch ends) after the look that follows the stop
		look() {
			local stop=0 p s
			[ -e "$T/watch.stop" ] && stop=1
			while read -r p s; do
				[ -n "$p" ] || continue
				[ "${want[$p]:-}" = "$s" ] || echo "$p: $s bytes (local: ${want[$p]:-none})" >>"$T/watch.bad"
			done < <(remote_objects)
			rounds=$((rounds + 1))
			echo "$rounds" >"$T/watch.rounds"
			[ "$stop" = 1 ]
		}
		gs_wait_until 300 look || echo "the watch was never stopped" >>"$T/watch.bad"
	) &
	WATCH_PID=$!
	GS_BG_PIDS+=("$WATCH_PID")
}

watch_stop() {
	touch "$T/watch.stop"
	wait "$WATCH_PID"
	if [ -s "$T/watch.bad" ]; then
		gs_fail "$1: a file under an object's final name had other bytes than the object"
		gs_show "$T/watch.bad"
	else
		gs_pass "$1: never a half-written object under its final name ($(cat "$T/watch.rounds" 2>/dev/null) looks)"
	fi
}

# new_temps MARK: the remote's temporaries newer than the file MARK.
new_temps() { find "$T/remote/tenants/acme" -name '.gstmp-*' -newer "$1" -type f; }

# temps_superseded WHAT MARK: every temporary left since MARK belongs to an
# object that now exists under its final name (the cut upload was started
# again under a fresh name, the temporary was never renamed).
temps_superseded() {
	local t d n bad=0 count=0
	while read -r t; do
		[ -n "$t" ] || continue
		count=$((count + 1))
		d=$(dirname "$t")
		n=$(basename "$t")
		n=${n#.gstmp-}
		n=${n%-*}
		case $d in
		*/packs) d=$d/${n:0:2} ;;
		esac
		[ -f "$d/$n" ] || { bad=1; gs_say "no object for the temporary $t"; }
	done < <(new_temps "$1")
	if [ "$count" = 0 ]; then
		gs_fail "$2: no temporary left since the cut: it hit no upload"
	elif [ "$bad" = 0 ]; then
		gs_pass "$2 ($count temporaries, each superseded by its object)"
	else
		gs_fail "$2: a cut upload's object is not on the remote under its final name"
	fi
}

# snaps_held WHAT MARK: a snapshot record published since MARK means every
# local pack and index segment is on the remote, whole.
snaps_held() {
	local new missing
	new=$(find "$T/remote/tenants/acme/snapshots" -type f ! -name '.gstmp-*' -newer "$2" 2>/dev/null)
	missing=$(local_objects | grep -E '^tenants/acme/(packs|index)/' | comm -23 - <(remote_objects))
	if [ -n "$new" ] && [ -n "$missing" ]; then
		gs_fail "$1: a snapshot record was published while packs or index are missing"
		echo "$missing" | head -5 | sed 's/^/#   | /'
	else
		gs_pass "$1: $([ -n "$new" ] && echo "the snapshot record came with all its objects" ||
			echo "the snapshot record was held back") (exit $GS_RC)"
	fi
}

# new_data N: N MiB more in the source, a backup; sets BIG to the largest
# local pack's size.
new_data() {
	ship_data_more "$1"
	gs_run 0 "backup of $1 MiB more" "$GS_AGENT" backup || gs_fatal "backup failed"
	BIG=$(local_objects | awk '$1 ~ /\/packs\// && $2 > m {m = $2} END {print m + 0}')
}

# ---- 1. the relay drops the first two connections after 8 MB ------------
new_data 40
[ "$BIG" -gt $((3 * CUT)) ] && gs_pass "the first pack ($BIG bytes) is much larger than the cut point ($CUT)" ||
	gs_fatal "no pack larger than $((3 * CUT)) bytes (largest $BIG): the cut would not hit an upload"
relay --cut-after "$CUT" --mode close --conns 2
touch "$T/mark1"
watch_start
gs_run "0|3" "ship while the relay drops the connections after $CUT bytes" "$GS_AGENT" ship
watch_stop "relay drop"
grep -q 'connection broken (close)' "$T/relay.log" && gs_pass "the relay did cut a connection" ||
	gs_fail "the relay never cut a connection: the case tested nothing"
snaps_held "relay drop" "$T/mark1"
watch_start
gs_run 0 "the next ship finishes" "$GS_AGENT" ship
watch_stop "relay drop, next ship"
temps_superseded "$T/mark1" "relay drop: the cut uploads were started again under fresh names"
gs_run 0 "verify --full after the relay drop" "$GS_AGENT" verify --full
ship_parity "after the relay drop the remote holds exactly the local objects, each hashing to its name"

# ---- 2. the sessions' sshd processes killed while a ship runs ----------
direct
# paced, so that the kill falls inside an upload rather than after the ship
REMOTE_EXTRA="bandwidth_limit = 2M"
ship_config
new_data 8
touch "$T/mark2"
uploading() { new_temps "$T/mark2" | grep -q .; }
watch_start
gs_bg timeout -s KILL 80 "$GS_AGENT" ship >"$T/bg.out" 2>"$T/bg.err"
pid=$GS_BG_PID
if gs_wait_until 30 uploading; then
	gs_sshd_kill_sessions && gs_pass "killed the sessions' sshd processes mid-upload" ||
		gs_fail "no sshd session to kill"
else
	gs_fail "no upload (.gstmp- file) appeared within 30 s"
fi
wait "$pid"
rc=$?
watch_stop "sshd killed"
case $rc in
0 | 3) gs_pass "ship with its sessions killed: exit $rc" ;;
*) gs_fail "ship with its sessions killed: exit $rc, wanted 0 or 3"; gs_show "$T/bg.err" ;;
esac
GS_RC=$rc
snaps_held "sshd killed" "$T/mark2"
gs_no_sanitizer "$T/bg.err" "sanitizer report from the ship whose sessions were killed"
REMOTE_EXTRA=
ship_config
watch_start
gs_run 0 "the next ship after the sessions were killed" "$GS_AGENT" ship
watch_stop "sshd killed, next ship"
temps_superseded "$T/mark2" "sshd killed: the cut uploads were started again under fresh names"
# (verify reads back everything shipped since the last verify: all that
# the cut ships and the next ones sent)
gs_run 0 "verify after the sessions were killed" "$GS_AGENT" verify
ship_parity "after the sessions were killed the remote holds exactly the local objects"

# ---- 3. the server goes silent mid-upload (blackhole) ------------------
# The remote's I/O timeout is what gets the agent out; timeout -s KILL 80
# turns a hang into a failure (killed by a signal).
REMOTE_TIMEOUT=3s
new_data 8
relay --cut-after "$CUT3" --mode blackhole --conns 2
touch "$T/mark3"
watch_start
gs_run "0|3" "ship while the relay goes silent after $CUT3 bytes" timeout -s KILL 80 "$GS_AGENT" ship
watch_stop "silent server"
grep -q 'connection broken (blackhole)' "$T/relay.log" && gs_pass "the relay did go silent" ||
	gs_fail "the relay never went silent: the case tested nothing"
snaps_held "silent server" "$T/mark3"
watch_start
gs_run 0 "the next ship after the silent server" "$GS_AGENT" ship
watch_stop "silent server, next ship"
temps_superseded "$T/mark3" "silent server: the cut uploads were started again under fresh names"
direct
gs_run 0 "verify after the silent server" "$GS_AGENT" verify
ship_parity "after the silent server the remote holds exactly the local objects"
gs_finish
