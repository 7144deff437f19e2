#!/bin/bash
# conventions: the source tree keeps the layout rules of docs (README.md,
# "Source layout"): no source file over 800 lines, a contract comment on
# every exported function in its header and above its definition, and no
# command file calling into another (tests/lib/conventions.py).
#
# Environment (set by CTest): GS_SRC the source tree.
set -u -o pipefail
: "${GS_SRC:?run through ctest (GS_SRC unset)}"
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../lib/harness.sh"
gs_start "layout rules of the source tree"
gs_scratch
gs_need python3
if python3 "$GS_TESTS_LIB/conventions.py" "$GS_SRC" >"$GS_OUT" 2>&1; then
	gs_pass "no file over 800 lines, every exported function has its contracts, no command file calls another"
else
	gs_fail "the tree breaks the layout rules:"
	gs_show "$GS_OUT" 100
fi
gs_finish
