#!/usr/bin/env bash
# The rotating read-back sample of plain verify (verify_sample = 10%, so
# ceil(1/P) = 10 buckets).  A byte flipped in an OLD remote object (read
# back by the run that shipped it, not shipped since) is found within 10
# plain verifies, and every verify before that one exits 0.  An object
# shipped since the last verify is always read back: a byte flipped in a
# NEW remote pack right after ship is named by the very next plain
# verify.  Each verify's audit record ("event":"verify", "remote":"fi1")
# counts in files the objects it read back: the objects of that verify's
# bucket (names fall into buckets by their first 8 hex digits mod 10,
# agent/repl/verify.c), plus everything shipped since the last verify.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "verify_sample: rotating read-back of old objects, full read-back of new ones"

BUCKETS=10 # ceil(1 / 10%): lib.sh's verify_sample

# verify_rec: "COUNT FILES" -- how many verify records for remote fi1 the
# audit log holds, and the files of the last one (-1 when none).
verify_rec() {
	local recs
	recs=$(grep -F '"event":"verify"' "$T/audit.jsonl" | grep -F '"remote":"fi1"')
	if [ -z "$recs" ]; then
		echo "0 -1"
		return
	fi
	echo "$(wc -l <<<"$recs") $(tail -n 1 <<<"$recs" | sed -n 's/.*"files":\([0-9][0-9]*\).*/\1/p')"
}

# last_ship_files: the files (objects shipped) of the last ship record.
last_ship_files() {
	grep -F '"event":"ship"' "$T/audit.jsonl" | tail -n 1 | sed -n 's/.*"files":\([0-9][0-9]*\).*/\1/p'
}

# check_rec WHAT BEFORE: exactly one new verify record for fi1 since
# BEFORE records; sets REC_FILES to its files.
check_rec() {
	local what=$1 before=$2 n
	read -r n REC_FILES < <(verify_rec)
	if [ "$n" = $((before + 1)) ]; then
		gs_pass "$what: one verify record for remote fi1 in the audit log (files $REC_FILES)"
	else
		gs_fail "$what: $((n - before)) new verify records for remote fi1, wanted 1"
	fi
}

gs_run 0 "the first nightly run (ship, then verify of what it shipped)" "$GS_AGENT" run
ship_parity "after the run the remote holds the local objects"
read -r nrec files < <(verify_rec)
shipped=$(last_ship_files)
[ "$nrec" = 1 ] && [ "$files" -gt 0 ] && [ "$files" -ge "$shipped" ] &&
	gs_pass "the run's verify read back all $shipped objects it shipped (files $files)" ||
	gs_fail "the run's verify record: $nrec records, files $files, $shipped objects shipped"

# ---- an old object: found within ceil(1/P) plain verifies ------------------
old_rel=$(cd "$T/remote" && find tenants/acme/packs -type f -regextype posix-extended \
	-regex '.*/[0-9a-f]{32}' -printf '%s %p\n' | sort -rn | head -n 1 | cut -d' ' -f2)
[ -n "$old_rel" ] || gs_fatal "no pack on the remote"
old=$(basename "$old_rel")
flip_byte "$T/remote/$old_rel" || gs_fatal "cannot flip a byte of $old_rel"
gs_say "flipped a byte of the old pack $old"

detected=
files_seen=()
for ((i = 1; i <= BUCKETS; i++)); do
	read -r nrec _ < <(verify_rec)
	gs_run "0|1" "plain verify #$i after the flip" "$GS_AGENT" verify || break
	check_rec "verify #$i" "$nrec"
	files_seen+=("$REC_FILES")
	if [ "$GS_RC" = 1 ]; then
		detected=$i
		break
	fi
	[ -s "$GS_ERR" ] && { gs_fail "verify #$i exited 0 but printed on stderr"; gs_show "$GS_ERR"; }
done
if [ -n "$detected" ]; then
	gs_pass "the flipped old pack was found by plain verify #$detected (at most $BUCKETS), every verify before it exited 0"
	gs_err_has "remote fi1: tenant acme: pack $old: checksum mismatch" "verify #$detected names the old pack, the remote and the mismatch"
	n=$(grep -c -- "$old" "$GS_ERR")
	[ "$n" = 1 ] && gs_pass "one line names the old pack" || gs_fail "$n lines name the old pack"
	[ "${files_seen[-1]}" -gt 0 ] && gs_pass "the detecting verify's record counts its read-backs (files ${files_seen[-1]})" ||
		gs_fail "the detecting verify's record has files ${files_seen[-1]}"
