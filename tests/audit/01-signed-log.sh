#!/usr/bin/env bash
# The signed audit log through two nightly runs against a real sshd: every
# segment and checkpoint verifies with stock minisign and with log verify,
# the chain runs across segments, the remote holds what left the host byte
# for byte, and log verify --from compares the two.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
audit_begin "signed, segmented, shipped audit log"

[ "$(stat -c %a "$KEY")" = 600 ] && gs_pass "audit.key is 0600" || gs_fail "audit.key mode"
head -1 "$PUB" | grep -q '^untrusted comment: minisign public key [0-9A-F]\{16\}$' &&
	gs_pass "audit.pub is a minisign public key" || gs_fail "audit.pub format"

gs_run 0 "the first nightly run" "$GS_AGENT" run
[ -s "$GS_ERR" ] && gs_fail "run printed on stderr" || gs_pass "run is quiet"
stock_ok "$LOG" "stock minisign verifies the open segment"
mapfile -t segs < <(segments)
[ "${#segs[@]}" -eq 1 ] && gs_pass "the run closed one segment" || gs_fail "segments: ${#segs[@]}"
stock_ok "${segs[0]}" "stock minisign verifies the closed segment"
grep -q 'trusted comment: geosnap-audit v1 host=testhost first=1 records=[0-9]* head=[0-9a-f]\{64\}$' \
	"${segs[0]}.minisig" && gs_pass "the trusted comment carries the count and the head hash" ||
	gs_fail "trusted comment"
head -1 "$LOG" | grep -q '"event":"ship-log","tenant":null,"remote":"fi1"' &&
	gs_pass "the open segment begins with the ship-log record" || gs_fail "first record of $LOG"

rdir=$T/remote/log/testhost
rseg=$rdir/audit${segs[0]#"$T"/audit}
cmp -s "$rseg" "${segs[0]}" && cmp -s "$rseg.minisig" "${segs[0]}.minisig" &&
	gs_pass "the remote holds the closed segment and its signature, byte for byte" ||
	gs_fail "remote segment $rseg"
mapfile -t cks < <(find "$rdir" -name 'checkpoint.*.json' | sort)
[ "${#cks[@]}" -eq 1 ] && stock_ok "${cks[0]}" "stock minisign verifies the shipped checkpoint" ||
	gs_fail "checkpoints on the remote: ${#cks[@]}"
n1=$(wc -l <"${segs[0]}")
grep -q "\"records\":$n1," "${cks[0]}" && gs_pass "the checkpoint counts the closed records" ||
	gs_fail "checkpoint count (segment has $n1)"

verify_is 0 "log verify"
gs_out_has "signatures and chain verified" "log verify says what it checked"
verify_is 0 "log verify --from the remote" --from fi1
gs_out_has "1 checkpoint on fi1" "log verify counts the checkpoint on the remote"

ship_data_more 1
gs_run 0 "the second nightly run" "$GS_AGENT" run
mapfile -t segs < <(segments)
[ "${#segs[@]}" -eq 2 ] && gs_pass "two closed segments after two runs" || gs_fail "segments: ${#segs[@]}"
first2=$(head -1 "${segs[1]}")
want=$(tail -1 "${segs[0]}" | tr -d '\n' | sha256sum | cut -c1-64)
[[ "$first2" == *"\"prev\":\"$want\""* ]] &&
	gs_pass "the second segment's first record chains to the first segment's last" ||
	gs_fail "chain across segments"
verify_is 0 "log verify --from after two runs" --from fi1
[ "$(find "$rdir" -name 'checkpoint.*.json' | wc -l)" -eq 2 ] &&
	gs_pass "each run shipped its own checkpoint, none overwritten" || gs_fail "checkpoints"
seqs=$(cat "${segs[@]}" "$LOG" | sed 's/^{"v":1,"seq":\([0-9]*\),.*/\1/' | tr '\n' ' ')
[ "$seqs" = "$(seq -s ' ' 1 "$(cat "${segs[@]}" "$LOG" | wc -l)") " ] &&
	gs_pass "sequence numbers run 1..N across the segments" || gs_fail "sequence: $seqs"

gs_finish
