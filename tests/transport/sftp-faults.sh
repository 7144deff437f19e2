#!/usr/bin/env bash
# Faults under the SFTP transport: the connection cut in the middle of an
# upload (a relay that drops it, and the session's sshd killed), a server
# that stops answering (I/O timeout), reconnection for the calls that can
# be repeated, a full remote filesystem, an unreachable server.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
tp_begin "connection cuts, timeouts, reconnection, full disk"
tp_sshd
RELAY=$TP_DIR/relay.py
head -c $((64 << 20)) /dev/urandom >"$T/big" || gs_fatal "cannot make a 64 MiB file"
head -c 100000 /dev/urandom >"$T/small"

# relay ARGS...: start relay.py towards sshd; RURL is the url through it
# (its port is not sshd's: rcli checks the host key by its fingerprint).
relay() {
	local pf=$T/relay.port.$RANDOM
	gs_bg python3 "$RELAY" --target "$GS_SSHD_PORT" --port-file "$pf" "$@" 2>>"$T/relay.log"
	gs_wait_until 10 test -s "$pf" || gs_fatal "the relay did not start"
	RURL="sftp://$GS_SSHD_USER@127.0.0.1:$(cat "$pf")$REMOTE"
	RELAY_PID=$GS_BG_PID
}

# no_final NAME WHAT: nothing under the final name, a temporary is left.
rcli() {
	"$TPCLI" -i "$GS_SSHD_ID_ED25519" -f "$GS_SSHD_FPR" "$@"
}

no_final() {
	if [ -e "$REMOTE/$1" ]; then
		gs_fail "$2: $1 exists on the server"
	else
		gs_pass "$2: nothing under the final name"
	fi
}

mkdir -p "$REMOTE/cut"

# 1. The relay drops the connection after 20 MB of a 64 MiB upload.
relay --cut-after 20000000 --mode close
gs_run 3 "connection dropped mid-upload: the upload fails" rcli "$RURL" put "$T/big" cut/a
gs_err_has 'put: rc=-1 errkind=IO' "dropped mid-upload: errkind IO"
gs_err_has 'upload must be restarted' "dropped mid-upload: the message says the upload must restart"
no_final cut/a "dropped mid-upload"
compgen -G "$REMOTE/cut/.gstmp-*" >/dev/null && gs_pass "dropped mid-upload: the temporary stays for the sweep" ||
	gs_fail "dropped mid-upload: no temporary left"
kill "$RELAY_PID"

# 2. The same, then the caller restarts the upload on the same transport:
#    it reconnects by itself.
relay --cut-after 20000000 --mode close
gs_run 0 "after a drop, the next upload reconnects and succeeds" \
	rcli -K "$RURL" \
	put "$T/big" cut/b ";" put "$T/big" cut/b ";" stat cut/b
gs_err_has 'put: rc=-1 errkind=IO' "the first upload failed with IO"
gs_err_has 'stat: rc=0' "then stat worked"
gs_check "the restarted upload arrived intact" cmp "$T/big" "$REMOTE/cut/b"
kill "$RELAY_PID"

# 3. The session's sshd is killed while an upload runs (paced at 16 MB/s).
gs_bg "$TPCLI" -b 16M -i "$GS_SSHD_ID_ED25519" -k "$GS_SSHD_KNOWN_HOSTS" "$URL" put "$T/big" cut/c \
	>"$T/out" 2>"$T/err"
pid=$GS_BG_PID
grown() { find "$REMOTE/cut" -name '.gstmp-*' -newer "$T/small" -size +8M | grep -q .; }
touch "$T/small"
if gs_wait_until 30 grown; then
	gs_sshd_kill_sessions && gs_pass "killed the session's sshd processes mid-upload" ||
		gs_fail "no sshd session to kill"
else
	gs_fail "the upload did not get going"
fi
wait "$pid"
rc=$?
[ "$rc" = 3 ] && gs_pass "sshd killed mid-upload: tpcli exits 3" || gs_fail "sshd killed mid-upload: exit $rc"
gs_err_has 'put: rc=-1 errkind=IO' "sshd killed mid-upload: errkind IO"
no_final cut/c "sshd killed mid-upload"

# 4. Reads, stat and list repeat themselves across a lost connection.
rm -f "$T/ready" "$T/go"
gs_bg "$TPCLI" -i "$GS_SSHD_ID_ED25519" -k "$GS_SSHD_KNOWN_HOSTS" "$URL" \
	put "$T/big" cut/d ";" touch "$T/ready" ";" waitfor "$T/go" ";" \
	get cut/d "$T/d.back" ";" stat cut/d ";" ls cut >"$T/out" 2>"$T/err"
