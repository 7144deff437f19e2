#!/usr/bin/env bash
# L3: every string the restore side shows comes from a snapshot, which the
# production host wrote.  A forged snapshot whose host name, owner and group
# names, paths, symlink target and xattr name hold terminal escapes (ESC [ 2
# J, a raw 0x9b byte, the UTF-8 C1 control U+009B, BEL): neither `snapshots`
# (geosnap-restore and geosnap-agent), nor `ls` (text and --json), nor the
# messages of `restore`, `export` and `check` emit a raw ESC, BEL or 0x9b
# byte; the strings are shown escaped.  The snapshot made before the forgery
# still restores exactly.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
hostile_begin "hostile strings with terminal escapes"
gs_need grep od

evil evil_escapes >"$T/forged"
S=$(cat "$T/forged")
[[ "$S" =~ ^[0-9a-f]{32}$ ]] || gs_fatal "evil_escapes printed no snapshot name: $S"
gs_say "forged snapshot $S"

# What the forged strings look like escaped (gs_quote): ESC [ 2 J, raw CSI
# 0x9b, "31m", BEL, UTF-8 CSI C2 9B, "0m".
ESCAPED='\033[2J\23331m\007\302\2330m'

# clean WHAT: pass when neither stdout nor stderr of the last gs_run holds a
# raw ESC, BEL or 0x9b byte (everything printed here is ASCII, so a 0x9b
# cannot be part of a legitimate UTF-8 character).
clean() {
	local f bad=
	for f in "$GS_OUT" "$GS_ERR"; do
		LC_ALL=C grep -qaP '[\x07\x1b\x9b]' "$f" && bad="$bad $(basename "$f")"
	done
	if [ -z "$bad" ]; then
		gs_pass "$1: no raw ESC, BEL or 0x9b byte"
		return 0
	fi
	gs_fail "$1: raw control bytes in$bad"
	for f in "$GS_OUT" "$GS_ERR"; do
		LC_ALL=C grep -naP '[\x07\x1b\x9b]' "$f" | head -n 3 | od -c | head -n 8 | sed 's/^/#   /'
	done
	return 1
}

# shows FILE WHAT: FILE holds the escaped form of the forged strings.
shows() {
	if grep -qF -- "$ESCAPED" "$1"; then
		gs_pass "$2"
		return 0
	fi
	gs_fail "$2: no '$ESCAPED' in $(basename "$1")"
	gs_show "$1"
	return 1
}

gs_run 0 "geosnap-restore snapshots" "$GS_RESTORE" snapshots --tenant acme
clean "snapshots"
shows "$GS_OUT" "snapshots shows the host name escaped"
gs_run 0 "geosnap-restore snapshots --json" "$GS_RESTORE" snapshots --tenant acme --json
clean "snapshots --json"
gs_out_has '"host":"web1\\u001b\[2J\\udc9b31m\\u0007\\u009b0m"' \
	"snapshots --json escapes the host name (\\u001b, \\udc9b, \\u009b)"
gs_run 0 "geosnap-agent snapshots" "$GS_AGENT" snapshots
clean "agent snapshots"
shows "$GS_OUT" "agent snapshots shows the host name escaped"

gs_run 0 "ls" "$GS_RESTORE" ls --tenant acme "$S"
clean "ls"
gs_out_has "u\\\\033\\[2J.*/g\\\\033\\[2J" "ls shows owner and group names escaped"
shows "$GS_OUT" "ls shows paths escaped"
gs_out_has "-> target\\\\033" "ls shows the symlink target escaped"
gs_run 0 "ls --json" "$GS_RESTORE" ls --tenant acme --json "$S"
clean "ls --json"

gs_run 1 "restore -v (exit 1: a file with a size its chunks cannot have)" \
	"$GS_RESTORE" -v restore --tenant acme --snapshot "$S" --target "$T/restored"
clean "restore -v"
shows "$GS_ERR" "restore names the entries escaped"
gs_err_has 'xattr trusted\.\\033\[2J' "restore names the xattr it left out escaped"
gs_err_has 'character device 1,3 not restored' "restore names the device it left out"
gs_err_has '/huge\\033\[2J.*not restored' "restore names the refused file escaped"

gs_run 1 "export -v (exit 1: the same file left out)" \
	"$GS_RESTORE" -v export --tenant acme --snapshot "$S" --format pax --output "$T/x.tar"
clean "export -v"
shows "$GS_ERR" "export names the entries escaped"

gs_run 1 "check (exit 1: the same file)" "$GS_RESTORE" check --tenant acme
clean "check"
gs_err_has "snapshot $S: d\\\\033\\[2J.*/huge\\\\033\\[2J" "check names the file escaped"

restores_exactly "$SNAP0" "$T/src0.json" "before the forgery"
gs_finish
