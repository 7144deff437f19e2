# lib.sh -- helpers for tests/hostile/: the compromised production host.
# Sourced, never run (CTest skips files named lib.sh).
#
# Each test plays a ransomed production host that holds the tenant's write
# key and nothing else: the tools in $EVIL (tests/hostile/tools/*.c, linked
# with libgeosnap only) forge objects in the local repository, the nightly
# run ships them, and the test then shows that every snapshot made before
# the forgery still restores exactly, from the local repository and from the
# remote.
#
# Everything of tests/ship/lib.sh (ship_begin, ship_config, gs_run ...), plus:
#   hostile_begin TITLE   ship_begin, then one nightly run whose snapshot
#                         is $SNAP0 and whose source tree is recorded in
#                         $T/src0.json (the "before the forgery" state)
#   EVIL                  the directory of the tools
#   evil TOOL ARGS...     run $EVIL/TOOL with the repository and write key
#                         as its first two arguments; its stderr goes to
#                         $T/evil.err, its stdout is printed
#   restores_exactly SNAP MANIFEST WHAT
#                         restore SNAP from the local repository and from
#                         the remote fi1, and compare each with MANIFEST
#                         (recorded by gs_manifest); one pass/fail each
# shellcheck shell=bash source-path=SCRIPTDIR

# shellcheck source=../ship/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../ship/lib.sh"

EVIL=${GS_BUILD:-}/tests/hostile

evil() {
	local tool=$1
	shift
	[ -x "$EVIL/$tool" ] || gs_fatal "missing hostile tool $EVIL/$tool"
	"$EVIL/$tool" "$GS_REPO" "$GS_KEYS/acme.write" "$@" 2>"$T/evil.err" </dev/null ||
		{ gs_show "$T/evil.err"; gs_fatal "$tool $* failed"; }
}

hostile_begin() {
	ship_begin "$@"
	"$GS_AGENT" run >"$T/run0.out" 2>&1 || { gs_show "$T/run0.out"; gs_fatal "the first run failed"; }
	SNAP0=$(gs_snaps acme)
	[ "$(echo "$SNAP0" | wc -l)" = 1 ] || gs_fatal "expected one snapshot after the first run"
	gs_manifest "$T/data/acme" "$T/src0.json"
}

restores_exactly() {
	local snap=$1 man=$2 what=$3 from dir
	for from in local fi1; do
		dir=$T/restored-$from-$snap-$RANDOM
		gs_run 0 "$what: restore ${snap:0:12} from $from" \
			"$GS_RESTORE" restore --tenant acme --from "$from" --snapshot "$snap" --target "$dir"
		gs_treecmp "$what: ${snap:0:12} from $from equals the tree it was made of" "$man" "$dir"
		rm -rf "$dir"
	done
}
