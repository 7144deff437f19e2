#!/usr/bin/env bash
# SIGKILL of `expire` at 50 random instants.  Each round backs up new data
# and ships it (so one snapshot is due for removal under keep_last = 2),
# then starts `expire` and kills it with SIGKILL after a random number of
# microseconds (timeout -s KILL: a real kill, no sleep), drawn up to a bit
# more than a whole expire took in the round before.  After each kill:
# both snapshots the policy keeps are on both copies, and no snapshot the
# local copy still holds is gone from the remote (remote deletions follow
# local ones).  Then the next `expire` exits 0 and leaves exactly the kept
# two on both copies with nothing pending.  Every few rounds, and at the
# end, the kept snapshots restore exactly from both copies.  The figures
# (how many kills hit before the local deletion, between it and the
# remote's, after) are printed.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
expire_begin "SIGKILL of expire at 50 random instants: nothing kept is lost, the next expire completes"
gs_need timeout

ROUNDS=50
version_backup
PREV=$SNAP
version_backup
gs_run 0 "ship the first two snapshots" "$GS_AGENT" ship
PENDING=$GS_STATE/pending-expire/acme@fi1
span_us=300000 # the first draw; then a bit more than the last whole expire
killed=0 early=0 middle=0 late=0 bad=0

for round in $(seq 1 "$ROUNDS"); do
	prev=$SNAP
	version_backup
	"$GS_AGENT" ship >"$T/ship.out" 2>&1 || { gs_show "$T/ship.out"; gs_fatal "round $round: ship failed"; }
	keep="$(printf '%s\n' "$prev" "$SNAP" | sort)"
	old=$PREV
	PREV=$prev
	us=$(((RANDOM * 32768 + RANDOM) % span_us))
	timeout -s KILL "$((us / 1000000)).$(printf '%06d' $((us % 1000000)))" \
		"$GS_AGENT" expire >"$T/kill.out" 2>"$T/kill.err"
	rc=$?
	if [ "$rc" = 137 ]; then
		killed=$((killed + 1))
		# where did it stop?
		if [ -e "$GS_REPO/tenants/acme/snapshots/$old" ]; then
			early=$((early + 1))
		elif [ -e "$T/remote/tenants/acme/snapshots/$old" ]; then
			middle=$((middle + 1))
		else
			late=$((late + 1))
		fi
	elif [ "$rc" != 0 ]; then
		gs_fail "round $round: expire exited $rc without being killed"
		gs_show "$T/kill.err"
		bad=$((bad + 1))
	fi
	gs_no_sanitizer "$T/kill.err" "round $round: sanitizer report" || bad=$((bad + 1))
	for s in $keep; do
		if [ ! -e "$GS_REPO/tenants/acme/snapshots/$s" ] ||
			[ ! -e "$T/remote/tenants/acme/snapshots/$s" ]; then
			gs_fail "round $round (killed after ${us} us): kept snapshot $s is gone from a copy"
			bad=$((bad + 1))
		fi
	done
	extra=$(comm -23 <(local_snaps) <(remote_snaps))
	if [ -n "$extra" ]; then
		gs_fail "round $round: the remote lost a snapshot the local copy still holds: $extra"
		bad=$((bad + 1))
	fi
	t0=$(date +%s%N)
	"$GS_AGENT" expire >"$T/next.out" 2>&1
	rc=$?
	span_us=$((($(date +%s%N) - t0) * 5 / 4000 + 1))
	if [ "$rc" != 0 ] || [ "$(local_snaps)" != "$keep" ] || [ "$(remote_snaps)" != "$keep" ] ||
		[ -e "$PENDING" ]; then
		gs_fail "round $round: the next expire (exit $rc) did not complete: local $(local_snaps | wc -l), remote $(remote_snaps | wc -l) snapshots"
		gs_show "$T/next.out"
		bad=$((bad + 1))
	fi
	if [ $((round % 10)) = 0 ]; then
		for s in $keep; do restores_exactly "round $round" fi1 "$s"; done
	fi
	[ "$bad" -lt 5 ] || gs_fatal "too many failures"
done
gs_say "kills: $killed of $ROUNDS (before the local deletion: $early, between it and the remote's: $middle, after both: $late)"
[ "$bad" = 0 ] && gs_pass "$ROUNDS rounds: no kept snapshot lost, every next expire completed" ||
	gs_fail "$bad failures in $ROUNDS rounds"
[ "$killed" -gt 0 ] && gs_pass "$killed expires were killed mid-way" || gs_fail "no expire was killed"
for s in $(local_snaps); do
	restores_exactly "at the end" local "$s"
	restores_exactly "at the end" fi1 "$s"
done
gs_run 0 "verify --full of the remote at the end" "$GS_AGENT" verify --full
gs_finish
