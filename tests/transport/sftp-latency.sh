#!/usr/bin/env bash
# The SFTP transport over a long link (a relay adding 25 ms each way):
# uploads and downloads are pipelined, so the round trip does not set the
# pace (one 30000-byte request per round trip would be 0.6 MB/s); and the
# conformance suite still passes at 2 x 5 ms.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
tp_begin "pipelining over a 50 ms round trip"
tp_sshd
head -c $((32 << 20)) /dev/urandom >"$T/32m"

relay() {
	local pf=$T/relay.port.$RANDOM
	gs_bg python3 "$TP_DIR/relay.py" --target "$GS_SSHD_PORT" --port-file "$pf" "$@" 2>>"$T/relay.log"
	gs_wait_until 10 test -s "$pf" || gs_fatal "the relay did not start"
	RPORT=$(cat "$pf")
	RURL="sftp://$GS_SSHD_USER@127.0.0.1:$RPORT$REMOTE"
}

relay --delay-ms 25
gs_run 0 "32 MiB up and down through a 50 ms round trip" \
	"$TPCLI" -v -i "$GS_SSHD_ID_ED25519" -f "$GS_SSHD_FPR" "$RURL" \
	put "$T/32m" lat ";" get lat "$T/32m.back"
gs_check "the file came back intact" cmp "$T/32m" "$T/32m.back"
up=$(sed -n 's/.*wrote [0-9]* bytes in .*: \([0-9.]*\) MB\/s/\1/p' "$T/err")
down=$(sed -n 's/.*read [0-9]* bytes in .*: \([0-9.]*\) MB\/s/\1/p' "$T/err")
gs_say "upload $up MB/s, download $down MB/s (stop-and-wait would be 0.6 MB/s)"
# OpenSSH's sftp through the same relay, for reference
rm -f "$REMOTE/ref"
s=$(date +%s.%N)
echo "put $T/32m $REMOTE/ref" | sftp -q -b - -P "$RPORT" -i "$GS_SSHD_ID_ED25519" -o IdentitiesOnly=yes \
	-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o GlobalKnownHostsFile=/dev/null \
	"$GS_SSHD_USER@127.0.0.1" >/dev/null 2>&1 &&
	gs_say "OpenSSH sftp put through the same relay: $(echo "33.554432 / ($(date +%s.%N) - $s)" | bc -l | xargs printf '%.1f') MB/s"
awk -v u="$up" 'BEGIN { exit !(u >= 6) }' && gs_pass "uploads are pipelined ($up MB/s >= 6)" ||
	gs_fail "uploads are not pipelined: $up MB/s"
awk -v d="$down" 'BEGIN { exit !(d >= 6) }' && gs_pass "downloads are pipelined ($down MB/s >= 6)" ||
	gs_fail "downloads are not pipelined: $down MB/s"
kill "$GS_BG_PID"

relay --delay-ms 5
"$CONFORMANCE" -i "$GS_SSHD_ID_ED25519" -f "$GS_SSHD_FPR" -s "$REMOTE" "$RURL" >"$T/conf.out" 2>"$T/conf.err"
rc=$?
sed 's/^/#   /' "$T/conf.out"
if [ "$rc" -eq 0 ] && tail -n 1 "$T/conf.out" | grep -qE '^[1-9][0-9]* passed, 0 failed$'; then
	gs_pass "conformance over a 10 ms round trip: $(tail -n 1 "$T/conf.out")"
else
	gs_fail "conformance over a 10 ms round trip (exit $rc)"
	gs_show "$T/conf.err" 40
fi
gs_finish
