#!/bin/bash
# 51-syslog: with `[agent] audit_syslog = yes` every audit record also goes
# to the system log, one message per record (syslog(3), facility daemon,
# priority info, ident "geosnap") holding the record's JSON line byte for
# byte, in the order of the log; with `audit_syslog = no` nothing is sent.
#
# The agent runs in its own mount namespace (unshare --mount: root, as CI
# runs) whose /dev is a small tmpfs with null, zero, full, random and
# urandom bound in from the real /dev and, as /dev/log, the datagram socket
# of a Python listener outside it.  The listener writes a ready file once
# bound and exits after the number of messages the test expects (or after
# two minutes without one, failing); messages queue on the socket in the
# order sent, so a run with audit_syslog = no followed by one with yes
# shows that the first sent nothing: the first message received is the
# second run's first record.
# shellcheck source-path=SCRIPTDIR source=../scenario/lib.sh
. "$(dirname "$0")/../scenario/lib.sh"
gs_begin "audit_syslog: each record reaches the system log as its JSON line"
gs_need unshare mount python3 minisign sha256sum
[ "$(id -u)" = 0 ] || gs_fatal "must run as root (unshare --mount, bind mounts)"

mkdir -p "$T/src" "$T/olddev" && mkdir -m 700 "$T/log"
echo one >"$T/src/a.txt"
LOG=$T/log/audit.jsonl
gs_keygen acme
minisign -G -W -p "$T/audit.pub" -s "$GS_KEYS/audit.key" >"$T/minisign.out" 2>&1 ||
	{ gs_show "$T/minisign.out"; gs_fatal "minisign -G -W failed"; }
# config SYSLOG: the configuration, with audit_syslog = SYSLOG
config() {
	GS_CFG_AGENT="audit_log = $LOG
audit_key = $GS_KEYS/audit.key
audit_syslog = $1" gs_config "$T/geosnap.ini" acme "$T/src"
}

# in_ns CMD...: CMD in a private mount namespace whose /dev/log is the
# listener's socket.
in_ns() {
	unshare --mount --propagation private -- bash -c '
set -e
t=$1
shift
mount --bind /dev "$t/olddev"
mount -t tmpfs -o mode=0755,size=64k tmpfs /dev
for d in null zero full random urandom; do
	touch "/dev/$d"
	mount --bind "$t/olddev/$d" "/dev/$d"
done
ln -s /proc/self/fd /dev/fd
touch /dev/log
mount --bind "$t/syslog.sock" /dev/log
exec "$@"' _ "$T" "$@"
}
A() { in_ns "$GS_AGENT" -c "$T/geosnap.ini" "$@"; }

# listener.py SOCKET READY OUT N: bind SOCKET, create READY, write the
# first N datagrams to OUT, one a line; exit 1 after 120 s without one.
cat >"$T/listener.py" <<'PY'
import os, socket, sys
path, ready, out, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(120)
open(ready + ".tmp", "w").close()
os.rename(ready + ".tmp", ready)
with open(out, "wb") as f:
    for i in range(want):
        try:
            m = s.recv(1 << 20)
        except socket.timeout:
            sys.exit("listener: %d of %d messages, then nothing for 120 s" % (i, want))
        assert b"\n" not in m, m
        f.write(m + b"\n")
        f.flush()
PY
# the second session's records: run (backup, verify, expire, run), a failed
# backup and its ack
WANT=6
gs_bg python3 "$T/listener.py" "$T/syslog.sock" "$T/ready" "$T/received" "$WANT"
listener=$GS_BG_PID
gs_wait_until 60 test -e "$T/ready" || gs_fatal "the syslog listener did not start"

config no
gs_run 0 "init" A init
gs_run 0 "a run with audit_syslog = no" A run
first=$(wc -l <"$LOG")
gs_check "it appended its records to the log" test "$first" -ge 3

config yes
gs_run 0 "a run with audit_syslog = yes" A run
mv "$T/src" "$T/src.away"
gs_run 3 "a backup that fails (its source is gone)" A backup
gs_run 0 "and its ack" A ack --step backup --tenant acme --note "source restored"
gs_check "the second session appended $WANT records" test "$(wc -l <"$LOG")" -eq $((first + WANT))

if wait "$listener"; then
	gs_pass "the listener received $WANT messages"
else
	gs_fail "the listener did not receive $WANT messages"
	gs_show "$T/received"
fi
# (gs_check gives its command /dev/null as stdin: the script goes in a file)
cat >"$T/received.py" <<'PY'
import json, re, sys
msgs = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
lines = open(sys.argv[2], "rb").read().split(b"\n")[:-1]
first = int(sys.argv[3])
want = lines[first:]
assert len(msgs) == len(want), (len(msgs), len(want))
for m, l in zip(msgs, want):
    g = re.fullmatch(rb"<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d geosnap: (.*)", m, re.S)
    assert g, m
    # LOG_DAEMON (3 << 3) | LOG_INFO (6)
    assert int(g.group(1)) == 30, g.group(1)
    assert g.group(2) == l, (g.group(2), l)
events = [json.loads(l)["event"] for l in want]
assert events == ["backup", "verify", "expire", "run", "backup", "ack"], events
assert json.loads(want[0])["seq"] == first + 1, want[0]
PY
gs_check "each message is daemon.info from ident geosnap and holds the record's line byte for byte, in order" \
	python3 "$T/received.py" "$T/received" "$LOG" "$first"
head=$(tail -n 1 "$T/received" | sed 's/^[^:]*:[^:]*:[^:]*: //' | tr -d '\n' | sha256sum | cut -d' ' -f1)
gs_check "the last message hashes to the head the log's signature names" \
	grep -qE "^trusted comment: geosnap-audit v1 .* head=$head\$" "$LOG.minisig"
gs_check "and stock minisign verifies that log" minisign -Vm "$LOG" -p "$T/audit.pub"
gs_check "the namespace's mounts did not leak: there is no /dev/log here" test ! -e /dev/log
gs_finish