else
	gs_fail "the flipped old pack $old was not found within $BUCKETS plain verifies (exit statuses before: 0)"
fi

# Each verify's files is the size of its bucket, the buckets taken in turn
# (a bucket may be empty: a few objects in 10 buckets).
bucket() { echo $((16#${1:0:8} % BUCKETS)); }
if [ -n "$detected" ]; then
	size=()
	for ((b = 0; b < BUCKETS; b++)); do size[b]=0; done
	for p in $(local_objects | cut -d' ' -f1); do
		b=$(bucket "$(basename "$p")")
		size[b]=$((size[b] + 1))
	done
	fits=
	for ((b0 = 0; b0 < BUCKETS; b0++)); do
		[ "$(bucket "$old")" = $(((b0 + detected - 1) % BUCKETS)) ] || continue
		for ((i = 0; i < detected; i++)); do
			[ "${files_seen[i]}" = "${size[(b0 + i) % BUCKETS]}" ] || continue 2
		done
		fits="$fits $b0"
	done
	gs_say "objects per bucket: ${size[*]}; files per verify: ${files_seen[*]}; the old pack's bucket: $(bucket "$old")"
	[ -n "$fits" ] && gs_pass "each verify read back exactly one bucket, in turn, the last one holding the flipped pack" ||
		gs_fail "the verifies' files do not match one bucket each, taken in turn"
fi
flip_byte "$T/remote/$old_rel" # its bytes back, so that only the next damage is found
[ "$(xxh128sum "$T/remote/$old_rel" 2>/dev/null | cut -d' ' -f1)" = "$old" ] || gs_fatal "cannot restore $old_rel"

# ---- a new object: always read back by the next verify --------------------
ship_data_more 2
gs_run 0 "backup of new data" "$GS_AGENT" backup
remote_objects | awk '{print $1}' >"$T/before"
gs_run 0 "ship the new objects" "$GS_AGENT" ship
shipped=$(last_ship_files)
remote_objects | awk '{print $1}' >"$T/after"
# The new packs, largest first; one outside the bucket the next verify
# samples anyway, when there is one, so that only "shipped since the last
# verify" can make that verify read it back.
mapfile -t newpacks < <(comm -13 "$T/before" "$T/after" | grep '^tenants/acme/packs/' |
	while read -r p; do printf '%s %s\n' "$(stat -c %s "$T/remote/$p")" "$p"; done | sort -rn | cut -d' ' -f2)
[ "${#newpacks[@]}" -gt 0 ] || gs_fatal "ship sent no new pack"
new_rel=${newpacks[0]}
if [ -n "$detected" ]; then
	nextb=$((($(bucket "$old") + 1) % BUCKETS))
	for p in "${newpacks[@]}"; do
		[ "$(bucket "$(basename "$p")")" != "$nextb" ] && { new_rel=$p; break; }
	done
	gs_say "the next verify samples bucket $nextb; the new pack chosen is in bucket $(bucket "$(basename "$new_rel")")"
fi
new=$(basename "$new_rel")
flip_byte "$T/remote/$new_rel" || gs_fatal "cannot flip a byte of $new_rel"
gs_say "flipped a byte of the new pack $new right after ship ($shipped objects shipped)"
read -r nrec _ < <(verify_rec)
gs_run 1 "the next plain verify after the flip of a new pack" "$GS_AGENT" verify
gs_err_has "remote fi1: tenant acme: pack $new: checksum mismatch" "the next verify names the new pack, the remote and the mismatch"
grep -q -- "$old" "$GS_ERR" && gs_fail "the next verify names the repaired old pack" || gs_pass "only the new damage is named"
check_rec "the verify after ship" "$nrec"
[ "$REC_FILES" -gt 0 ] && [ "$REC_FILES" -ge "$shipped" ] &&
	gs_pass "it read back at least the $shipped objects shipped since the last verify (files $REC_FILES)" ||
	gs_fail "it read back $REC_FILES objects, $shipped were shipped since the last verify"
gs_finish
