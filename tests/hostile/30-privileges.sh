#!/usr/bin/env bash
# M4, L2: a forged snapshot that plants privileges on the host that restores
# it as root (a setuid-root file, a setgid file, a cap_setuid capability, a
# trusted.* xattr, /dev/mem and /dev/sda as device nodes) and claims a file
# of 2^50 bytes with no chunks.
#   restore (no --privileged) leaves every privilege out and names it, exit
#     4; the 2^50 file is refused and named, and with it the exit is 1 (a
#     problem outranks warnings: docs/CLI.md); nothing near 2^50 bytes is written;
#   restore --privileged recreates the privileges (a full-system restore);
#   export --output - refuses the 2^50 file at once instead of streaming a
#     pebibyte of zeros; check exits 1 naming it;
#   the snapshot made before the forgery still restores exactly.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
hostile_begin "a forged snapshot with setuid, capabilities, devices, trusted.* and a 2^50-byte file"
gs_need getcap getfattr stat du tar head
[ "$(id -u)" = 0 ] || gs_fatal "must run as root (a root restore is what is tested)"

evil evil_privileges >"$T/forged"
S=$(cat "$T/forged")
[[ "$S" =~ ^[0-9a-f]{32}$ ]] || gs_fatal "evil_privileges printed no snapshot name: $S"
gs_say "forged snapshot $S"

# mode, owner and type as stat shows them
st() { stat -c '%a %U %F %t,%T' "$1" 2>&1; }

# ---- the default restore: privileges left out, each named -----------------
A=$T/restore-default
gs_run 1 "restore without --privileged: exit 1 (the 2^50 file) outranks 4" \
	"$GS_RESTORE" restore --tenant acme --snapshot "$S" --target "$A"
gs_err_has 'bin/rootshell: mode 4755: setuid bit not restored' "the setuid bit left out is named"
gs_err_has 'bin/sgidtool: mode 2755: setgid bit not restored' "the setgid bit left out is named"
gs_err_has 'bin/capshell: xattr security\.capability not restored' "the capability left out is named"
gs_err_has 'bin/trusted: xattr trusted\.evil not restored' "the trusted.* xattr left out is named"
gs_err_has 'bin/mem: character device 1,1 not restored' "the character device left out is named"
gs_err_has 'bin/disk: block device 8,0 not restored' "the block device left out is named"
gs_err_has 'huge\.img: the manifest records 1125899906842624 bytes, its chunks hold 0; not restored' \
	"the 2^50-byte file is refused and named"
gs_check "bin/rootshell is restored as 0755 root, without setuid" \
	test "$(st "$A/bin/rootshell")" = "755 root regular file 0,0"
gs_check "bin/sgidtool is restored as 0755, without setgid" \
	test "$(stat -c %a "$A/bin/sgidtool")" = 755
gs_check "bin/capshell has no capability (getcap prints nothing)" \
	test -z "$(getcap "$A/bin/capshell" 2>&1)"
gs_check "bin/trusted has no trusted.evil" \
	bash -c "! getfattr -h -n trusted.evil '$A/bin/trusted' 2>/dev/null"
gs_check "bin/trusted keeps its user.* xattr" \
	bash -c "getfattr -h --only-values -n user.ok '$A/bin/trusted' | grep -qx kept"
gs_check "no device nodes were made" test ! -e "$A/bin/mem" -a ! -e "$A/bin/disk"
gs_check "a setgid directory keeps its bit (it grants nothing)" \
	test "$(stat -c %a "$A/shared")" = 2775
gs_check "the ordinary file is restored" grep -qx 'an ordinary file' "$A/readme.txt"
gs_check "huge.img was not created" test ! -e "$A/huge.img"
gs_check "the whole restore takes less than 1 MiB on disk" \
	test "$(du -sk "$A" | cut -f1)" -lt 1024

gs_run 4 "restore of everything but the 2^50 file: exit 4, warnings only" \
	"$GS_RESTORE" restore --tenant acme --snapshot "$S" --include bin --include shared \
	--include readme.txt --target "$T/restore-warn"
