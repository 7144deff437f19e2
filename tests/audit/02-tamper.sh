#!/usr/bin/env bash
# Tampering with the audit log, one way at a time, on a copy of a log of
# three nightly runs: an edited byte, a deleted line, two swapped lines, a
# truncated segment, a segment re-signed with another key, a segment
# missing from the middle, and a consistent rewrite re-signed with the
# right key after its checkpoint was shipped.  log verify exits 1 naming
# the first bad sequence number each time; stock minisign refuses what it
# can see (the edited file).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
audit_begin "log verify against tampering"
FORGE="python3 $(dirname "$0")/forge.py"

for i in 1 2 3; do
	gs_run 0 "nightly run $i" "$GS_AGENT" run || gs_fatal "run $i"
	ship_data_more 1
done
mapfile -t segs < <(segments)
[ "${#segs[@]}" -eq 3 ] || gs_fatal "wanted 3 closed segments, got ${#segs[@]}"
verify_is 0 "the untouched log verifies" --from fi1
mkdir -p "$T/pristine" && cp -p "$T"/audit.* "$T/pristine/" || gs_fatal "copy"
mid=${segs[1]##*/}
first_of() { sed -n '1s/^{"v":1,"seq":\([0-9]*\),.*/\1/p' "$1"; }
last_of() { sed -n '$s/^{"v":1,"seq":\([0-9]*\),.*/\1/p' "$1"; }
f2=$(first_of "${segs[1]}")
k=$((f2 + 2))
last=$(last_of "$LOG")

# fresh DIR: a pristine copy of the log in $T/DIR; echoes its open segment
fresh() {
	rm -rf "${T:?}/$1" && mkdir -p "$T/$1" && cp -p "$T"/pristine/audit.* "$T/$1/" &&
		echo "$T/$1/audit.jsonl"
}
# names N: log verify said the first bad record is N
names() {
	if grep -q "first bad record $1:" "$GS_ERR"; then
		gs_pass "$2 names record $1"
	else
		gs_fail "$2 does not name record $1"
		gs_show "$GS_ERR"
	fi
}

log=$(fresh edit)
$FORGE edit "$T/edit/$mid" "$k"
verify_is 1 "an edited byte" --log "$log"
names "$k" "the edited byte"
stock_bad "$T/edit/$mid" "stock minisign refuses the edited segment"

log=$(fresh delete)
$FORGE delete "$T/delete/$mid" "$k"
verify_is 1 "a deleted line" --log "$log"
names "$k" "the deleted line"

log=$(fresh swap)
$FORGE swap "$T/swap/$mid" "$k"
verify_is 1 "two swapped lines" --log "$log"
names "$k" "the swapped lines"

log=$(fresh trunc)
$FORGE truncate "$log"
verify_is 1 "the open segment truncated by its last record" --log "$log"
names "$last" "the truncation"
log=$(fresh trunc2)
$FORGE truncate "$T/trunc2/$mid"
verify_is 1 "a closed segment truncated by its last record" --log "$log"
names "$(last_of "${segs[1]}")" "the truncated segment"

log=$(fresh otherkey)
minisign -G -W -p "$T/other.pub" -s "$T/other.key" >/dev/null 2>&1 || gs_fatal "minisign -G"
tc=$(sed -n 's/^trusted comment: //p' "$T/otherkey/$mid.minisig")
minisign -S -s "$T/other.key" -m "$T/otherkey/$mid" -x "$T/otherkey/$mid.minisig" -t "$tc" \
	>/dev/null 2>&1 || gs_fatal "minisign -S"
verify_is 1 "a segment re-signed with another key" --log "$log"
names "$f2" "the foreign signature"
gs_err_has "signed by another key" "log verify says another key signed it"

log=$(fresh gap)
rm -f "$T/gap/$mid" "$T/gap/$mid.minisig"
verify_is 1 "a segment missing from the middle" --log "$log"
names "$f2" "the missing segment"

log=$(fresh rewrite)
$FORGE rewrite "$log" "$k" "$KEY" || gs_fatal "forge rewrite"
stock_ok "$T/rewrite/$mid" "the rewrite is re-signed with the right key (stock minisign accepts it)"
verify_is 0 "a consistent rewrite passes the local checks alone" --log "$log"
verify_is 1 "log verify --from the remote exposes the rewrite" --log "$log" --from fi1
names "$k" "the comparison with the shipped copy"
gs_err_has "differs from the copy shipped to fi1" "log verify says the shipped copy differs"
gs_finish