pid=$GS_BG_PID
gs_wait_until 60 test -e "$T/ready" || gs_fail "the first upload did not finish"
gs_sshd_kill_sessions && gs_pass "killed the idle session" || gs_fail "no session to kill"
touch "$T/go"
wait "$pid"
rc=$?
[ "$rc" = 0 ] && gs_pass "get, stat, ls after the connection was lost: they reconnect (exit 0)" ||
	{ gs_fail "get, stat, ls after the connection was lost: exit $rc"; gs_show "$T/err"; }
gs_check "the file read after reconnecting is intact" cmp "$T/big" "$T/d.back"

# 4b. The server's sftp process dies between operations (the SSH
#     connection stays up): the next call notices at once and reconnects.
rm -f "$T/ready" "$T/go"
gs_bg "$TPCLI" -i "$GS_SSHD_ID_ED25519" -k "$GS_SSHD_KNOWN_HOSTS" "$URL" \
	put "$T/small" cut/f ";" touch "$T/ready" ";" waitfor "$T/go" ";" stat cut/f >"$T/out" 2>"$T/err"
pid=$GS_BG_PID
gs_wait_until 60 test -e "$T/ready" || gs_fail "the small upload did not finish"
gs_sshd_kill_sftp && gs_pass "killed the session's sftp server" || gs_fail "no sftp server to kill"
sleep 0.2
start=$SECONDS
touch "$T/go"
wait "$pid"
rc=$?
took=$((SECONDS - start))
[ "$rc" = 0 ] && [ "$took" -le 5 ] && gs_pass "stat after the sftp server died: reconnected in ${took}s" ||
	{ gs_fail "stat after the sftp server died: exit $rc after ${took}s"; gs_show "$T/err"; }

# 5. The server stops answering mid-upload: the I/O timeout (3 s) ends it.
relay --cut-after 20000000 --mode blackhole
start=$SECONDS
gs_run 3 "a silent server mid-upload: the upload fails" rcli -t 3 "$RURL" put "$T/big" cut/e
took=$((SECONDS - start))
gs_err_has 'put: rc=-1 errkind=IO' "silent server: errkind IO"
[ "$took" -le 20 ] && gs_pass "silent server: gave up after ${took}s (timeout 3s)" ||
	gs_fail "silent server: took ${took}s with a 3 s timeout"
no_final cut/e "silent server"
kill "$RELAY_PID"

# 6. A server that never even says hello: the connect timeout, retried
#    with backoff, then IO.
relay --cut-after 0 --mode blackhole --conns 100
start=$SECONDS
gs_run 3 "a server that never answers: open fails" rcli -t 1 "$RURL" ls ""
took=$((SECONDS - start))
gs_err_has 'handshake.*(timeout|Timed out|timed out)' "never answers: the message says timeout"
gs_err_has 'gave up after [0-9]+ attempts' "never answers: retried a bounded number of times"
gs_err_has 'errkind=IO' "never answers: errkind IO"
[ "$took" -le 40 ] && gs_pass "never answers: gave up after ${took}s" || gs_fail "never answers: ${took}s"
kill "$RELAY_PID"

# 7. Nobody listens: connection refused, IO.
gs_run 3 "connection refused: open fails" tp_cli "sftp://$GS_SSHD_USER@127.0.0.1:1$REMOTE" ls ""
gs_err_has 'port 1: Connection refused' "connection refused: the message says so"
gs_err_has 'errkind=IO' "connection refused: errkind IO"

# 8. A full remote filesystem: a 2 MiB tmpfs as the base directory.
FULL=$T/full
if gs_tmpfs "$FULL" 2m; then
	FURL="sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$FULL"
	gs_run 0 "a small object fits" tp_cli "$FURL" put "$T/small" small
	head -c $((4 << 20)) /dev/urandom >"$T/4m"
	gs_run 3 "a 4 MiB object on a 2 MiB filesystem fails" tp_cli "$FURL" put "$T/4m" big
	gs_err_has 'put: rc=-1 errkind=SPACE' "full filesystem: errkind SPACE"
	gs_err_has 'no space left on the remote filesystem' "full filesystem: the message says so"
	[ -e "$FULL/big" ] && gs_fail "full filesystem: the object exists" ||
		gs_pass "full filesystem: nothing under the final name"
	gs_check "full filesystem: the small object is intact" cmp "$T/small" "$FULL/small"
	umount "$FULL"
else
	gs_fail "cannot mount a tmpfs (root needed) for the full-filesystem case"
fi
gs_finish
