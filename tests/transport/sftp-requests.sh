#!/usr/bin/env bash
# What the SFTP transport asks of the server, read from the log of the
# stock sftp-server: a publish is open(WRITE|CREATE|EXCL, 0444), writes,
# fsync@openssh.com, close and a plain rename -- never remove or setstat,
# which a server may forbid (and the nightly path must not need).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
tp_begin "SFTP requests of a publish"
SFTPSERVER=
for p in /usr/lib/openssh/sftp-server /usr/libexec/sftp-server /usr/libexec/openssh/sftp-server; do
	[ -x "$p" ] && SFTPSERVER=$p && break
done
[ -n "$SFTPSERVER" ] || gs_fatal "no sftp-server program (Debian: openssh-sftp-server)"
SLOG=$T/sftp-server.log
export GS_SSHD_SUBSYSTEM="$SFTPSERVER -e -l DEBUG1 2>>$SLOG"
tp_sshd

head -c 3000000 /dev/urandom >"$T/obj"
gs_run 0 "publish one object (3 MB)" tp_cli "$URL" mkdir t/packs ";" put "$T/obj" t/packs/obj
gs_check "the object arrived intact" cmp "$T/obj" "$REMOTE/t/packs/obj"
gs_wait_until 5 grep -q 'session closed' "$SLOG" || gs_fail "sftp-server did not log the session's end"
gs_check "sftp-server logged the requests (positive control)" grep -q 'rename old' "$SLOG"
grep -E '^(open|close|rename|remove|set|fsync|mkdir)|request [0-9]+: (setstat|fsetstat|remove|posix-rename)' "$SLOG" >"$T/requests"
sed 's/^/#   /' "$T/requests"
gs_check "directories are created 0770 (the umask and the group decide; conf/sshd_config.geosnap)" grep -qE '^mkdir name ".*/t/packs" mode 0770' "$T/requests"
gs_check "the upload opens WRITE,CREATE,EXCL with mode 0444" \
	grep -qE '^open ".*/t/packs/\.gstmp-[0-9a-f]{16}" flags WRITE,CREATE,EXCL mode 0100444' "$T/requests"
gs_check "then fsync@openssh.com" grep -qE '^fsync ".*/t/packs/\.gstmp-' "$T/requests"
gs_check "then close, all bytes written" grep -qE '^close ".*/t/packs/\.gstmp-.*written 3000000' "$T/requests"
gs_check "then a plain rename into place" grep -qE '^rename old ".*/\.gstmp-[0-9a-f]{16}" new ".*/t/packs/obj"' "$T/requests"
if grep -qE '^(remove|set) |request [0-9]+: (setstat|fsetstat|remove|posix-rename)' "$T/requests"; then
	gs_fail "a publish sent remove, setstat or posix-rename"
else
	gs_pass "a publish sends no remove, setstat or posix-rename"
fi
order=$(grep -oE '^(open|fsync|close|rename)' "$T/requests" | tr '\n' ' ')
[ "$order" = "open fsync close rename " ] && gs_pass "in that order: $order" ||
	gs_fail "the order was: $order"
gs_finish
