#!/bin/bash
# options: the documentation covers what the programs accept.  Every
# command that `geosnap-agent --help` and `geosnap-restore --help` list, and
# every --option that the programs' and their commands' --help print, is in
# docs/CLI.md and in the program's man page; every key of
# conf/geosnap.ini.sample is in docs/CLI.md and in geosnap.ini(5).
#
# Environment (set by CTest): GS_AGENT, GS_RESTORE the programs, GS_SRC the
# source tree, GS_BUILD the build tree (the built man pages).
set -u -o pipefail

: "${GS_AGENT:?run through ctest}" "${GS_RESTORE:?run through ctest}"
: "${GS_SRC:?run through ctest}" "${GS_BUILD:?run through ctest}"
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../lib/harness.sh"
ok() { gs_pass "$@"; }
not_ok() { gs_fail "$@"; }
# after the harness, which sets the C locale: man needs UTF-8
export LC_ALL=C.UTF-8

CLI=$GS_SRC/docs/CLI.md
MAN=$GS_BUILD/docs/man

# covered WHAT NEEDLE FILE...: NEEDLE (fixed string) is in every FILE.
covered() {
	local what=$1 needle=$2 f missing=()
	shift 2
	for f in "$@"; do
		if [ ! -s "$f" ]; then
			missing+=("$f (missing: not built?)")
		elif ! grep -qF -- "$needle" "$f"; then
			missing+=("$(basename "$f")")
		fi
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		ok "$what"
	else
		not_ok "$what: not in ${missing[*]}"
	fi
}

# commands PROG: the commands its --help lists ("  NAME  ..." lines).
commands() { "$1" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | sort -u; }
# options TEXT: the long options named in TEXT.
options() { grep -oE -- '--[a-z][a-z-]*[a-z]' | sort -u; }

for prog in agent restore; do
	bin=GS_${prog^^}
	bin=${!bin}
	page=$MAN/geosnap-$prog.8
	cmds=$(commands "$bin")
	if [ -z "$cmds" ]; then
		not_ok "geosnap-$prog --help lists no command"
		continue
	fi
	help=$("$bin" --help)
	for c in $cmds; do
		# the man page sets each command in bold; CLI.md gives it a heading
		covered "geosnap-$prog $c: documented" "\\fB$c\\fR" "$page"
		covered "geosnap-$prog $c: in CLI.md" "### $c" "$CLI"
		if ! chelp=$("$bin" "$c" --help); then
			not_ok "geosnap-$prog $c --help failed"
			continue
		fi
		help+=$'\n'$chelp
	done
	for o in $(printf '%s\n' "$help" | options); do
		covered "geosnap-$prog $o: documented" "$o" "$page" "$CLI"
	done
done

keys=$(sed -n 's/^;\{0,1\}\([a-z_][a-z_]*\) = .*/\1/p' "$GS_SRC/conf/geosnap.ini.sample" | sort -u)
if [ -z "$keys" ]; then
	not_ok "no key found in conf/geosnap.ini.sample"
fi
for k in $keys; do
	covered "geosnap.ini key $k: documented" "$k" "$MAN/geosnap.ini.5" "$CLI"
done

gs_finish
