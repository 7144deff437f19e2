#!/bin/bash
# 40-state-dir: the agent (root, from cron) writes its state, locks and
# audit log only where nobody else can change them.  A state_dir that is a
# symbolic link or writable by group/other, a repository owned by another
# user and an audit log directory writable by its group are each refused
# with exit 2 naming the directory, its owner and mode and the fix; the
# default umask's 0755 is fine.  A state, lock or log file replaced by a
# symbolic link (or a hard link) to a victim outside never gets the victim
# written or truncated: the lock files, the status table, the audit log and
# the pending-verify list make the command fail naming the file; the files
# cache, which the agent rewrites by rename, is replaced by a fresh regular
# file.  After the modes are fixed and the plants removed, the run works.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../scenario/lib.sh"
gs_begin "private state, repository and audit directories; state files never followed"
[ "$(id -u)" = 0 ] || gs_fatal "this test needs root (it chowns a directory to nobody)"
id -u nobody >/dev/null 2>&1 || gs_fatal "there is no user nobody to own a directory"
gs_need cmp

A() { "$GS_AGENT" -c "$T/geosnap.ini" "$@"; }
LOG=$T/log
mkdir -p "$T/src/d" "$T/remote" "$LOG" || gs_fatal "mkdir"
echo one >"$T/src/d/a.txt"
# what the default umask 022 makes: 0755, owned by us; that is fine
mkdir "$GS_STATE" "$GS_REPO" || gs_fatal "mkdir"
gs_keygen acme
cat >"$T/geosnap.ini" <<INI || gs_fatal "cannot write the config"
[agent]
host = hostile-host
region = eu-central
repository = $GS_REPO
state_dir = $GS_STATE
audit_log = $LOG/audit.jsonl

[policy]
allowed_regions = eu-central, eu-north

[remote "fi1"]
url = file://$T/remote
region = eu-north

[tenant "acme"]
source = $T/src
write_key = $GS_KEYS/acme.write
read_key = $GS_KEYS/acme.read
INI

gs_run 0 "init with state_dir and repository of mode 0755 (the default umask)" A init
gs_run 0 "the first run" A run

# The victim: a file outside every directory of the agent.
VICTIM=$T/victim
printf 'precious victim bytes, not for the agent\n' >"$VICTIM" && cp -p "$VICTIM" "$T/victim.orig" ||
	gs_fatal "cannot make the victim"
victim_intact() {
	gs_check "$1: the victim is neither written nor truncated" cmp "$VICTIM" "$T/victim.orig"
}

records_before=$(wc -l <"$LOG/audit.jsonl")

gs_say "a state_dir that is a symbolic link"
mv "$GS_STATE" "$T/state-real" && ln -s state-real "$GS_STATE" || gs_fatal "cannot link state_dir"
for cmd in init backup ship verify status run; do
	gs_run 2 "$cmd with a symlinked state_dir" A "$cmd"
	gs_err_has "state_dir $GS_STATE is a symbolic link \(to state-real\); refused" \
		"$cmd names the link and its target"
done
rm "$GS_STATE" && mv "$T/state-real" "$GS_STATE" || gs_fatal "cannot undo the link"

gs_say "a world-writable state_dir"
chmod 0777 "$GS_STATE"
for cmd in backup status run; do
	gs_run 2 "$cmd with a state_dir of mode 0777" A "$cmd"
	gs_err_has "state_dir $GS_STATE \(owner root\) has mode 0777: group or others may write into it; refused: chmod go-w $GS_STATE" \
		"$cmd names the directory, its owner, its mode and the fix"
done
chmod 0755 "$GS_STATE"

gs_say "a repository owned by another user"
chown nobody "$GS_REPO"
for cmd in backup ship verify run; do
	gs_run 2 "$cmd with a repository owned by nobody" A "$cmd"
	gs_err_has "repository $GS_REPO is owned by nobody \(mode 0755\), not by root, whom the agent runs as; refused: chown root $GS_REPO" \
		"$cmd names the repository, its owner and mode and the fix"
done
chown root "$GS_REPO"

gs_say "an audit log directory writable by its group"
chmod 0770 "$LOG"
for cmd in backup run; do
	gs_run 2 "$cmd with an audit log directory of mode 0770" A "$cmd"
	gs_err_has "audit log directory $LOG \(owner root\) has mode 0770: .*chmod go-w $LOG" \
		"$cmd names the audit log directory, its mode and the fix"
done
chmod 0700 "$LOG"
gs_check "a refused command appended no audit record" \
	test "$(wc -l <"$LOG/audit.jsonl")" = "$records_before"

