#!/usr/bin/env bash
# A bad audit signing key: init refuses it (exit 2, naming the file and
# what is wrong) -- readable by others, password-protected, not a key,
# missing; a run with a key it cannot load still backs up and ships, and
# exits 1 saying the records were appended unsigned, which log verify
# reports as such; with the key back the next run signs them.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
audit_begin "a bad audit_key"

chmod 640 "$KEY"
gs_run 2 "init with a group-readable audit key" "$GS_AGENT" init
gs_err_has "$KEY is accessible by group or others" "init names the key and its mode"
chmod 600 "$KEY"

cp -p "$KEY" "$T/good.key"
# the kdf field "\0\0" -> "Sc": how minisign marks a password-protected key
python3 -c '
import base64, sys
p = sys.argv[1]
lines = open(p).read().split("\n")
raw = bytearray(base64.b64decode(lines[1]))
raw[2:4] = b"Sc"
lines[1] = base64.b64encode(bytes(raw)).decode()
open(p, "w").write("\n".join(lines))' "$KEY"
gs_run 2 "init with a password-protected key" "$GS_AGENT" init
gs_err_has "password-protected" "init says the key is password-protected"

printf 'untrusted comment: no key\nnot base64 at all\n' >"$KEY"
gs_run 2 "init with a file that is not a minisign key" "$GS_AGENT" init
gs_err_has "$KEY: not a minisign key" "init says it is not a minisign key"

rm -f "$KEY"
gs_run 2 "init with the key file missing" "$GS_AGENT" init
gs_err_has "$KEY" "init names the missing key"

snaps=$(gs_snaps acme | wc -l)
gs_run 1 "a run with an unloadable key goes on and exits 1" "$GS_AGENT" run
gs_err_has "appending without a signature" "the run says the records are unsigned"
[ "$(gs_snaps acme | wc -l)" -gt "$snaps" ] && gs_pass "the run still backed up" ||
	gs_fail "no new snapshot"
ship_parity "the run still shipped"

verify_is 4 "the records appended without a key are reported as unsigned, not tampered" --log "$LOG"
gs_err_has "records after the last signature" "log verify says they are unsigned"

cp -p "$T/good.key" "$KEY"
gs_run 0 "with the key back, init passes" "$GS_AGENT" init
gs_run 0 "and the run is clean" "$GS_AGENT" run
grep -q '"action":"re-signed"' "$T"/audit.*.jsonl && gs_pass "the run signed them and said so" ||
	gs_fail "no re-signed record"
verify_is 0 "the log verifies" --log "$LOG" --from fi1
gs_finish
