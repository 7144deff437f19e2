#!/usr/bin/env bash
# ship --repair never destroys the only copy (issue 7, part 4).
#
# Whoever can rename files on the remote (publishing needs rename, so even
# an "append-only" server allows it) renames a pack, the index segment and
# the snapshot record to .gstmp- names, which verify ignores; then the
# local copies of those three are lost.  ship --repair must put each back
# in place (its bytes are a whole object of its directory's kind that the
# remote lacks), after which $SNAP0 restores exactly from fi1.  Around them,
# four other temporaries: a fresh one of random bytes and a fresh half of
# the index segment are left alone (too young to judge); an old one of
# random bytes and an old half of a pack (a cut upload: never an object)
# go into tenants/acme/quarantine/.  Nothing is deleted: the remote holds
# the same files, by content, before and after.  Each action is one line
# on stderr and one "repair" record in the audit log.  A second repair
# keeps the restored objects although the local repository lacks them;
# once they are copied back, verify --full is clean and $SNAP0 restores
# exactly from the local repository and from fi1.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
hostile_begin "ship --repair puts renamed objects back, leaves young temporaries, quarantines old ones, deletes nothing"

R=$T/remote
A=$R/tenants/acme
Q=$A/quarantine

# remote_files: "hash size" of every file on the remote (the content
# multiset: renames keep it, a deletion shows).
remote_files() { (cd "$R" && find . -type f -exec xxh128sum {} + 2>/dev/null | cut -d' ' -f1 | sort); }

# one_line WHAT PATH ERE: stderr of the last gs_run has exactly one line
# naming PATH, and it matches ERE.
one_line() {
	local what=$1 path=$2 ere=$3 n
	n=$(grep -cF -- "$path:" "$GS_ERR")
	if [ "$n" = 1 ] && grep -F -- "$path:" "$GS_ERR" | grep -qE -- "$ere"; then
		gs_pass "$what: one line, /$ere/"
	else
		gs_fail "$what: $n lines name $path (wanted one matching /$ere/)"
		gs_show "$GS_ERR"
	fi
}

