#!/bin/bash
# 02-export: `geosnap-restore export` writes tar, pax and zip archives that
# GNU tar and bsdtar extract to the same tree as `geosnap-restore restore`
# gives (as far as each format can carry: GNU tar keeps whole seconds and no
# xattrs; zip keeps whole seconds, no xattrs, and stores hard links as
# copies).  The tree is /usr/share/doc plus the generated tree of 01 without
# its 3 GiB sparse file (an archive has no holes).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "exported archives extract with GNU tar and bsdtar like a restore"
gs_need tar bsdtar setfattr setfacl truncate dd mkfifo head seq
[ "$(id -u)" = 0 ] || gs_fatal "must run as root (foreign owners, trusted.* xattrs)"
tar --version 2>/dev/null | grep -q 'GNU tar' || gs_fatal "tar is not GNU tar"
DOC=/usr/share/doc
[ -d "$DOC" ] || gs_fatal "$DOC is missing"

GEN=$T/gen
gs_make_tree "$GEN" && rm "$GEN/sparse-3g" || gs_fatal "could not build the generated tree"
gs_keygen acme
CFG=$T/geosnap.ini
gs_config "$CFG" acme "$DOC" "$GEN"
A() { "$GS_AGENT" -c "$CFG" "$@"; }
R() { "$GS_RESTORE" -c "$CFG" "$@"; }
gs_run 0 "agent init" A init || gs_fatal "init failed"
gs_run 0 "backup" A backup || gs_fatal "backup failed"

gs_run 0 "restore (the reference tree)" R restore --tenant acme --privileged --target "$T/restored" ||
	gs_fatal "restore failed; nothing to compare the archives with"
