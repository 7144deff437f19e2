#!/usr/bin/env bash
# The remote accounts of conf/sshd_config.geosnap against a real sshd, with
# real users: two production hosts (web1, web2), each with its own
# chrooted nightly account whose SFTP server denies remove, rmdir,
# posix-rename, setstat, fsetstat, lsetstat, symlink and hardlink, and one
# maintenance account.
#   - the whole nightly cycle (run: backup, ship, verify, the audit log's
#     shipping) passes under the nightly account of each host, with no
#     maintenance key configured;
#   - through the nightly account, with stock sftp and with geosnap's own
#     transport, deleting, overwriting, truncating, appending to, renaming
#     over, chmod-ing and linking a published object fails, and every
#     object on the remote is byte-identical (and mode-identical) after;
#   - web1's nightly account sees nothing of web2's directory;
#   - the maintenance account (maintenance_url, maintenance_identity) sets
#     an object aside (geosnap-agent quarantine) and deletes one;
#   - without those keys, quarantine falls back to the nightly account.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
acc_begin "nightly accounts cannot delete; maintenance can"

# The production hosts hold the nightly keys only (the recommended place
# for the maintenance key is elsewhere): the night must need nothing more.
NO_MAINT=1
acc_host web1 acme
acc_host web2 bolt
B1=$CH/$U1/repo
B2=$CH/$U2/repo

# ---- the nightly cycle under the nightly accounts -----------------------
for h in web1 web2; do
	export GEOSNAP_CONFIG=$T/$h/geosnap.ini
	gs_run 0 "$h: the whole nightly run under its nightly account" "$GS_AGENT" run
	gs_run 0 "$h: status" "$GS_AGENT" status --json
	for step in backup ship verify ship-log; do
		grep -q "\"step\":\"$step\".*\"status\":0" "$GS_OUT" &&
			gs_pass "$h: $step ok" || { gs_fail "$h: no ok $step record"; gs_show "$GS_OUT"; }
	done
done
export GEOSNAP_CONFIG=$T/web1/geosnap.ini
[ "$(gs_object_list "$B1" acme)" = "$(gs_object_list "$T/web1/repo" acme)" ] &&
	[ -n "$(gs_object_list "$B1" acme)" ] &&
	gs_pass "web1's remote holds exactly its local objects" ||
	gs_fail "web1's remote objects differ from the local ones"
[ -n "$(find "$B1/log/web1" -name 'checkpoint.*' 2>/dev/null)" ] &&
	gs_pass "web1's audit log checkpoint was shipped" || gs_fail "no checkpoint under $B1/log/web1"
[ -z "$(find "$B1" "$B2" ! -user "$U1" ! -user "$U2")" ] &&
	[ -z "$(find "$B1" ! -user "$U1")" ] &&
	gs_pass "everything on web1's remote was written by web1's nightly account" ||
	gs_fail "files of another user on the remotes"
bad=$(find "$B1" "$B2" -type f -perm /0222 | head -n 3)
[ -z "$bad" ] && gs_pass "every published file is read-only" || gs_fail "writable files: $bad"
bad=$(find "$B1" "$B2" \( ! -group "$G" -o \( -type d ! -perm -2770 \) \) | head -n 3)
[ -z "$bad" ] && gs_pass "everything is in the group $G, directories rwxrws--- (the maintenance account may manage them)" ||
	gs_fail "not in the group or not group-writable: $bad"
[ -z "$(find "$B1" "$B2" -name '.gstmp-*')" ] && gs_pass "no temporary left behind" ||
	gs_fail "temporaries left on the remotes"
# the maintenance account was not needed (nor configured) for any of it
grep -q "Accepted publickey for $U1 " "$GS_SSHD_LOG" && gs_pass "web1 logged in as $U1" ||
	gs_fail "no login of $U1 in the sshd log"
! grep -q "Accepted publickey for $UM " "$GS_SSHD_LOG" &&
	gs_pass "the nightly run never used the maintenance account" ||
	gs_fail "the nightly run logged in as the maintenance account"

gs_run 0 "web1: a second run with new data" bash -c \
	"head -c 1000000 /dev/urandom >'$T/data/acme/new.bin' && '$GS_AGENT' run"
gs_run 0 "web1: restore from the remote" "$GS_RESTORE" restore --tenant acme --from bk \
	--target "$T/restored"
gs_check "the restore from the remote equals the source" diff -r "$T/data/acme" "$T/restored"

