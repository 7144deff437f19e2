#!/bin/bash
# man-pages: every man page built from docs/man/*.scd (geosnap-agent(8),
# geosnap-restore(8), geosnap.ini(5)) renders at 80 columns without a
# single warning from man and groff, and has every @NAME@ of its source
# substituted.  A page that was not built (scdoc missing when CMake
# configured) is a failure, not a skip.
#
# Environment (set by CTest): GS_SRC the source tree, GS_BUILD the build tree.
set -u -o pipefail

: "${GS_SRC:?run through ctest (GS_SRC unset)}" "${GS_BUILD:?run through ctest (GS_BUILD unset)}"
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../lib/harness.sh"
ok() { gs_pass "$@"; }
not_ok() { gs_fail "$@"; }
# after the harness, which sets the C locale: man needs UTF-8
export LC_ALL=C.UTF-8 MANWIDTH=80

if ! command -v man >/dev/null; then
	gs_fatal "man is missing (Debian package man-db; bash tests/deps.sh installs it)"
fi

pages=0
for scd in "$GS_SRC"/docs/man/*.scd; do
	page=$(basename "$scd" .scd)
	out=$GS_BUILD/docs/man/$page
	pages=$((pages + 1))
	if [ ! -s "$out" ] || [ ! -s "$out.gz" ]; then
		not_ok "$page: $out or $out.gz was not built (scdoc missing when CMake configured? apt-get install scdoc, then reconfigure)"
		continue
	fi
	if warn=$(man --warnings -l "$out" 2>&1 >/dev/null) && [ -z "$warn" ]; then
		ok "$page: no warning from man --warnings"
	else
		not_ok "$page: man --warnings says:"
		printf '# %s\n' "$warn"
	fi
	if left=$(grep -o '@[A-Za-z_]*@' "$out"); then
		not_ok "$page: not substituted: $(echo "$left" | sort -u | tr '\n' ' ')"
	else
		ok "$page: every @NAME@ substituted"
	fi
	if zcmp -s "$out.gz" "$out"; then
		ok "$page.gz: the same page"
	else
		not_ok "$page.gz differs from $page"
	fi
done
[ "$pages" -eq 3 ] && ok "3 page sources" || not_ok "expected 3 page sources in docs/man, found $pages"

gs_finish
