#!/bin/bash
# 08-restore-symlink-attack: a restore never writes outside its target.
#   A  the target already holds a symlink where a snapshot directory goes
#      (restore --overwrite): the directory's files must not land where the
#      symlink points
#   B  the target holds a symlink where a snapshot file goes (--overwrite):
#      the file replaces the link, the link's target is untouched
#   C  a second source reached through a symlink of the first: the agent
#      records it by its canonical path, so nothing lands below the symlink
#   D  a source written as /tmp/../../../../PATH: recorded by its canonical
#      path, restored inside the target, nothing written where .. points
#   E  a backup of "/" (everything else excluded) must restore below the
#      target, and never to the absolute paths it was taken from
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "restore never writes outside the target"
[ "$(id -u)" = 0 ] || gs_fatal "must run as root (E writes a directory in /)"
gs_keygen acme
OUT=$T/outside
mkdir -p "$OUT/sub" && echo "precious" >"$OUT/victim" && echo "deep" >"$OUT/sub/deep"
gs_manifest "$OUT" "$T/outside.json"
outside_intact() {
	gs_treecmp "$1: nothing outside the target changed" "$T/outside.json" "$OUT"
}

# ---- A and B: hostile targets -------------------------------------------
S=$T/src
mkdir -p "$S/d/sub" && echo "file in d" >"$S/d/f" && echo "deeper" >"$S/d/sub/g" &&
	echo "plain file" >"$S/victim" && mkdir -p "$S/e" && echo "e's file" >"$S/e/victim"
GS_REPO=$T/repo GS_STATE=$T/state gs_config "$T/ab.ini" acme "$S"
gs_run 0 "A/B: init" "$GS_AGENT" -c "$T/ab.ini" init
gs_run 0 "A/B: backup" "$GS_AGENT" -c "$T/ab.ini" backup || gs_fatal "backup failed"

gs_say "A: target/d is a symlink to a directory outside"
mkdir -p "$T/tA" && ln -s "$OUT" "$T/tA/d"
gs_run '0|1' "A: restore --overwrite over a symlinked directory" \
	"$GS_RESTORE" -c "$T/ab.ini" restore --tenant acme --target "$T/tA" --overwrite
outside_intact A
if [ "$GS_RC" = 0 ]; then
	gs_treecmp "A: exit 0, so the symlink was replaced and the restore is exact" "$S" "$T/tA"
else
	gs_err_has "d" "A: exit 1 names the refused entries"
fi

gs_say "B: target/victim and target/e are symlinks to outside"
mkdir -p "$T/tB" && ln -s "$OUT/victim" "$T/tB/victim" && ln -s "$OUT" "$T/tB/e"
gs_run '0|1' "B: restore --overwrite over symlinked files" \
	"$GS_RESTORE" -c "$T/ab.ini" restore --tenant acme --target "$T/tB" --overwrite
outside_intact B
if [ "$GS_RC" = 0 ]; then
	gs_treecmp "B: exit 0, so the links were replaced and the restore is exact" "$S" "$T/tB"
else
	gs_err_has "victim" "B: exit 1 names the refused entries"
fi
gs_run 2 "B: without --overwrite a non-empty target is refused" \
	"$GS_RESTORE" -c "$T/ab.ini" restore --tenant acme --target "$T/tB"