gs_say "state files replaced by links to the victim"
# run.lock: run fails, naming it (a planted link is evidence, not ours to remove)
ln -sfn "$VICTIM" "$GS_STATE/run.lock"
gs_run 3 "run with run.lock a symbolic link to the victim fails" A run
gs_err_has "$GS_STATE/run.lock: is a symbolic link; refused, not followed" "run names run.lock"
victim_intact "run.lock as a symbolic link"
rm "$GS_STATE/run.lock"
ln "$VICTIM" "$GS_STATE/run.lock"
gs_run 3 "run with run.lock a hard link to the victim fails" A run
gs_err_has "$GS_STATE/run.lock: has 2 links .*refused" "run names run.lock and its link count"
victim_intact "run.lock as a hard link"
rm "$GS_STATE/run.lock"

# the tenant's writer lock in the repository: the backup fails
ln -sfn "$VICTIM" "$GS_REPO/tenants/acme/lock"
gs_run 3 "backup with the tenant lock a symbolic link to the victim fails" A backup
gs_err_has "$GS_REPO/tenants/acme/lock: is a symbolic link; refused" "backup names the tenant lock"
victim_intact "the tenant lock as a symbolic link"
rm "$GS_REPO/tenants/acme/lock"

# status.tsv: recording the step fails; the table is not replaced by the victim
mv "$GS_STATE/status.tsv" "$T/status.tsv.saved" && ln -s "$VICTIM" "$GS_STATE/status.tsv"
gs_run 3 "backup with status.tsv a symbolic link to the victim fails to record its step" A backup
gs_err_has "$GS_STATE/status.tsv: is a symbolic link; refused, not followed" "backup names status.tsv"
gs_run 3 "status refuses to read it" A status
gs_err_has "status.tsv: is a symbolic link" "status names status.tsv"
victim_intact "status.tsv as a symbolic link"
rm "$GS_STATE/status.tsv" && mv "$T/status.tsv.saved" "$GS_STATE/status.tsv"

# the audit log: appending fails; the backup goes on and exits 1 (a
# damaged log never stops the nightly backup, docs/AUDIT.md)
mv "$LOG/audit.jsonl" "$T/audit.saved" && ln -s "$VICTIM" "$LOG/audit.jsonl"
gs_run 1 "backup with the audit log a symbolic link to the victim records no step, exit 1" A backup
gs_err_has "$LOG/audit.jsonl: is a symbolic link; refused, not followed" "backup names the audit log"
victim_intact "the audit log as a symbolic link"
rm "$LOG/audit.jsonl" && mv "$T/audit.saved" "$LOG/audit.jsonl"

# pending-verify: ship has something to send (a new backup), and fails
echo two >"$T/src/d/b.txt"
gs_run 0 "a backup with something new to ship" A backup
mkdir -p "$GS_STATE/pending-verify" && ln -s "$VICTIM" "$GS_STATE/pending-verify/acme@fi1"
gs_run 3 "ship with the pending-verify list a symbolic link to the victim fails" A ship
gs_err_has "pending-verify/acme@fi1: is a symbolic link; refused" "ship names the pending-verify list"
victim_intact "the pending-verify list as a symbolic link"
rm "$GS_STATE/pending-verify/acme@fi1"

# the files cache: refused as a cache (everything is read again), then
# replaced by rename with a fresh regular file
[ -f "$GS_STATE/acme.files" ] || gs_fatal "no files cache after the first run"
rm "$GS_STATE/acme.files" && ln -s "$VICTIM" "$GS_STATE/acme.files"
gs_run 0 "backup with the files cache a symbolic link to the victim still backs up" A backup
gs_err_has "$GS_STATE/acme.files: is a symbolic link; refused, not followed" "backup names the files cache"
victim_intact "the files cache as a symbolic link"
gs_check "the files cache is a fresh regular file again, not the link" \
	test -f "$GS_STATE/acme.files" -a ! -L "$GS_STATE/acme.files"
gs_check "the victim is still a regular file of the same size" \
	test "$(stat -c %F:%s "$VICTIM")" = "$(stat -c %F:%s "$T/victim.orig")"

gs_say "fixed: every directory private, no plants"
gs_run 0 "run works again" A run
gs_check "the run is silent" test ! -s "$GS_OUT" -a ! -s "$GS_ERR"
gs_run 0 "status is all ok" A status
gs_run 0 "the latest snapshot restores" "$GS_RESTORE" -c "$T/geosnap.ini" restore --tenant acme \
	--snapshot latest --target "$T/restored"
gs_check "with both files" cmp "$T/restored/d/b.txt" "$T/src/d/b.txt"
gs_finish
