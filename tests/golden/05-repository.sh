#!/bin/bash
# 05-repository: damage to the repository beyond one object's bytes: a
# missing index or pack, a pack in the wrong directory, junk and temporary
# files, an object that is not a file, a damaged repository config object,
# and another tenant's objects dropped into this tenant's namespace.  Each
# is named and nothing crashes; what the agent can repair it repairs.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "missing, misplaced, foreign and junk objects; the repository config"
golden_base
D=$T/case/repo/tenants/acme

gs_say "the index segment is deleted (it can be rebuilt from the packs)"
case_copy
idx=$(pick index)
rm "$idx"
gs_run 1 "no index: check exits 1 (referenced chunks are not indexed)" R check
gs_run '0|1' "no index: restore does not crash" R restore --target "$T/case/out"
[ "$GS_RC" = 0 ] && gs_treecmp "no index: restore exit 0 means exact" "$T/src.json" "$T/case/out"
gs_run 0 "no index: the agent's next backup adopts the unindexed packs" A backup
gs_run 0 "no index: after that backup check --read-data is clean" R check --read-data
rm -rf "$T/case/out"
gs_run 0 "no index: and every snapshot restores" R restore --target "$T/case/out" &&
	gs_treecmp "no index: the repaired repository restores exactly" "$T/src.json" "$T/case/out"

gs_say "a pack is deleted"
case_copy
p=$(pick packs)
rm "$p"
expect_checks "missing pack" "${p##*/}"

gs_say "a pack is moved to the wrong packs/<2 hex>/ directory"
case_copy
p=$(pick packs)
n=${p##*/}
w=00
[ "${n:0:2}" = 00 ] && w=01
mkdir -p "$D/packs/$w" && mv "$p" "$D/packs/$w/$n"
expect_checks "pack in packs/$w/" "$n"

gs_say "junk and temporary files are ignored; stale temporaries are swept"
case_copy
for k in packs index snapshots; do
	: >"$D/$k/.gstmp-fresh"
	echo junk >"$D/$k/.gstmp-stale" && touch -d '3 hours ago' "$D/$k/.gstmp-stale"
done
echo "not an object" >"$D/snapshots/README"
echo "not an object" >"$D/index/0123456789ABCDEF0123456789ABCDEF"
gs_run 0 "junk: check ignores temporaries and non-object names" R check
gs_run 0 "junk: agent snapshots ignores them" A snapshots
gs_run 0 "junk: agent backup" A backup
gs_check "junk: the backup swept the stale temporaries (older than an hour)" \
	test ! -e "$D/packs/.gstmp-stale" -a ! -e "$D/index/.gstmp-stale" -a ! -e "$D/snapshots/.gstmp-stale"
gs_check "junk: and left the fresh ones (a writer may own them)" \
	test -e "$D/packs/.gstmp-fresh" -a -e "$D/index/.gstmp-fresh" -a -e "$D/snapshots/.gstmp-fresh"

gs_say "objects that are not regular files"
case_copy
mkdir "$D/snapshots/0123456789abcdef0123456789abcdef"
gs_run 1 "a directory named like a snapshot: check exits 1" R check &&
	gs_err_has 0123456789abcdef0123456789abcdef "check names it"
gs_run '1|3' "a directory named like a snapshot: agent snapshots does not crash" A snapshots
case_copy
s=$(pick snapshots)
rm "$s" && ln -s /etc/passwd "$s"
gs_run 1 "a snapshot that is a symlink to /etc/passwd: check exits 1" R check &&
	gs_err_has "${s##*/}" "check names it"
gs_run '0|1|3' "a snapshot that is a symlink: agent snapshots does not crash" A snapshots
gs_check "nothing from /etc/passwd appears in any output" bash -c '! grep -q "root:x:0:0" "$1" "$2"' _ "$GS_OUT" "$GS_ERR"

gs_say "the repository's config object"
for dmg in "missing" "wrong magic" "version 99" "truncated to 6 bytes" "empty"; do
	case_copy
	cfgobj=$T/case/repo/config
	case $dmg in
	missing) rm "$cfgobj" ;;
	"wrong magic") python3 "$GS_TESTS_LIB/corrupt.py" "$cfgobj" put 0 58585858 >/dev/null ;;
	"version 99") python3 "$GS_TESTS_LIB/corrupt.py" "$cfgobj" u32 4 99 >/dev/null ;;
	"truncated to 6 bytes") python3 "$GS_TESTS_LIB/corrupt.py" "$cfgobj" truncate 6 >/dev/null ;;
	empty) : >"$cfgobj" ;;
	esac
	gs_run '1|3' "repository config $dmg: check fails" R check &&
		gs_err_has "config|repository" "repository config $dmg: check names the repository config"
	gs_run '1|3' "repository config $dmg: agent backup refuses" A backup
	gs_run '1|3' "repository config $dmg: agent snapshots fails" A snapshots
	gs_run '1|3' "repository config $dmg: restore fails" R restore --target "$T/case/out"
	if [ "$dmg" != missing ]; then
		cp "$cfgobj" "$T/config.damaged"
		gs_run '1|3' "repository config $dmg: agent init refuses it" A init
		gs_check "repository config $dmg: init left the config object as it was" \
			cmp "$cfgobj" "$T/config.damaged"
	fi
done

gs_say "another tenant's objects dropped into acme's namespace"
case_copy
gs_keygen other
GS_REPO=$T/case/repo GS_STATE=$T/case/state-other gs_config "$T/other.ini" other "$T/src"
"$GS_AGENT" -c "$T/other.ini" init >"$GS_OUT" 2>&1 && "$GS_AGENT" -c "$T/other.ini" backup >"$GS_OUT" 2>&1 ||
	{ gs_show "$GS_OUT"; gs_fatal "backup of tenant other failed"; }
O=$T/case/repo/tenants/other
cp -a "$T/case" "$T/case-two-tenants"
for k in snapshots index packs; do
	rm -rf "$T/case" && cp -a "$T/case-two-tenants" "$T/case"
	f=$(find "$O/$k" -type f -regextype posix-extended -regex '.*/[0-9a-f]{32}' | xargs ls -S | head -n 1)
	n=${f##*/}
	rel=${f#"$O/"}
	mkdir -p "$(dirname "$D/$rel")" && cp "$f" "$D/$rel"
	gs_run 1 "other's $k object in acme's namespace: check --tenant acme exits 1" R check &&
		gs_err_has "$n" "check names the foreign object $n"
	gs_run 0 "other's $k object in acme's namespace: check --tenant other still clean" \
		"$GS_RESTORE" check --tenant other --repo "$T/case/repo" --key "$GS_KEYS/other.read"
	gs_run '0|1' "other's $k object in acme's namespace: agent snapshots does not crash" A snapshots
done
gs_finish
