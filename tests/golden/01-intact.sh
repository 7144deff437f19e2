#!/bin/bash
# 01-intact: the undamaged base repository of the golden tests checks clean,
# restores exactly, and every object is named by the XXH3-128 of its bytes
# as the stock xxh128sum prints it (so any copy can be checked without a key).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "an intact repository: objects named by xxh128sum, check clean"
golden_base
case_copy
gs_run 0 "check" R check
gs_run 0 "check --read-data" R check --read-data
gs_run 0 "agent snapshots" A snapshots
gs_run 0 "restore" R restore --target "$T/case/out" &&
	gs_treecmp "the restore is exact" "$T/src.json" "$T/case/out"
n=0 bad=0
while IFS= read -r p; do
	n=$((n + 1))
	[ "$(xxh128sum "$p" 2>/dev/null | cut -c1-32)" = "${p##*/}" ] || { bad=$((bad + 1)); gs_say "misnamed: $p"; }
done < <(find "$T/case/repo/tenants" -type f -regextype posix-extended -regex '.*/[0-9a-f]{32}')
if [ "$n" -ge 3 ] && [ "$bad" = 0 ]; then
	gs_pass "all $n objects are named by xxh128sum of their bytes"
else
	gs_fail "$bad of $n objects are not named by xxh128sum of their bytes"
fi
for kind in packs index snapshots; do
	[ -n "$(gs_objects acme $kind "$T/case/repo")" ] && gs_pass "the repository has $kind objects" ||
		gs_fail "the repository has no $kind objects"
done
gs_check "pack files sit in packs/<first 2 hex digits>/" bash -c '
	for p in $(find "$1" -type f); do
		n=${p##*/}; d=$(basename "$(dirname "$p")"); [ "$d" = "${n:0:2}" ] || exit 1
	done' _ "$T/case/repo/tenants/acme/packs"
gs_finish