gs_err_has 'bin/rootshell: mode 4755: setuid bit not restored' "exit 4: the setuid bit is named"
gs_err_has 'bin/mem: character device 1,1 not restored' "exit 4: the device is named"

# ---- --privileged: a full-system restore gets them back -------------------
P=$T/restore-privileged
gs_run 1 "restore --privileged: still exit 1 for the 2^50 file" \
	"$GS_RESTORE" restore --tenant acme --snapshot "$S" --privileged --target "$P"
gs_err_has 'huge\.img: .*not restored' "restore --privileged refuses the 2^50 file too"
if grep -q 'only with --privileged' "$GS_ERR"; then
	gs_fail "restore --privileged still left privileges out"
	gs_show "$GS_ERR"
else
	gs_pass "restore --privileged leaves nothing out"
fi
gs_check "--privileged: bin/rootshell is setuid root" \
	test "$(st "$P/bin/rootshell")" = "4755 root regular file 0,0"
gs_check "--privileged: bin/sgidtool is setgid" test "$(stat -c %a "$P/bin/sgidtool")" = 2755
gs_check "--privileged: getcap shows cap_setuid=ep on bin/capshell" \
	bash -c "getcap '$P/bin/capshell' | grep -q 'cap_setuid[=+]ep'"
gs_check "--privileged: bin/trusted has trusted.evil" \
	bash -c "getfattr -h --only-values -n trusted.evil '$P/bin/trusted' | grep -qx planted"
gs_check "--privileged: bin/mem is the character device 1,1, mode 0666" \
	test "$(st "$P/bin/mem")" = "666 root character special file 1,1"
gs_check "--privileged: bin/disk is the block device 8,0, mode 0660" \
	test "$(st "$P/bin/disk")" = "660 root block special file 8,0"
gs_check "--privileged: huge.img was not created" test ! -e "$P/huge.img"
rm -rf "$P" "$A" "$T/restore-warn"
gs_run 0 "restore --privileged of everything but the 2^50 file: exit 0" \
	"$GS_RESTORE" restore --tenant acme --snapshot "$S" --privileged --include bin \
	--include shared --include readme.txt --target "$P"
rm -rf "$P"

# ---- export: the 2^50 file is refused before its header --------------------
# At most 64 MiB are read from the pipe: were the zeros streamed, head would
# stop reading and export would die of SIGPIPE (exit 141).
limit=$((64 << 20))
"$GS_RESTORE" export --tenant acme --snapshot "$S" --format tar --output - \
	2>"$T/export.err" </dev/null | head -c "$limit" >"$T/export.tar"
rc=${PIPESTATUS[0]}
[ "$rc" = 1 ] && gs_pass "export --output - exits 1 (exit $rc)" ||
	{ gs_fail "export --output - exited $rc, wanted 1"; gs_show "$T/export.err"; }
size=$(stat -c %s "$T/export.tar")
[ "$size" -lt 1048576 ] && gs_pass "export wrote a small archive ($size bytes), not 2^50 bytes" ||
	gs_fail "export wrote $size bytes"
grep -q 'huge\.img: the manifest records 1125899906842624 bytes, its chunks hold 0; left out of the archive' \
	"$T/export.err" && gs_pass "export names the 2^50-byte file it left out" ||
	{ gs_fail "export does not name huge.img"; gs_show "$T/export.err"; }
tar -tvf "$T/export.tar" >"$T/export.list" 2>&1
gs_check "the archive is complete and holds the other entries" \
	grep -q 'bin/rootshell' "$T/export.list"
gs_check "the archive does not hold huge.img" bash -c "! grep -q huge.img '$T/export.list'"

# ---- check ------------------------------------------------------------------
gs_run 1 "check exits 1" "$GS_RESTORE" check --tenant acme
gs_err_has "snapshot $S: huge\.img: the manifest records 1125899906842624 bytes, its chunks hold 0" \
	"check names the snapshot and the 2^50-byte file"

restores_exactly "$SNAP0" "$T/src0.json" "before the forgery"
gs_finish