REL=${GEN#/}
gs_treecmp "the restore equals the generated source" "$GEN" "$T/restored/$REL"

for fmt in tar pax; do
	gs_run 0 "export --format $fmt" R export --tenant acme --format "$fmt" --output "$T/x.$fmt"
	[ -s "$T/x.$fmt" ] || gs_fail "export --format $fmt wrote no archive"
done
# zip cannot hold a FIFO: that one entry is named, the rest is written, exit 1
gs_run 1 "export --format zip (the FIFO cannot be stored: exit 1)" \
	R export --tenant acme --format zip --output "$T/x.zip"
gs_err_has "plain/fifo" "export --format zip names the FIFO it could not store"
gs_err_has "tenant acme: snapshot [0-9a-f]{32} \(.*\) chosen as the latest" \
	"export names the snapshot it chose"
gs_check "export --format zip complains about nothing else" \
	test "$(grep -v 'plain/fifo' "$GS_ERR" | grep -vcE 'snapshot [0-9a-f]{32} \(.*\) chosen as the latest$')" = 0
[ -s "$T/x.zip" ] || gs_fail "export --format zip wrote no archive"
gs_run 2 "export refuses to overwrite an existing file" R export --tenant acme --format tar --output "$T/x.tar"

# extract WHAT DIR CMD...: run an extractor into a fresh DIR.
extract() {
	local what=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	gs_run 0 "$what" "$@" -C "$dir" || return 1
	[ -s "$GS_ERR" ] && { gs_say "$what said:"; gs_show "$GS_ERR" 5; }
	return 0
}

# same WHAT DIR RES PRE1970 [treecmp options]: DIR holds the same two source
# trees as the restore, mtimes compared at RES nanoseconds.  PRE1970 is
# "check", or "skip" where the archive format or the extractor cannot carry
# a time before 1970 (see docs/EXPORT.md): then plain/empty only has to be
# there.  The directories above
# them (tmp, usr, usr/share) are not in the snapshot, so their times are
# whatever extraction gives them.  Directory mtimes, the pre-1970 mtime of
# plain/empty and the mode of the file with an ACL are checked apart, so that
# each problem shows as one failure of its own.
mtime_ns() { python3 -c 'import os, sys; print(os.lstat(sys.argv[1]).st_mtime_ns)' "$1"; }
same() {
	local what=$1 dir=$2 res=$3 pre1970=$4 a b
	shift 4
	gs_treecmp "$what: generated tree (but directory mtimes, plain/empty, owned)" \
		"$T/restored/$REL" "$dir/$REL" --mtime-res "$res" --no-dir-mtime \
		--exclude plain/empty --exclude owned "$@"
	gs_treecmp "$what: /usr/share/doc (but directory mtimes)" \
		"$T/restored/usr/share/doc" "$dir/usr/share/doc" --mtime-res "$res" --no-dir-mtime "$@"
	gs_treecmp "$what: generated tree, directory mtimes included" "$T/restored/$REL" "$dir/$REL" \
		--mtime-res "$res" --exclude plain/empty --exclude owned --max 5 "$@"
	gs_treecmp "$what: /usr/share/doc, directory mtimes included" \
		"$T/restored/usr/share/doc" "$dir/usr/share/doc" --mtime-res "$res" --max 5 "$@"
	a=$(mtime_ns "$T/restored/$REL/plain/empty")
	b=$(mtime_ns "$dir/$REL/plain/empty" 2>/dev/null)
	if [ "$pre1970" = skip ]; then
		[ -n "$b" ] &&
			gs_pass "$what: plain/empty is there (its pre-1970 mtime is beyond this format or extractor)" ||
			gs_fail "$what: plain/empty is missing"
	else
		[ -n "$b" ] && [ $((a / res)) = $((b / res)) ] &&
			gs_pass "$what: the pre-1970 mtime of plain/empty ($a ns) survives" ||
			gs_fail "$what: the pre-1970 mtime of plain/empty: restore $a ns, extracted ${b:-missing} ns"
	fi
	a=$(stat -c %a "$T/restored/$REL/owned")
	b=$(stat -c %a "$dir/$REL/owned" 2>/dev/null)
	[ "$a" = "$b" ] && gs_pass "$what: the mode of a file with an ACL (owned, $a) survives" ||
		gs_fail "$what: the mode of owned (a file with an ACL): restore $a, extracted ${b:-missing}"
}

# The GNU tar format keeps whole seconds and no xattrs or ACLs; libarchive's
# GNU tar writer stores a time before 1970 as 0, so plain/empty's is not
# compared.  GNU tar is run as a customer would run it: plain -xpf (no
# --delay-directory-restore).
if extract "GNU tar extracts the tar export" "$T/gnu-tar" tar -xpf "$T/x.tar"; then
	same "GNU tar of the tar export = restore (whole seconds, no xattrs)" "$T/gnu-tar" \
		1000000000 skip --no-xattrs
fi
if extract "bsdtar extracts the tar export" "$T/bsd-tar" bsdtar -xpf "$T/x.tar"; then
	same "bsdtar of the tar export = restore (whole seconds, no xattrs)" "$T/bsd-tar" \
		1000000000 skip --no-xattrs
fi
# pax keeps nanoseconds, xattrs and ACLs, and times before 1970; but GNU tar
# reads a negative time with a fraction one second early (-14182939.5 as
# -14182940.5), so plain/empty's is compared for bsdtar only.
if [ -s "$T/x.pax" ]; then
	if extract "GNU tar extracts the pax export (--xattrs --acls)" "$T/gnu-pax" \
		tar --xattrs --xattrs-include='*' --acls -xpf "$T/x.pax"; then
		same "GNU tar of the pax export = restore" "$T/gnu-pax" 1 skip
	fi
	if extract "bsdtar extracts the pax export" "$T/bsd-pax" bsdtar -xpf "$T/x.pax"; then
		same "bsdtar of the pax export = restore" "$T/bsd-pax" 1 check
	fi
fi
# zip: whole seconds, no xattrs, hard links become copies, no FIFOs, and no
# time before 1980 (the DOS date field), so plain/empty's is not compared.
if [ -s "$T/x.zip" ]; then
	if extract "bsdtar extracts the zip export" "$T/bsd-zip" bsdtar -xpf "$T/x.zip"; then
		same "bsdtar of the zip export = restore (whole seconds, no xattrs, links as copies)" \
			"$T/bsd-zip" 1000000000 skip --no-xattrs --no-hardlinks --exclude plain/fifo
	fi
fi
gs_run 0 "the tar export lists with GNU tar" tar -tf "$T/x.tar"
gs_out_has "^usr/share/doc/" "the archive holds usr/share/doc/ with relative names"
gs_check "no archive member name is absolute or has a .. component" \
	bash -c '! tar -tf "$1" | grep -aE "^/|(^|/)\.\.(/|$)"' _ "$T/x.pax"
gs_finish