# audit_actions SEQ: "action object" of each repair record after seq SEQ.
audit_actions() {
	python3 - "$T/audit.jsonl" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["seq"] > int(sys.argv[2]) and r["event"] == "repair":
        for k in ("tenant", "remote", "object", "action", "reason"):
            assert r.get(k), "repair record %d lacks %s" % (r["seq"], k)
        print(r["action"], r["object"])
PY
}
audit_seq() { tail -n 1 "$T/audit.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])'; }

# ---- the objects the attacker renames, and the stray temporaries ----------
mapfile -t packs < <(cd "$R" && find tenants/acme/packs -type f -regextype posix-extended \
	-regex '.*/[0-9a-f]{32}' -printf '%s %p\n' | sort -rn | cut -d' ' -f2)
[ "${#packs[@]}" -ge 2 ] || gs_fatal "the run shipped ${#packs[@]} packs, the test needs two"
pack_rel=${packs[0]}
half_rel=${packs[1]}
idx_rel=$(obj_pick index)
snap_rel=$(obj_pick snapshots)
[ -n "$idx_rel" ] && [ -n "$snap_rel" ] || gs_fatal "no index segment or snapshot record on the remote"
[ "$(basename "$snap_rel")" = "$SNAP0" ] || gs_fatal "the remote's snapshot record is not \$SNAP0"
renamed=("$pack_rel" "$idx_rel" "$snap_rel")
tmp_pack=$(dirname "$pack_rel")/.gstmp-x
tmp_idx=tenants/acme/index/.gstmp-$RANDOM
tmp_snap=tenants/acme/snapshots/.gstmp-$(basename "$snap_rel")-00000000
fresh_rand=tenants/acme/snapshots/.gstmp-fresh-$RANDOM
fresh_half=tenants/acme/index/.gstmp-$(basename "$idx_rel")-12345678
old_rand=tenants/acme/packs/.gstmp-old-$RANDOM
old_half=tenants/acme/packs/.gstmp-$(basename "$half_rel")-0badc0de

mkdir -p "$T/saved"
head -c 3000 /dev/urandom >"$R/$fresh_rand"
head -c $(($(stat -c %s "$R/$idx_rel") / 2)) "$R/$idx_rel" >"$R/$fresh_half"
head -c 5000 /dev/urandom >"$R/$old_rand"
head -c $(($(stat -c %s "$R/$half_rel") / 2)) "$R/$half_rel" >"$R/$old_half"
chmod 0444 "$R/$fresh_rand" "$R/$fresh_half" "$R/$old_rand" "$R/$old_half"
touch -d '3 days ago' "$R/$old_rand" "$R/$old_half" || gs_fatal "touch -d"
cp "$R/$old_rand" "$T/saved/old_rand"
cp "$R/$old_half" "$T/saved/old_half"
mv "$R/$pack_rel" "$R/$tmp_pack" && mv "$R/$idx_rel" "$R/$tmp_idx" &&
	mv "$R/$snap_rel" "$R/$tmp_snap" || gs_fatal "renaming the objects on the remote"
gs_say "renamed ${renamed[*]}"

gs_run 1 "verify sees the renamed objects missing on the remote" "$GS_AGENT" verify
gs_err_has "pack $(basename "$pack_rel"): missing on the remote" "verify names the renamed pack missing"
grep -q gstmp "$GS_ERR" && gs_fail "verify named a temporary" || gs_pass "verify ignores the temporaries"

# The disaster the remote exists for: the local copies are gone.
for p in "${renamed[@]}"; do
	rm -f "$GS_REPO/$p" || gs_fatal "rm local $p"
done

# ---- ship --repair ---------------------------------------------------------
before=$(remote_files)
nbefore=$(find "$R" -type f | wc -l)
seq0=$(audit_seq)
gs_run 0 "ship --repair with the local copies gone" "$GS_AGENT" ship --repair
for p in "${renamed[@]}"; do
	n=$(basename "$p")
	[ -f "$R/$p" ] && [ "$(xxh128sum "$R/$p" 2>/dev/null | cut -d' ' -f1)" = "$n" ] &&
		gs_pass "$p is back in place on the remote" || gs_fail "$p is not back on the remote"
done
one_line "the renamed pack" "$tmp_pack" "restored to $pack_rel"
one_line "the renamed index segment" "$tmp_idx" "restored to $idx_rel"
one_line "the renamed snapshot record" "$tmp_snap" "restored to $snap_rel"
one_line "the fresh random temporary" "$fresh_rand" "left alone: .*less than 24 h"
one_line "the fresh half index segment" "$fresh_half" "left alone: not a whole index .*less than 24 h"
one_line "the old random temporary" "$old_rand" "moved aside to tenants/acme/quarantine/"
one_line "the old half pack" "$old_half" "moved aside to tenants/acme/quarantine/.*not a whole pack"
n=$(grep -c . "$GS_ERR")
[ "$n" = 7 ] && gs_pass "seven actions, seven lines on stderr" ||
	{ gs_fail "$n lines on stderr, wanted 7"; gs_show "$GS_ERR"; }
[ -f "$R/$fresh_rand" ] && [ -f "$R/$fresh_half" ] &&
	gs_pass "the young temporaries are still in place" || gs_fail "a young temporary was moved"
for f in old_rand old_half; do
	found=$(find "$Q" -type f -name 'temporary-.gstmp-*' -exec cmp -s {} "$T/saved/$f" \; -print 2>/dev/null)
	[ -n "$found" ] && gs_pass "$f is in the quarantine, bytes unchanged" ||
		gs_fail "$f is not in $Q with its bytes"
done
[ ! -e "$R/$old_rand" ] && [ ! -e "$R/$old_half" ] &&
	gs_pass "the old temporaries left their directories" || gs_fail "an old temporary is still in place"
[ "$(find "$R" -type f | wc -l)" = "$nbefore" ] && gs_pass "the remote holds as many files as before ($nbefore)" ||
	gs_fail "the remote held $nbefore files, now $(find "$R" -type f | wc -l)"
[ "$(remote_files)" = "$before" ] && gs_pass "nothing was deleted: the remote's files are the same bytes as before" ||
	gs_fail "the remote's files changed: $(diff <(echo "$before") <(remote_files) | head -5 | tr '\n' ' ')"
got=$(audit_actions "$seq0" | sort)
want=$(printf '%s\n' "restored $tmp_pack" "restored $tmp_idx" "restored $tmp_snap" \
	"left $fresh_rand" "left $fresh_half" "quarantined $old_rand" "quarantined $old_half" | sort)
[ "$got" = "$want" ] && gs_pass "one audit record per action, with the object and the action" ||
	{ gs_fail "the repair records differ"; diff <(echo "$want") <(echo "$got") | sed 's/^/#   | /'; }
dir=$T/restored-fi1
gs_run 0 "restore \$SNAP0 from fi1 after the repair" \
	"$GS_RESTORE" restore --tenant acme --from fi1 --snapshot "$SNAP0" --target "$dir"
gs_treecmp "\$SNAP0 from fi1 equals the tree it was made of" "$T/src0.json" "$dir"
rm -rf "$dir"

# ---- a second repair: intact objects the local copy lacks stay ------------
seq0=$(audit_seq)
gs_run 0 "a second ship --repair, the local copies still gone" "$GS_AGENT" ship --repair
for p in "${renamed[@]}"; do
	one_line "second repair, $(basename "$(dirname "$p")")" "$p" "kept: intact"
	[ -f "$R/$p" ] && gs_pass "$p stays in place" || gs_fail "$p was moved"
done
[ "$(remote_files)" = "$before" ] && gs_pass "the second repair deleted nothing either" ||
	gs_fail "the second repair changed the remote's files"
[ "$(audit_actions "$seq0" | grep -c '^kept ')" = 3 ] && gs_pass "three \"kept\" records" ||
	gs_fail "wanted three kept records: $(audit_actions "$seq0" | tr '\n' ' ')"
gs_run 1 "verify --full names the objects the local repository lacks" "$GS_AGENT" verify --full
gs_err_has "pack $(basename "$pack_rel"): on the remote but not in the local repository" \
	"verify --full names the pack only the remote holds"

# ---- copy them back (the operator's recovery): all clean -----------------
for p in "${renamed[@]}"; do
	cp -p "$R/$p" "$GS_REPO/$p" || gs_fatal "copy $p back"
done
gs_run 0 "verify --full once the local copies are back" "$GS_AGENT" verify --full
[ -s "$GS_ERR" ] && { gs_fail "verify --full printed on stderr"; gs_show "$GS_ERR"; } ||
	gs_pass "verify --full is quiet"
restores_exactly "$SNAP0" "$T/src0.json" "after the repair"
gs_finish
