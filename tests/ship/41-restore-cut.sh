#!/usr/bin/env bash
# A connection cut in the middle of a restore from the remote (R1, R12;
# issue 8's faults), three ways, through the test relay in front of sshd:
#   1. the first three connections (the restore's own session and its two
#      readers) drop after a third of the packs' bytes went from the server
#      to the client (later ones are relayed);
#   2. the first three connections go silent at that point (only the I/O
#      timeout gets the restore out; later ones are relayed);
#   3. the server goes away for good at that point: the connections go
#      silent and new ones are refused.
# In 1 and 2 the restore either reconnects and finishes (exit 0, the tree
# exact) or stops with exit 3 saying how many entries it did not restore;
# in 3 it must stop with exit 3, in bounded time (the first reader to give
# up reconnecting stops the others retrying).  In every case, after
# the first attempt, every regular file present in the target is
# byte-identical to the source (no file left looking complete with other
# content), and a re-run with --overwrite straight at sshd exits 0 with
# the tree exact.  The snapshot spans several packs (pack_size = 4M).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "restore from the remote with the connection cut: finishes or exit 3, never a wrong file"
gs_need python3 timeout cmp awk
# A restore that does not end by itself within this is a failure (killed).
DEADLINE=240

restore_from() { timeout -s KILL "$DEADLINE" "$GS_RESTORE" restore --tenant acme --from fi1 "$@"; }

# after_attempt CASE DIR: what must hold after a restore into DIR through a
# cut connection exited $GS_RC: whatever the exit, every file present is
# exact; exit 0 means the tree is exact; exit 3 means the message names the
# remote and the cause and counts the entries not restored (at least the
# files missing); after anything but 0, a re-run with --overwrite straight
# at sshd completes with the tree exact.
after_attempt() {
	local c=$1 dir=$2 rc=$GS_RC missing
	gs_present_exact "$c: after the first attempt every file present in the target is the source's" \
		"$T/data/acme" "$dir"
	if [ "$rc" = 0 ]; then
		gs_treecmp "$c: the restore finished (exit 0) and the tree is exact" "$T/data/acme" "$dir"
		return
	fi
	if [ "$rc" = 3 ]; then
		gs_err_has 'fi1' "$c: the message names the remote"
		gs_err_has 'connection|timed out|timeout|refused|lost|unreachable' \
			"$c: the message names the cause"
		missing=$(gs_missing_files "$T/data/acme" "$dir" | wc -l)
		if gs_stopped_count "$c"; then
			[ "$GS_STOPPED_N" -ge "$missing" ] && [ "$GS_STOPPED_N" -gt 0 ] &&
				gs_pass "$c: the count ($GS_STOPPED_N) covers the $missing files missing from the target" ||
				gs_fail "$c: the message says $GS_STOPPED_N entries, but $missing files are missing"
		fi
	fi
	direct
	gs_run 0 "$c: the re-run with --overwrite completes" \
		restore_from --overwrite --target "$dir"
	gs_treecmp "$c: after the re-run the tree is exact" "$T/data/acme" "$dir"
}

# ---- a snapshot of several packs on the remote ---------------------------
AGENT_EXTRA="pack_size = 4M"
ship_config
for _ in 1 2 3 4 5 6 7 8; do
	ship_data_more 3
done
gs_run 0 "backup of 8 more files of 3 MiB (pack_size 4M)" "$GS_AGENT" backup || gs_fatal "backup failed"
gs_run 0 "ship" "$GS_AGENT" ship || gs_fatal "ship failed"
npacks=$(remote_objects | grep -c '/packs/')
packbytes=$(remote_objects | awk '$1 ~ /\/packs\// {s += $2} END {print s + 0}')
[ "$npacks" -ge 6 ] && gs_pass "the snapshot spans $npacks packs ($packbytes bytes) on the remote" ||
	gs_fatal "only $npacks packs on the remote: pack_size did not take"
# The two readers (connections 2 and 3; connection 1 is the restore's own
# session, which reads no pack data) share the packs' bytes however the
# scheduler splits them: one of them carries at least half, more than this.
CUT=$((packbytes / 3))

# ---- 1. the first three connections drop ----------------------------------
relay --direction down --cut-after "$CUT" --mode close --conns 3
gs_run "0|3" "1. restore while the relay drops the connections after $CUT bytes down" \
	restore_from --target "$T/r1"
rc1=$GS_RC
grep -q 'connection broken (close)' "$T/relay.log" && gs_pass "1. the relay did cut a connection" ||
	gs_fail "1. the relay never cut a connection: the case tested nothing"
GS_RC=$rc1
after_attempt "1. dropped" "$T/r1"
direct

# ---- 2. the first three connections go silent -------------------------------
REMOTE_TIMEOUT=3s
relay --direction down --cut-after "$CUT" --mode blackhole --conns 3
gs_run "0|3" "2. restore while the relay goes silent after $CUT bytes down" \
	restore_from --target "$T/r2"
rc2=$GS_RC
grep -q 'connection broken (blackhole)' "$T/relay.log" && gs_pass "2. the relay did go silent" ||
	gs_fail "2. the relay never went silent: the case tested nothing"
GS_RC=$rc2
after_attempt "2. silent" "$T/r2"
direct

# ---- 3. the server is gone for good -----------------------------------------
relay --direction down --cut-after "$CUT" --mode blackhole --conns 1000 --dead-after-cut
t0=$SECONDS
gs_run 3 "3. restore with the server gone for good after $CUT bytes: exit 3" \
	restore_from --target "$T/r3"
rc3=$GS_RC
gs_say "3. the restore ended after $((SECONDS - t0)) s"
# Each of the 3 sessions waits out at most one backoff; after the first
# give-up the others fail at once (not one backoff per chunk).
nback=$(grep -c 'gave up after [0-9]* attempts' "$GS_ERR")
[ "$nback" -ge 1 ] && [ "$nback" -le 3 ] &&
	gs_pass "3. gone: $nback reconnection backoff(s) waited out, at most one per session" ||
	{ gs_fail "3. gone: $nback reconnection backoffs waited out (at most 3 wanted)"; gs_show "$GS_ERR"; }
grep -q 'no longer accepting connections' "$T/relay.log" && gs_pass "3. the relay did go away" ||
	gs_fail "3. the relay never went away: the case tested nothing"
GS_RC=$rc3
after_attempt "3. gone" "$T/r3"
direct
gs_finish