# ---- what the nightly account cannot do ---------------------------------
S=$(gs_obj_pick "$B1" acme snapshots)
P=$(gs_obj_pick "$B1" acme packs)
[ -n "$S" ] && [ -n "$P" ] || gs_fatal "no published snapshot or pack on web1's remote"
pack=$B1/$P
tree_sum "$B1" >"$T/before.sum"
head -c 5000 /dev/urandom >"$T/junk"
: >"$T/empty"

refused() { # WHAT CMD...: the sftp batch CMD fails
	local what=$1
	shift
	if acc_sftp web1 "$@"; then
		gs_fail "the nightly account could $what"
		gs_show "$GS_ERR"
	else
		gs_pass "the nightly account cannot $what ($(tail -n 1 "$GS_ERR" | tr -d '\r'))"
	fi
}
gs_run 0 "positive control: the nightly account lists and reads over stock sftp" \
	acc_sftp web1 "ls /repo/$(dirname "$S")" "get /repo/$S $T/got"
gs_check "what it read is the object" cmp "$T/got" "$B1/$S"
refused "delete a snapshot (rm)" "rm /repo/$S"
refused "delete a pack (rm)" "rm /repo/$P"
refused "overwrite a snapshot (put over its name)" "put $T/junk /repo/$S"
refused "truncate a pack (put an empty file over it)" "put $T/empty /repo/$P"
# reput resumes: it appends what the local file has beyond the remote size
head -c "$(($(stat -c %s "$pack") + 4096))" /dev/urandom >"$T/bigger"
refused "append to a pack (reput)" "reput $T/bigger /repo/$P"
grep -q "Permission denied" "$GS_ERR" && gs_pass "the append reached the server, which refused it" ||
	{ gs_fail "reput did not fail at the server"; gs_show "$GS_ERR"; }
refused "chmod a pack (setstat)" "chmod 644 /repo/$P"
# The denied extensions are not even offered: sftp falls back to the plain
# rename, which never replaces a name, and has no hard link.  (A client
# that sends them anyway gets "permission denied" from the -P filter.)
exts() { # WHO: the extensions the account's SFTP server offers
	acc_sftp_v "$1" "pwd" 2>&1 | sed -n 's/.*Server supports extension "\([^"]*\)".*/\1/p' | sort
}
exts maint >"$T/exts.maint"
exts web1 >"$T/exts.web1"
for x in posix-rename@openssh.com hardlink@openssh.com lsetstat@openssh.com; do
	grep -qx "$x" "$T/exts.maint" && ! grep -qx "$x" "$T/exts.web1" &&
		gs_pass "the nightly account's server does not offer $x (the maintenance account's does)" ||
		{ gs_fail "$x: offered to the nightly account, or not to the maintenance account"; gs_show "$T/exts.web1"; }
done
refused "rename over a snapshot (sftp's rename: plain, posix-rename not offered)" \
	"put $T/junk /repo/newfile" "rename /repo/newfile /repo/$S"
refused "rename over a snapshot (sftp's rename -l: plain)" "rename -l /repo/newfile /repo/$S"
refused "replace a snapshot by a symlink" "ln -s /repo/newfile /repo/$S.lnk"
refused "hard-link a snapshot" "ln /repo/$S /repo/$S.hl"
refused "remove a directory (rmdir)" "mkdir /repo/emptydir" "rmdir /repo/emptydir"
refused "remove the file it just uploaded" "rm /repo/newfile"
# geosnap's own transport (gs_tp_delete, gs_tp_create, gs_tp_rename)
rc=0
acc_tp web1 repo rm "$S" || rc=$?
[ "$rc" = 3 ] && grep -q "errkind=REFUSED" "$GS_ERR" &&
	gs_pass "gs_tp_delete through the nightly account: refused" ||
	{ gs_fail "gs_tp_delete through the nightly account was not refused"; gs_show "$GS_ERR"; }
gs_err_has "the account $U1 may not remove files there: removing objects needs the remote's maintenance account" \
	"the refusal names the account and points to the maintenance account"
! acc_tp web1 repo create "$T/junk" "$S" && gs_pass "gs_tp_create over a snapshot through the nightly account: refused" ||
	gs_fail "gs_tp_create over a snapshot succeeded"
