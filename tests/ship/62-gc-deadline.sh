#!/usr/bin/env bash
# The erasure deadline on a simulated clock (faketime), over fourteen
# nights against a real sshd.  Each night a new file appears in production
# and the previous night's file is deleted, so each file is in exactly one
# snapshot; retention keeps three daily snapshots.  After every night each
# copy is probed independently of garbage collection (chunkprobe: the
# file's chunk IDs, computed like a backup, against every pack header):
# no chunk that stopped being referenced more than erasure_deadline ago is
# stored on any copy, and every kept snapshot's file is still there.
# Nights 9-11 the remote is unreachable: its deletions stay pending, the
# gc step of the remote warns every night and exits 1 once the deadline
# (one day) has passed; the night it is back they are done.  The timeline is printed.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "gc: the erasure deadline over fourteen simulated nights, a remote down for three"
gs_need faketime
PROBE=$GS_BUILD/tests/ship/chunkprobe
[ -x "$PROBE" ] || gs_fatal "no $PROBE"

DEADLINE_DAYS=1
AGENT_EXTRA="pack_size = 1M"
POLICY_EXTRA="offboard_grace = 1d
erasure_deadline = ${DEADLINE_DAYS}d"
TENANT_EXTRA="keep_last = 1
keep_daily = 3
keep_weekly = 0
keep_monthly = 0
keep_yearly = 0"
ship_config
GOOD_URL=$REMOTE_URL
rm -rf "$T/data/acme"/* && mkdir -p "$T/data/acme/n"
head -c 100000 /dev/urandom >"$T/data/acme/n/base.bin"

# night D runs at 02:00 UTC of the D-th day from tomorrow (the simulated
# clock runs ahead of the files' real modification times, so nothing is
# within gc's grace)
day0=$(date -u -d 'tomorrow' +%F)
at() { date -u -d "$day0 + $(($1 - 1)) days 02:00" '+%F %T'; }
probe() { # BASE FILE: how many of FILE's chunks the copy at BASE holds
	"$PROBE" "$GS_KEYS/acme.write" acme 262144 1048576 4194304 "$1" "$2" | cut -d' ' -f2
}

declare -A unref_night gone_local gone_remote
bad=0
for d in $(seq 1 14); do
	head -c 300000 /dev/urandom >"$T/data/acme/n/day$d.bin"
	cp "$T/data/acme/n/day$d.bin" "$T/kept-day$d.bin"
	rm -f "$T/data/acme/n/day$((d - 1)).bin"
	if [ "$d" -ge 9 ] && [ "$d" -le 11 ]; then
		REMOTE_URL="sftp://$GS_SSHD_USER@127.0.0.1:1$T/remote"
	else
		REMOTE_URL=$GOOD_URL
	fi
	ship_config
	# libfaketime is preloaded: under ASan its runtime is then not first,
	# which is harmless here (faketime only wraps the clock calls)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		NO_FAKE_STAT=1 faketime "$(at "$d")" "$GS_AGENT" run >"$T/run$d.out" 2>"$T/run$d.err"
	rc=$?
	want=0
	[ "$d" -ge 9 ] && [ "$d" -le 11 ] && want=3
	if [ "$rc" != "$want" ]; then
		bad=$((bad + 1))
		gs_say "night $d: run exited $rc, not $want"
		gs_show "$T/run$d.err"
	fi
	# the file of night k is in snapshot k only: unreferenced once that
	# snapshot is gone (retention keeps the last three nights)
	for k in $(seq 1 "$d"); do
		f=$T/kept-day$k.bin
		l=$(probe "$GS_REPO" "$f") r=$(probe "$T/remote" "$f")
		if [ "$k" -gt $((d - 3)) ]; then
			# (the remote holds it once a night has reached it)
			[ "$d" -ge 9 ] && [ "$d" -le 11 ] && [ "$k" -ge 9 ] && r=x
			[ "$l" -gt 0 ] && [ "$r" != 0 ] || {
				bad=$((bad + 1))
				gs_say "night $d: day$k.bin of a kept snapshot: $l chunks locally, $r on the remote"
			}
			continue
		fi
		[ -n "${unref_night[$k]:-}" ] || unref_night[$k]=$d
		[ "$l" = 0 ] && [ -z "${gone_local[$k]:-}" ] && gone_local[$k]=$d
		[ "$r" = 0 ] && [ -z "${gone_remote[$k]:-}" ] && gone_remote[$k]=$d
		# the guarantee: gone from every copy by unreferenced + deadline
		# (remote outages included: that is what makes the gc step exit 1)
		if [ $((d - unref_night[$k])) -gt "$DEADLINE_DAYS" ] && [ "$l$r" != 00 ] &&
			! { [ "$d" -ge 9 ] && [ "$d" -le 11 ]; }; then
			bad=$((bad + 1))
			gs_say "night $d: day$k.bin unreferenced since night ${unref_night[$k]} still has $l chunks locally, $r on the remote"
		fi
	done
	if [ "$d" -ge 9 ] && [ "$d" -le 11 ]; then
		# the remote's gc record of the night: pending, and past the
		# deadline (two nights after the first pending deletion) exit 1
		line=$(cat "$T"/audit.*.jsonl "$T/audit.jsonl" 2>/dev/null | grep '"event":"gc"' |
			grep '"remote":"fi1"' | tail -n 1)
		case $line in
		*'"time":"'"$(at "$d" | cut -c1-10)"*'"status":1'*'erasure deadline'*'passed'*)
			[ "$d" -ge 10 ] || { bad=$((bad + 1)); gs_say "night $d: deadline passed too early: $line"; } ;;
		*'"time":"'"$(at "$d" | cut -c1-10)"*'"status":4'*'due by'*)
			[ "$d" -le 10 ] || { bad=$((bad + 1)); gs_say "night $d: the deadline has passed but gc of fi1 does not exit 1: $line"; } ;;
		*) bad=$((bad + 1)); gs_say "night $d: no gc record of fi1 tonight saying pending: $line" ;;
		esac
	fi
done

gs_say "file        in snapshot  unreferenced  gone locally  gone from fi1   (nights; fi1 down 9-11, deadline ${DEADLINE_DAYS} days)"
for k in $(seq 1 11); do
	gs_say "$(printf 'day%-2s.bin   %-11s  %-12s  %-12s  %s' "$k" "$k" "${unref_night[$k]:--}" "${gone_local[$k]:--}" "${gone_remote[$k]:--}")"
done
[ "$bad" -eq 0 ] && gs_pass "every night: no copy held a chunk unreferenced for more than the deadline, every kept file was on every copy, outages were reported" ||
	gs_fail "$bad violations (above)"
for k in 1 2 3 4 5; do
	[ "${gone_local[$k]:-x}" = "${unref_night[$k]:-y}" ] && [ "${gone_remote[$k]:-x}" = "${unref_night[$k]}" ] || {
		gs_fail "day$k.bin did not leave both copies the night it became unreferenced"
		continue 2
	}
done
gs_pass "with the remote up, a file left both copies the night it became unreferenced"
[ "${gone_remote[7]:-}" = 12 ] && gs_pass "deletions pending during the outage were done the night the remote came back" ||
	gs_fail "day7.bin left the remote on night ${gone_remote[7]:-never}, not 12"
gs_finish
