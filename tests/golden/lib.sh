# lib.sh -- helpers for the golden (damaged repository) tests; builds on
# tests/scenario/lib.sh (and so on tests/lib/harness.sh and repo.sh).
# Sourced, never run.
#
# golden_base makes $T/base: a repository with one snapshot of $T/src, whose
# state is recorded in $T/src.json.  corrupt_case copies it to $T/case,
# damages one object with tests/lib/corrupt.py and checks that:
#   - `geosnap-restore check` exits 1 and names the damaged object (its
#     32-hex name) -- with --read-data too;
#   - `geosnap-agent snapshots` and `backup` do not crash;
#   - `geosnap-restore restore` does not crash, and exits 0 only when the
#     restored tree is exactly the source, 1 otherwise.
# shellcheck source=../scenario/lib.sh
# shellcheck shell=bash source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/../scenario/lib.sh"

golden_base() {
	gs_need xxh128sum
	mkdir -p "$T/src/dir/sub" || gs_fatal "mkdir"
	(
		set -e
		cd "$T/src"
		printf 'golden text file\n' >text
		seq 1 100000 >dir/numbers
		head -c 3000000 /dev/urandom >dir/random
		: >empty
		ln -s text link
		ln dir/numbers dir/sub/hardlink
		touch -d '2020-01-01 00:00:00.5 UTC' text
	) || gs_fatal "could not build the source tree"
	gs_keygen acme
	GS_REPO=$T/base/repo
	GS_STATE=$T/base/state
	gs_config "$T/base.ini" acme "$T/src"
	"$GS_AGENT" -c "$T/base.ini" init >"$GS_OUT" 2>&1 &&
		"$GS_AGENT" -c "$T/base.ini" backup >"$GS_OUT" 2>&1 ||
		{ gs_show "$GS_OUT"; gs_fatal "could not make the base repository"; }
	gs_manifest "$T/src" "$T/src.json"
	# the copies get a configuration of their own
	GS_REPO=$T/case/repo
	GS_STATE=$T/case/state
	gs_config "$T/case.ini" acme "$T/src"
}

# R ARGS...: geosnap-restore on the case repository with the read key.
R() {
	local cmd=$1
	shift
	"$GS_RESTORE" "$cmd" --tenant acme --repo "$T/case/repo" --key "$GS_KEYS/acme.read" "$@"
}
A() { "$GS_AGENT" -c "$T/case.ini" "$@"; }

# case_copy: a fresh copy of the base repository in $T/case.
case_copy() {
	rm -rf "$T/case" && cp -a "$T/base" "$T/case" || gs_fatal "copying the base repository"
}

# pick KIND: path of the largest object of KIND in the case repository.
pick() {
	local f
	f=$(gs_objects acme "$1" "$T/case/repo" | xargs -r ls -S 2>/dev/null | head -n 1)
	[ -n "$f" ] || gs_fatal "the base repository has no $1 object"
	echo "$f"
}

# rename_to_content PATH: move the object to the name of its new content,
# so that only the parser (not the name check) can notice the damage.
# Prints the new name.
rename_to_content() {
	local p=$1 kind tdir new dest
	kind=$(basename "$(dirname "$p")")
	tdir=$(dirname "$(dirname "$p")")
	case $kind in
	index | snapshots) ;;
	*) kind=packs tdir=$(dirname "$tdir") ;; # packs/<2 hex>/
	esac
	new=$(xxh128sum "$p" 2>/dev/null | cut -c1-32)
	dest=$tdir/$(gs_obj_relpath "$kind" "$new")
	mkdir -p "$(dirname "$dest")" && mv "$p" "$dest" && echo "$new"
}

# expect_checks LABEL NAME: the check and no-crash expectations for a case
# repository whose object NAME is damaged.
expect_checks() {
	local label=$1 name=$2
	gs_run 1 "$label: check exits 1" R check &&
		gs_err_has "$name" "$label: check names object $name"
	gs_run 1 "$label: check --read-data exits 1" R check --read-data &&
		gs_err_has "$name" "$label: check --read-data names object $name"
	gs_run '0|1' "$label: agent snapshots does not crash" A snapshots
	if [ "$GS_RC" = 1 ]; then
		gs_err_has "$name" "$label: agent snapshots names object $name"
	fi
	rm -rf "$T/case/out"
	if gs_run '0|1' "$label: restore does not crash" R restore --target "$T/case/out"; then
		if [ "$GS_RC" = 0 ]; then
			gs_treecmp "$label: restore said all is well, so the tree is exact" "$T/src.json" "$T/case/out"
		else
			gs_check "$label: restore says what is wrong" test -s "$GS_ERR"
		fi
	fi
	gs_run '0|1|3|4' "$label: agent backup does not crash" A backup
}

# corrupt_case KIND LABEL RENAME OP ARGS...: damage the largest
# object of KIND (packs, index, snapshots) with `corrupt.py FILE OP ARGS`,
# optionally rename it to its new content's name, and run expect_checks.
corrupt_case() {
	local kind=$1 label=$2 rename=$3 obj name
	shift 3
	case_copy
	obj=$(pick "$kind")
	name=${obj##*/}
	python3 "$GS_TESTS_LIB/corrupt.py" "$obj" "$@" >"$T/corrupt.out" 2>&1 ||
		{ gs_show "$T/corrupt.out"; gs_fatal "$label: corrupt.py $* failed"; }
	if [ "$rename" = 1 ]; then
		# either name will do: the new one (a damaged object) or the old
		# one (referenced, and now missing)
		name="$(rename_to_content "$obj")|$name" || gs_fatal "$label: renaming failed"
		label="$label, renamed"
	fi
	gs_say "$label: $(cat "$T/corrupt.out")"
	expect_checks "$label" "$name"
}