# ---- C: a source reached through a symlink ------------------------------
# The agent walks each source by its canonical path (realpath), so a second
# source reached through a symlink of the first is recorded where it really
# is, never below the symlink.  Hostile manifests with entries below a
# symlink (which the agent cannot produce) are covered by
# tests/unit/test_extract.c.
gs_say "C: sources m (holding link -> $OUT) and m/link/sub"
M=$T/m
mkdir -p "$M" && ln -s "$OUT" "$M/link" && echo "beside" >"$M/beside"
GS_REPO=$T/repo-c GS_STATE=$T/state-c gs_config "$T/c.ini" acme "$M" "$M/link/sub"
gs_run 0 "C: init" "$GS_AGENT" -c "$T/c.ini" init
gs_run 0 "C: backup of both sources" "$GS_AGENT" -c "$T/c.ini" backup || gs_fatal "C: backup failed"
# what would be written through the link, were it followed: a new file
rm "$OUT/sub/deep" && gs_manifest "$OUT" "$T/outside.json"
REL=${M#/}
gs_run 0 "C: the restore is clean (exit 0)" \
	"$GS_RESTORE" -c "$T/c.ini" restore --tenant acme --target "$T/tC"
outside_intact C
gs_check "C: the symlink is restored as a symlink, the file beside it as a file" \
	test -L "$T/tC/$REL/link" -a "$(cat "$T/tC/$REL/beside" 2>/dev/null)" = beside
gs_check "C: the second source is restored under its real path, inside the target" \
	test -f "$T/tC/${OUT#/}/sub/deep"
gs_run 0 "C: restore --overwrite into a fresh target" \
	"$GS_RESTORE" -c "$T/c.ini" restore --tenant acme --target "$T/tC2" --overwrite
outside_intact "C with --overwrite"

# ---- D: ".." components --------------------------------------------------
gs_say "D: a source written with .. that climbs out of the restore target"
E=$T/esc
mkdir -p "$E" && echo "escaped" >"$E/file" && mkdir -p "$T/normal" && echo normal >"$T/normal/n"
DOTS=/tmp/../../../../../../..$E
[ -d "$DOTS" ] || gs_fatal "D: $DOTS does not resolve"
GS_REPO=$T/repo-d GS_STATE=$T/state-d gs_config "$T/d.ini" acme "$T/normal" "$DOTS"
gs_run 0 "D: init" "$GS_AGENT" -c "$T/d.ini" init
gs_run 0 "D: backup (the source is walked by its canonical path)" "$GS_AGENT" -c "$T/d.ini" backup
mv "$E" "$E.orig"
gs_run 0 "D: the restore is clean (no .. entry was recorded)" \
	"$GS_RESTORE" -c "$T/d.ini" restore --tenant acme --target "$T/tD"
gs_check "D: nothing was written where the configured .. path points" test ! -e "$E"
gs_check "D: the source is restored under its canonical path inside the target" \
	test "$(cat "$T/tD/${E#/}/file" 2>/dev/null)" = escaped
gs_check "D: the rest is restored" test "$(cat "$T/tD/${T#/}/normal/n" 2>/dev/null)" = normal
mv "$E.orig" "$E"

# ---- E: a backup of / ---------------------------------------------------
gs_say "E: source = / with everything but one directory excluded"
ROOTDIR=$(mktemp -d /gs-08-root.XXXXXX) || gs_fatal "E: cannot make a directory in /"
GS_CLEAN_PATHS+=("$ROOTDIR" "$ROOTDIR.orig")
mkdir -p "$ROOTDIR/d" && echo "top" >"$ROOTDIR/file" && echo "below" >"$ROOTDIR/d/g"
GS_REPO=$T/repo-e GS_STATE=$T/state-e gs_config "$T/e.ini" acme /
for e in /* /.[!.]*; do
	[ -e "$e" ] || [ -L "$e" ] || continue
	[ "$e" = "$ROOTDIR" ] || echo "exclude = $e"
done >>"$T/e.ini"
gs_manifest "$ROOTDIR" "$T/rootdir.json"
gs_run 0 "E: init" "$GS_AGENT" -c "$T/e.ini" init
gs_run 0 "E: backup of /" "$GS_AGENT" -c "$T/e.ini" backup || gs_fatal "E: backup of / failed"
mv "$ROOTDIR" "$ROOTDIR.orig"
gs_run 0 "E: the backup of / restores below the target" \
	"$GS_RESTORE" -c "$T/e.ini" restore --tenant acme --target "$T/tE"
gs_check "E: nothing was written to $ROOTDIR (the absolute path it was taken from)" test ! -e "$ROOTDIR"
gs_treecmp "E: the restore holds the directory below the target" "$T/rootdir.json" "$T/tE/${ROOTDIR#/}"
gs_finish
