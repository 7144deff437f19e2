#!/usr/bin/env bash
# Garbage collection against a real sshd: after a snapshot goes, expire
# deletes the packs only it used and repacks those it shared (copying
# ciphertext, never decrypting), on the local repository and the remote;
# every snapshot left restores exactly from both, through the relocation
# object; check --read-data is clean; a second expire has nothing to do;
# packs nothing names are left alone for the grace (an hour), then go;
# expire deletes nothing while another writer holds the tenant lock.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "gc: delete and repack, on every copy, kept snapshots restore"

# three nights; each night's data shares packs with the others (small
# files packed together), and one file is deleted in production
AGENT_EXTRA="pack_size = 1M"
ship_config
mkdir -p "$T/data/acme/n"
head -c 300000 /dev/urandom >"$T/data/acme/n/gone.bin"
head -c 300000 /dev/urandom >"$T/data/acme/n/stays.bin"
snaps=()
night 1
rm "$T/data/acme/n/gone.bin"
head -c 300000 /dev/urandom >"$T/data/acme/n/night2.bin"
night 2
head -c 300000 /dev/urandom >"$T/data/acme/n/night3.bin"
night 3
snap1=${snaps[0]}
[ "$(gs_snaps acme | wc -l)" = 3 ] && gs_pass "three snapshots" || gs_fail "snapshots: $(gs_snaps acme)"
# the nights were hours apart: no object is within gc's grace (1 h)
age() { find "$GS_REPO/tenants/acme" -type f -exec touch -h -d '-2 hours' {} +; }
age

# retention's decision, by hand: the first snapshot goes from both copies
rm -f "$GS_REPO/tenants/acme/snapshots/$snap1" "$T/remote/tenants/acme/snapshots/$snap1"
before_local=$(du -sb "$GS_REPO/tenants/acme/packs" | cut -f1)

gs_run 0 "expire --dry-run counts" "$GS_AGENT" expire --dry-run
gs_out_has "dry run" "the dry run says so"
local_objects >"$T/dry.after"
gs_run 0 "expire collects" "$GS_AGENT" expire
gs_say "$(cat "$GS_OUT")"
gs_out_has "[1-9] repacked" "expire repacked packs"
after_local=$(du -sb "$GS_REPO/tenants/acme/packs" | cut -f1)
[ "$after_local" -lt "$before_local" ] && gs_pass "local packs shrank: $before_local -> $after_local bytes" ||
	gs_fail "local packs did not shrink: $before_local -> $after_local"
[ -n "$(ls "$GS_REPO/tenants/acme/relocs/")" ] && gs_pass "a relocation object was written" ||
	gs_fail "no relocation object"
ship_parity "the remote holds exactly the local objects after gc"

for i in 2 3; do
	s=${snaps[$((i - 1))]}
	gs_run 0 "restore night $i locally" "$GS_RESTORE" restore --tenant acme --snapshot "$s" --target "$T/r$i"
	gs_check "night $i restores exactly" diff -r "$T/night$i" "$T/r$i"
	gs_run 0 "restore night $i from the remote" \
		"$GS_RESTORE" restore --tenant acme --from fi1 --snapshot "$s" --target "$T/f$i"
	gs_check "night $i restores exactly from the remote" diff -r "$T/night$i" "$T/f$i"
done
gs_run 0 "check --read-data locally" "$GS_RESTORE" check --tenant acme --read-data
gs_run 0 "check --read-data on the remote" "$GS_RESTORE" check --tenant acme --from fi1 --read-data

local_objects >"$T/o1"
gs_run 0 "a second expire" "$GS_AGENT" expire
local_objects >"$T/o2"
gs_check "the second expire changed nothing" cmp -s "$T/o1" "$T/o2"
ship_data_more 1
age
gs_run 0 "a night after gc backs up and ships" "$GS_AGENT" run
ship_parity "parity after the next night"

# the grace: a pack nothing names yet (here: a backup whose index segment
# and snapshot are taken away, as if another writer were about to publish
# them) is left alone while younger than an hour, and collected after
age
mapfile -t before < <(gs_snaps acme)
idx_before=$(ls "$GS_REPO/tenants/acme/index")
head -c 400000 /dev/urandom >"$T/data/acme/n/young.bin"
gs_run 0 "a backup" "$GS_AGENT" backup
young=$(gs_new_snap acme "${before[@]}")
rm "$GS_REPO/tenants/acme/snapshots/$young"
for f in "$GS_REPO"/tenants/acme/index/*; do
	grep -qx "$(basename "$f")" <<<"$idx_before" || rm "$f"
done
newpacks=$(find "$GS_REPO/tenants/acme/packs" -type f -newer "$T/r2" | wc -l)
[ "$newpacks" -gt 0 ] && gs_pass "the backup left $newpacks packs that nothing names" ||
	gs_fatal "no new pack"
gs_run 0 "expire within the grace" "$GS_AGENT" expire
gs_out_has "($newpacks left alone, younger than 3600 s)" "gc leaves the young packs alone"
[ "$(find "$GS_REPO/tenants/acme/packs" -type f -newer "$T/r2" | wc -l)" = "$newpacks" ] &&
	gs_pass "the young packs are still there" || gs_fail "a young pack was deleted"
age
# a backup of the tenant holds its lock: expire waits for nothing and
# deletes nothing (the lock is held by flock(1) around the command)
local_objects >"$T/locked.before"
gs_run 3 "expire while another writer holds the tenant lock" \
	flock "$GS_REPO/tenants/acme/lock" "$GS_AGENT" expire
gs_err_has "locked by another writer" "expire names the lock"
local_objects | cmp -s "$T/locked.before" - && gs_pass "nothing deleted under another writer's lock" ||
	gs_fail "expire deleted objects under another writer's lock"
gs_run 0 "expire after the grace" "$GS_AGENT" expire
gs_out_has "0 left alone" "nothing is young any more"
gs_out_has "[1-9] deleted" "the packs nothing names are deleted"
gs_finish
