#!/usr/bin/env bash
# SIGKILL of the agent in the middle of `ship`, twice: as soon as the first
# upload shows on the remote, and once the first object is published
# there.  While the ship runs a watcher polls the remote: it must never
# hold a snapshot record (not even a temporary one) while a pack or index
# segment that existed before the ship is missing or incomplete, nor a
# file under an object's final name with other than the object's size.
# After each kill the same check is made once more; then the next
# `geosnap-agent run` (or ship) exits 0 -- the killed agent's locks are
# no obstacle -- carrying on with only what is missing, `verify --full`
# exits 0 and the remote holds exactly the local objects.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "SIGKILL of the agent during ship; the next run, verify --full, parity"
gs_need comm

SNAPS=$T/remote/tenants/acme/snapshots

# before_ship: note what the snapshot invariant is checked against -- the
# local packs and index segments ("path size") and the snapshot files
# already on the remote (the records of earlier, finished ships).
before_ship() {
	local_objects | grep -E '^tenants/acme/(packs|index)/' >"$T/before.objs"
	find "$SNAPS" -type f -printf '%f\n' 2>/dev/null | sort >"$T/before.snaps"
	remote_objects >"$T/before.remote"
}

# snap_order_ok: 0 when the remote holds no new file in snapshots/
# (a record or a temporary), or when it holds every pack and index segment
# of before_ship whole; else 1, the reasons on stdout.
snap_order_ok() {
	local new missing
	new=$(find "$SNAPS" -type f -printf '%f\n' 2>/dev/null | sort | comm -13 "$T/before.snaps" -)
	[ -n "$new" ] || return 0
	missing=$(remote_objects | comm -23 "$T/before.objs" -)
	[ -z "$missing" ] && return 0
	echo "snapshot file(s) $(tr '\n' ' ' <<<"$new")on the remote while these are missing or incomplete:"
	echo "$missing"
	return 1
}

# watch_start / watch_stop WHAT: poll the remote every 50 ms while a ship
# runs (the local repository does not change meanwhile).
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
			snap_order_ok >>"$T/watch.bad"
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
		gs_fail "$1: the remote was seen in a state it must never be in"
		gs_show "$T/watch.bad"
	else
		gs_pass "$1: no snapshot record before its packs and index, no half-written object ($(cat "$T/watch.rounds" 2>/dev/null) looks)"
	fi
}

# kill_ship WHAT COND: start `ship` (paced, so that it is still running when
# COND first holds), SIGKILL it as soon as COND holds, and check the remote
# at that instant.
kill_ship() {
	local what=$1 cond=$2 pid comm rc
	REMOTE_EXTRA="bandwidth_limit = 4M"
	ship_config
	before_ship
	touch "$T/mark"
	watch_start
	gs_bg "$GS_AGENT" ship >"$T/bg.out" 2>"$T/bg.err"
	pid=$GS_BG_PID
	if gs_wait_until 60 "$cond"; then
		comm=$(cat "/proc/$pid/comm" 2>/dev/null)
		if [ "$comm" = geosnap-agent ] && kill -KILL "$pid"; then
			gs_pass "$what: SIGKILLed the shipping agent (pid $pid)"
		else
			gs_fail "$what: the agent (pid $pid) was no longer running when it was to be killed"
		fi
	else
		gs_fail "$what: the ship showed no progress within 60 s"
		kill -KILL "$pid" 2>/dev/null
	fi
	{ wait "$pid"; } 2>/dev/null # without the shell's "Killed" line
	rc=$?
	[ "$rc" = 137 ] && gs_pass "$what: the agent died of SIGKILL" ||
		{ gs_fail "$what: the agent exited $rc, not killed mid-ship"; gs_show "$T/bg.err"; }
	if snap_order_ok >"$T/order.out"; then
		gs_pass "$what: right after the kill, no snapshot record without its packs and index"
	else
		gs_fail "$what: right after the kill, a snapshot record without its packs and index"
		gs_show "$T/order.out"
	fi
	watch_stop "$what"
	[ -n "$(find "$T/remote/tenants/acme" -name '.gstmp-*' -type f -newer "$T/mark")" ] &&
		gs_pass "$what: the killed upload left its temporary" ||
		gs_fail "$what: no temporary on the remote after the kill: the kill did not hit an upload"
	REMOTE_EXTRA=
	ship_config
}

upload_seen() { find "$T/remote/tenants/acme" -type f \( -name '.gstmp-*' -o -regex '.*/[0-9a-f]\{32\}' \) 2>/dev/null | grep -q .; }
new_object_seen() { remote_objects | comm -13 "$T/before.remote" - | grep -q .; }

# ---- 1. killed at the first sign of an upload; the next run -----------
ship_data_more 12
gs_run 0 "backup" "$GS_AGENT" backup || gs_fatal "backup failed"
kill_ship "killed at the first upload" upload_seen
gs_run 0 "the next run after the kill (backup, ship, verify, expire)" "$GS_AGENT" run
grep -qi 'lock' "$GS_ERR" && { gs_fail "the run after the kill complains about a lock"; gs_show "$GS_ERR"; } ||
	gs_pass "the run after the kill says nothing about a lock"
gs_run 0 "verify --full after the kill" "$GS_AGENT" verify --full
ship_parity "after the kill and the next run the remote holds exactly the local objects"
gs_run 0 "status after the run" "$GS_AGENT" status

# ---- 2. killed once an object is published; the next ship carries on ---
ship_data_more 12
gs_run 0 "backup of more data" "$GS_AGENT" backup || gs_fatal "backup failed"
kill_ship "killed after the first new object" "new_object_seen"
missing=$(comm -23 <(local_objects) <(remote_objects) | wc -l)
[ "$missing" -gt 0 ] && gs_pass "the kill left $missing objects unshipped" ||
	gs_fail "nothing left to ship after the kill: it came too late"
before_ship
watch_start
gs_run 0 "the next ship after the kill" "$GS_AGENT" ship
watch_stop "the next ship after the kill"
shipped=$(grep '"event":"ship"' "$T/audit.jsonl" | tail -n 1 |
	python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["files"])')
[ "$shipped" = "$missing" ] && gs_pass "the next ship sent only the $missing missing objects" ||
	gs_fail "the next ship sent $shipped objects, $missing were missing"
gs_run 0 "verify --full after the second kill" "$GS_AGENT" verify --full
ship_parity "after the second kill the remote holds exactly the local objects"
gs_finish
