#!/usr/bin/env bash
# A pack that fails authentication in the middle of a restore plan (issue
# 8's faults): after shipping a snapshot of several packs (pack_size = 4M),
# one byte in the blob area of a pack in the middle (by creation order; not
# its header, which is at the end of the pack, docs/FORMAT.md) is flipped,
# first on the remote, then in the local repository.  restore --from the
# remote, then from the local repository, exits 1; the files whose content
# the damaged blob holds are named ("PATH: ... not restored") and absent
# from the target; every file present is byte-exact, every other entry is
# restored exactly; both restores name the same files.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "a pack failing authentication mid-plan: exit 1, the affected files named and absent, the rest exact"
gs_need od cmp awk sort comm

AGENT_EXTRA="pack_size = 4M"
ship_config
for _ in 1 2 3 4 5 6 7 8; do
	ship_data_more 3
done
gs_run 0 "backup of 8 more files of 3 MiB (pack_size 4M)" "$GS_AGENT" backup || gs_fatal "backup failed"
gs_run 0 "ship" "$GS_AGENT" ship || gs_fatal "ship failed"
ship_parity "the remote holds exactly the local objects"

# The packs by creation order (the local files' mtimes), the middle one.
mapfile -t packs < <(cd "$GS_REPO" && find tenants/acme/packs -type f ! -name '.gstmp-*' -printf '%T@ %p\n' |
	sort -n | cut -d' ' -f2)
n=${#packs[@]}
[ "$n" -ge 6 ] && gs_pass "the snapshot spans $n packs" || gs_fatal "only $n packs: pack_size did not take"
BAD=${packs[$((n / 2))]}
size=$(stat -c %s "$T/remote/$BAD")
# The header's length: u32 little-endian at pack_len - 8; the blob area is
# [8, pack_len - 8 - hlen).
hlen=$(od -An -tu4 --endian=little -j $((size - 8)) -N4 "$T/remote/$BAD" | tr -d ' ')
off=$((size / 2))
[ -n "$hlen" ] && [ "$off" -ge 8 ] && [ "$off" -lt $((size - 8 - hlen)) ] &&
	gs_pass "pack $((n / 2 + 1)) of $n: byte $off of $size lies in the blob area (header $hlen bytes at the end)" ||
	gs_fatal "byte $off of $BAD ($size bytes, hlen '$hlen') is not in the blob area"

# check_restore WHAT DIR: the restore into DIR (its stderr in $GS_ERR) named
# the files it did not restore, left them out, and restored the rest
# exactly.  The files missing go to DIR.missing.
check_restore() {
	local what=$1 dir=$2 nmiss nall p ex=() bad=0
	gs_missing_files "$T/data/acme" "$dir" >"$dir.missing"
	nmiss=$(wc -l <"$dir.missing")
	nall=$(find "$T/data/acme" -type f | wc -l)
	[ "$nmiss" -ge 1 ] && [ "$nmiss" -le $((nall / 3)) ] &&
		gs_pass "$what: $nmiss of $nall files not restored (those the damaged blob holds), the rest there" ||
		gs_fail "$what: $nmiss of $nall files missing from the target, wanted at least 1 and a few at most"
	gs_named_not_restored "$what: each file missing is named on stderr as not restored" "$dir.missing"
	# and each file named "not restored" is missing
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		[ -e "$dir/$p" ] && { bad=1; gs_say "named as not restored but present: $p"; }
	done < <(grep 'not restored' "$GS_ERR" | sed -n 's/^geosnap-restore: \([^:]*\): .*/\1/p')
	[ "$bad" = 0 ] && gs_pass "$what: no file named as not restored is in the target" ||
		gs_fail "$what: a file named as not restored is in the target"
	gs_present_exact "$what: every file present in the target is the source's" "$T/data/acme" "$dir"
	while IFS= read -r p; do
		[ -n "$p" ] && ex+=(--exclude "$p")
	done <"$dir.missing"
	gs_treecmp "$what: every other entry is restored exactly" "$T/data/acme" "$dir" "${ex[@]}"
}

# ---- the remote's copy ------------------------------------------------------
flip_byte "$T/remote/$BAD" || gs_fatal "cannot flip a byte of the remote's $BAD"
[ "$(xxh128sum "$T/remote/$BAD" | cut -d' ' -f1)" != "$(basename "$BAD")" ] ||
	gs_fatal "the flip did not change the remote's $BAD"
gs_run 1 "restore --from fi1 with a corrupt pack exits 1" \
	"$GS_RESTORE" restore --tenant acme --from fi1 --target "$T/rr"
check_restore "from the remote" "$T/rr"

# ---- the local repository ------------------------------------------------
flip_byte "$GS_REPO/$BAD" || gs_fatal "cannot flip a byte of the local $BAD"
cmp -s "$GS_REPO/$BAD" "$T/remote/$BAD" && gs_pass "the local pack has the same flipped byte" ||
	gs_fatal "the local and the remote copy of $BAD differ"
gs_run 1 "restore from the local repository with the corrupt pack exits 1" \
	"$GS_RESTORE" restore --tenant acme --target "$T/rl"
check_restore "from the local repository" "$T/rl"
if [ -s "$T/rl.missing" ] && cmp -s "$T/rr.missing" "$T/rl.missing"; then
	gs_pass "both restores left out the same files"
else
	gs_fail "the remote and the local restore left out different files"
	diff "$T/rr.missing" "$T/rl.missing" | head -10 | sed 's/^/#   | /'
fi
gs_finish
