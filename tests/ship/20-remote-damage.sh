#!/usr/bin/env bash
# Damage on a remote, found and repaired: after a clean run, one pack is
# truncated, one byte in the middle of another pack is flipped, the
# snapshot record is deleted, and two unknown files appear (a non-object
# name and a valid-looking 32-hex name that is no local object).
# verify --full names each of them with the remote (one line each) and
# exits 1; a plain verify still names the truncated, deleted and unknown
# ones (object parity reads nothing back).  ship --repair moves the bad
# and unknown files into tenants/acme/quarantine/ (nothing deleted: each
# is there, by content), re-sends from the local copy and exits 0; then
# verify --full exits 0 and the remote holds exactly the local objects.
# Leftover .gstmp-* temporaries of random bytes are not reported by
# verify; ship --repair leaves them alone while they are younger than 24 h
# (one line each) and moves them into the quarantine once older.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "remote damage: verify --full names it, ship --repair quarantines and re-sends"

# count_err ERE: the number of stderr lines of the last gs_run matching ERE.
count_err() { grep -cE -- "$1" "$GS_ERR"; }

# one_line WHAT NAME: stderr has exactly one line naming NAME, and that
# line names the remote fi1.
one_line() {
	local what=$1 name=$2 n
	n=$(count_err "$name")
	if [ "$n" = 1 ] && grep -F -- "$name" "$GS_ERR" | grep -q 'remote fi1'; then
		gs_pass "$what: one line naming $name and remote fi1"
	else
		gs_fail "$what: $n lines name $name (wanted exactly one, naming remote fi1)"
		gs_show "$GS_ERR"
	fi
}

gs_run 0 "a clean nightly run" "$GS_AGENT" run
ship_parity "after the run the remote holds the local objects"

R=$T/remote
A=$T/remote/tenants/acme
# The two largest packs: the largest is truncated, the next gets a flipped byte.
mapfile -t packs < <(cd "$R" && find tenants/acme/packs -type f -regextype posix-extended \
	-regex '.*/[0-9a-f]{32}' -printf '%s %p\n' | sort -rn | cut -d' ' -f2)
