#!/usr/bin/env bash
# Crash safety of the audit log: an appender killed with SIGKILL at 50
# random instants never leaves a log that log verify calls tampered (exit
# 0, or 4: "N records after the last signature, written before a crash");
# the next append repairs it and says so in a record.  A torn last line and
# a signature older than the last record (power loss) are told from
# tampering the same way and repaired by the next append.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "SIGKILL at random instants of appends"
gs_need minisign
APP=$GS_BUILD/tests/audit/appender
[ -x "$APP" ] || gs_fatal "no $APP"
mkdir -p "$T/akey" "$T/log" && chmod 700 "$T/log" || gs_fatal "mkdir"
"$GS_RESTORE" keygen --audit --out "$T/akey" 2>/dev/null || gs_fatal "keygen --audit"
KEY=$T/akey/audit.key
PUB=$T/akey/audit.pub
LOG=$T/log/audit.jsonl

records() { cat "$T"/log/audit*.jsonl 2>/dev/null | wc -l; }
at_least() { [ "$(records)" -ge "$1" ]; }

gs_run 0 "three records" "$APP" "$LOG" "$KEY" h1 3
verify_is 0 "the log verifies" --log "$LOG"

crashed=0 clean=0 bad=0
for i in $(seq 1 50); do
	want=$(($(records) + 1 + RANDOM % 4))
	"$APP" "$LOG" "$KEY" h1 0 2>>"$T/appender.err" &
	pid=$!
	gs_wait_until 120 at_least "$want" || { kill -9 "$pid"; gs_fatal "the appender stalled"; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	"$GS_RESTORE" log verify --log "$LOG" --pubkey "$PUB" >"$T/v.out" 2>"$T/v.err"
	case $? in
	0) clean=$((clean + 1)) ;;
	4) if grep -q "written before a crash\|interrupted by a crash" "$T/v.err"; then
		crashed=$((crashed + 1))
	else
		bad=$((bad + 1))
		gs_show "$T/v.err"
	fi ;;
	*) bad=$((bad + 1))
	   gs_say "kill $i:"
	   gs_show "$T/v.err" ;;
	esac
done
gs_say "50 kills: $clean left a signed log, $crashed a crash tail, $bad anything else"
[ "$bad" -eq 0 ] && gs_pass "every kill left a log that verifies or reports a crash tail" ||
	gs_fail "$bad kills left a log that does not verify"
gs_run 0 "the next append" "$APP" "$LOG" "$KEY" h1 1
verify_is 0 "after the next append the log verifies" --log "$LOG"
stock_ok "$LOG" "stock minisign verifies the repaired segment"

# A signature older than the last record: a crash between the append and
# the signature's replacement.
cp -p "$LOG.minisig" "$T/old.minisig"
gs_run 0 "one more record" "$APP" "$LOG" "$KEY" h1 1
cp -p "$T/old.minisig" "$LOG.minisig"
verify_is 4 "a record after the last signature is a crash tail" --log "$LOG"
gs_err_has "1 records after the last signature, written before a crash" "log verify names the crash tail"
stock_bad "$LOG" "stock minisign refuses the unsigned tail"
gs_run 0 "the next append re-signs" "$APP" "$LOG" "$KEY" h1 1
gs_err_has "records after the last signature" "the append says it re-signed"
tail -2 "$LOG" | head -1 | grep -q '"event":"log-repair".*"action":"re-signed","log":.*"unsigned_records":1' &&
	gs_pass "the repair is recorded" || { gs_fail "no re-signed record"; gs_show "$LOG" 5; }
verify_is 0 "repaired" --log "$LOG"

# A torn last line: half a record, no newline.
printf '{"v":1,"seq":99999,"prev":"00' >>"$LOG"
verify_is 4 "a torn last line is a crash tail" --log "$LOG"
gs_err_has "torn" "log verify names the torn line"
gs_run 0 "the next append sets the torn line aside" "$APP" "$LOG" "$KEY" h1 1
torn=$(find "$T/log" -name 'audit.jsonl.torn.*')
[ -n "$torn" ] && [ "$(cat "$torn")" = '{"v":1,"seq":99999,"prev":"00' ] &&
	gs_pass "the torn bytes are kept in $torn" || gs_fail "no torn side file"
grep -q '"action":"torn-line-set-aside"' "$LOG" && gs_pass "the set-aside is recorded" ||
	gs_fail "no torn-line-set-aside record"
verify_is 0 "repaired" --log "$LOG"
gs_finish