rc=0
acc_tp web1 repo rename newfile "$S" || rc=$?
[ "$rc" = 1 ] && gs_pass "gs_tp_rename over a snapshot: \"already there\", nothing replaced" ||
	{ gs_fail "gs_tp_rename over a snapshot did not say already there"; gs_show "$GS_ERR"; }
tree_sum "$B1" | grep -v -e ' ./newfile ' -e '^./newfile ' >"$T/after.sum"
if diff "$T/before.sum" "$T/after.sum" >"$T/sum.diff"; then
	gs_pass "every object on web1's remote is byte- and mode-identical after all that"
else
	gs_fail "web1's remote changed"
	gs_show "$T/sum.diff"
fi
gs_check "the pack still hashes to its name" test "$(xxh128sum "$pack" 2>/dev/null | cut -d' ' -f1)" = "$(basename "$pack")"

# ---- one host cannot reach another's tenants -----------------------------
gs_run 0 "web1's nightly account lists its root" acc_sftp web1 "ls -1 /"
[ "$(grep -v '^sftp>' "$GS_OUT" | tr -d ' ')" = /repo ] &&
	gs_pass "web1's chroot holds its repository only" ||
	{ gs_fail "web1 sees more than its repository"; gs_show "$GS_OUT"; }
BS=$(gs_obj_pick "$B2" bolt snapshots)
tree_sum "$B2" >"$T/b-before.sum"
refused "list web2's tenants" "ls /$U2/repo/tenants"
refused "list web2's tenants through .." "ls /../$U2/repo/tenants"
refused "read web2's snapshot" "get /../$U2/repo/$BS $T/b.got"
refused "delete web2's snapshot" "rm /../$U2/repo/$BS"
! acc_tp web1 "../$U2/repo" ls tenants && gs_pass "geosnap's transport as web1 cannot open web2's repository" ||
	gs_fail "web1 reached web2's repository through the transport"
tree_sum "$B2" >"$T/b-after.sum"
gs_check "web2's remote is unchanged" cmp "$T/b-before.sum" "$T/b-after.sum"

# ---- the maintenance account ----------------------------------------------
NO_MAINT=
acc_config web1 acme
gs_run 0 "web1: quarantine a snapshot (the remote through maintenance_url)" \
	"$GS_AGENT" quarantine --tenant acme "snapshots/$(basename "$S")"
[ ! -e "$B1/$S" ] && gs_pass "the snapshot left web1's remote namespace" ||
	gs_fail "the snapshot is still in place on the remote"
moved=$(find "$B1/tenants/acme/quarantine" -type f -name "*-$(basename "$S")-*" 2>/dev/null | head -n 1)
[ -n "$moved" ] && gs_pass "it is in the remote's quarantine" || gs_fail "not in the remote's quarantine"
grep -q "Accepted publickey for $UM " "$GS_SSHD_LOG" &&
	gs_pass "quarantine logged in as the maintenance account" ||
	gs_fail "quarantine did not use the maintenance account"
Q=${moved#"$CH"/}
gs_run 0 "the maintenance account deletes the set-aside object" acc_sftp maint "rm /$Q"
[ ! -e "$moved" ] && gs_pass "it is gone" || gs_fail "the maintenance account's rm left it"
acc_tp maint "$U1/repo" rm "$P" && [ ! -e "$pack" ] &&
	gs_pass "gs_tp_delete through the maintenance account removes a pack" ||
	{ gs_fail "gs_tp_delete through the maintenance account failed"; gs_show "$GS_ERR"; }
gs_run 0 "web1: the next run ships the pack again (nightly account)" "$GS_AGENT" ship
[ -f "$pack" ] && gs_pass "the pack is back" || gs_fail "the pack was not shipped again"


# without maintenance_url and maintenance_identity, maintenance falls back
# to the nightly account (docs/CLI.md); quarantine only renames, which
# that account may do
NO_MAINT=1 acc_config web1 acme
n=$(grep -c "Accepted publickey for $UM " "$GS_SSHD_LOG")
S2=$(gs_obj_pick "$B1" acme snapshots)
gs_run 0 "without maintenance keys, quarantine connects as the nightly account" \
	"$GS_AGENT" quarantine --tenant acme "snapshots/$(basename "$S2")"
[ "$(grep -c "Accepted publickey for $UM " "$GS_SSHD_LOG")" = "$n" ] && [ ! -e "$B1/$S2" ] &&
	gs_pass "it moved the snapshot without the maintenance account" ||
	gs_fail "the fallback used the maintenance account or did not move the snapshot"
gs_finish