[ "${#packs[@]}" -ge 2 ] || gs_fatal "the run shipped ${#packs[@]} packs, the test needs two"
trunc_rel=${packs[0]}
flip_rel=${packs[1]}
snap_rel=$(obj_pick snapshots)
[ -n "$snap_rel" ] || gs_fatal "no snapshot record on the remote"
trunc=$(basename "$trunc_rel")
flip=$(basename "$flip_rel")
snap=$(basename "$snap_rel")
fake=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
[ ${#fake} = 32 ] || gs_fatal "cannot make a 32-hex name"
[ -z "$(cd "$GS_REPO" && find tenants -name "$fake")" ] || gs_fatal "the random name $fake is a local object"

mkdir -p "$T/damaged"
size=$(stat -c %s "$R/$trunc_rel")
truncate -s $((size / 2)) "$R/$trunc_rel" || gs_fatal "truncate $trunc_rel"
flip_byte "$R/$flip_rel" || gs_fatal "flip a byte of $flip_rel"
rm -f "$R/$snap_rel" || gs_fatal "rm $snap_rel"
printf 'not an object\n' >"$A/index/junk"
head -c 777 /dev/urandom >"$A/index/$fake"
chmod 0444 "$A/index/junk" "$A/index/$fake"
cp "$R/$trunc_rel" "$T/damaged/truncated"
cp "$R/$flip_rel" "$T/damaged/flipped"
cp "$A/index/junk" "$T/damaged/junk"
cp "$A/index/$fake" "$T/damaged/fake"
[ "$(xxh128sum "$R/$flip_rel" 2>/dev/null | cut -d' ' -f1)" != "$flip" ] || gs_fatal "the flip did not change $flip_rel"
gs_say "truncated pack $trunc, flipped pack $flip, deleted snapshot $snap, unknown index/junk and index/$fake"

# ---- verify --full: every damage named, one line each ----------------------
gs_run 1 "verify --full of the damaged remote" "$GS_AGENT" verify --full
one_line "verify --full, truncated pack" "$trunc"
one_line "verify --full, flipped pack" "$flip"
one_line "verify --full, deleted snapshot record" "$snap"
one_line "verify --full, unknown file index/junk" "index/junk"
one_line "verify --full, unknown 32-hex name" "$fake"
gs_err_has "remote fi1: .*pack $flip: checksum mismatch" "verify --full says the flipped pack's checksum does not match"
gs_err_has "remote fi1: .*snapshot $snap: missing on the remote" "verify --full says the snapshot record is missing"
gs_err_has "remote fi1: .*pack $trunc: [0-9]+ bytes on the remote, $size here" "verify --full gives the truncated pack's sizes"

# ---- plain verify: object parity needs no read-back -----------------------
gs_run 1 "plain verify of the damaged remote" "$GS_AGENT" verify
one_line "plain verify, truncated pack" "$trunc"
one_line "plain verify, deleted snapshot record" "$snap"
one_line "plain verify, unknown file index/junk" "index/junk"
one_line "plain verify, unknown 32-hex name" "$fake"

# ---- ship --repair ---------------------------------------------------------
gs_run 0 "ship --repair" "$GS_AGENT" ship --repair
Q=$A/quarantine
[ -d "$Q" ] || gs_fatal "ship --repair made no $Q"
gs_say "quarantine: $(find "$Q" -type f -printf '%f ')"
# in_quarantine WHAT SAVED NAME-ERE: a quarantined file named as NAME-ERE
# has the saved damaged bytes.
in_quarantine() {
	local what=$1 saved=$2 ere=$3 f found=
	while IFS= read -r f; do
		[[ "$(basename "$f")" =~ $ere ]] || continue
		cmp -s "$f" "$saved" && found=$f
	done < <(find "$Q" -type f)
	if [ -n "$found" ]; then
		gs_pass "$what is in the quarantine, bytes unchanged ($(basename "$found"))"
	else
		gs_fail "$what: no file in $Q named /$ere/ with its damaged bytes"
	fi
}
in_quarantine "the truncated pack" "$T/damaged/truncated" "^packs?-$trunc-[0-9]+(-[0-9]+)?$"
in_quarantine "the flipped pack" "$T/damaged/flipped" "^packs?-$flip-[0-9]+(-[0-9]+)?$"
in_quarantine "the unknown file junk" "$T/damaged/junk" "junk"
in_quarantine "the unknown 32-hex file" "$T/damaged/fake" "$fake"
[ -z "$(find "$A" -path "$Q" -prune -o -name "$fake" -print)" ] &&
	gs_pass "the unknown 32-hex name is gone from the index directory" ||
	gs_fail "$fake is still outside the quarantine"
[ ! -e "$A/index/junk" ] && gs_pass "index/junk is gone from the index directory" ||
	gs_fail "index/junk is still there"
[ -f "$R/$snap_rel" ] && [ "$(xxh128sum "$R/$snap_rel" 2>/dev/null | cut -d' ' -f1)" = "$snap" ] &&
	gs_pass "the deleted snapshot record was re-sent" || gs_fail "the snapshot record $snap is not back"
ship_parity "after ship --repair the remote holds exactly the local objects"
gs_run 0 "verify --full after the repair" "$GS_AGENT" verify --full
[ -s "$GS_ERR" ] && gs_fail "verify --full after the repair printed on stderr" ||
	gs_pass "verify --full after the repair is quiet"

# ---- a leftover temporary --------------------------------------------------
p=$(obj_pick packs)
tmp1=$R/$(dirname "$p")/.gstmp-$(basename "$p")-0badc0de
tmp2=$A/snapshots/.gstmp-$snap-12345678
head -c 4096 /dev/urandom >"$tmp1"
head -c 100 /dev/urandom >"$tmp2"
chmod 0444 "$tmp1" "$tmp2"
gs_run 0 "verify with leftover .gstmp- temporaries on the remote" "$GS_AGENT" verify
grep -q 'gstmp' "$GS_ERR" && gs_fail "verify named a temporary" || gs_pass "verify does not report the temporaries"
gs_run 0 "verify --full with leftover .gstmp- temporaries on the remote" "$GS_AGENT" verify --full
grep -q 'gstmp' "$GS_ERR" && gs_fail "verify --full named a temporary" ||
	gs_pass "verify --full does not report the temporaries"
cp "$tmp1" "$T/damaged/tmp1"
cp "$tmp2" "$T/damaged/tmp2"
gs_run 0 "ship --repair with fresh leftover temporaries" "$GS_AGENT" ship --repair
[ -e "$tmp1" ] && [ -e "$tmp2" ] && gs_pass "ship --repair left the fresh temporaries alone" ||
	gs_fail "a fresh temporary was moved or removed"
[ "$(count_err 'gstmp.*: left alone: .*less than 24 h')" = 2 ] &&
	gs_pass "one 'left alone' line for each fresh temporary" ||
	{ gs_fail "wanted two 'left alone' lines"; gs_show "$GS_ERR"; }
touch -d '2 days ago' "$tmp1" "$tmp2" || gs_fatal "touch -d"
gs_run 0 "ship --repair with old leftover temporaries" "$GS_AGENT" ship --repair
[ "$(count_err 'gstmp.*: moved aside to tenants/acme/quarantine/')" = 2 ] &&
	gs_pass "one 'moved aside' line for each old temporary" ||
	{ gs_fail "wanted two 'moved aside' lines"; gs_show "$GS_ERR"; }
in_quarantine "the old temporary in the pack directory" "$T/damaged/tmp1" "^temporary-\.gstmp-"
in_quarantine "the old temporary in the snapshot directory" "$T/damaged/tmp2" "^temporary-\.gstmp-"
[ -z "$(find "$A" -path "$Q" -prune -o -name '.gstmp-*' -print)" ] &&
	gs_pass "no temporary left outside the quarantine" ||
	gs_fail "temporaries on the remote: $(find "$A" -path "$Q" -prune -o -name '.gstmp-*' -print | tr '\n' ' ')"
ship_parity "after the second repair the remote holds exactly the local objects"
gs_run 0 "verify --full at the end" "$GS_AGENT" verify --full
gs_finish
