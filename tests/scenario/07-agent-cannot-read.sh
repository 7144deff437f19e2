#!/bin/bash
# 07-agent-cannot-read: geosnap-agent holds the write key only and no
# command of it can produce any plaintext content or file name from the
# repository.  A tree whose names, contents, symlink targets and xattrs
# carry a random marker is backed up twice; then the source and the agent's
# state are deleted and every agent command (and --help of each) is run,
# even with the read key and its passphrase within reach; the marker must
# appear in none of their output, nor anywhere in the repository's bytes.
# The agent binary must not even link the functions that open sealed data
# keys or passphrase-sealed read keys.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "the agent cannot read what it wrote"
gs_need nm objdump grep setfattr od
MARK=GSMARK_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
gs_say "marker: $MARK"

S=$T/src
mkdir -p "$S/$MARK-dir/sub"
(
	set -e
	cd "$S"
	echo "$MARK" >"$MARK-only-marker"
	printf '%s\n' "$MARK is in this sentence" >"$MARK-dir/sub/$MARK file.txt"
	for i in $(seq 1 20000); do echo "line $i $MARK"; done >"compressible-$MARK.log"
	{ head -c 100000 /dev/urandom; echo "$MARK"; head -c 100000 /dev/urandom; } >"$MARK-dir/mixed.bin"
	ln -s "target-$MARK" "link-$MARK"
	ln -s "$MARK-dir/sub" "dirlink"
	echo x >plain && setfattr -n "user.$MARK" -v "value-$MARK" plain
	ln "$MARK-only-marker" "hardlink-$MARK"
	mkfifo "fifo-$MARK"
) || gs_fatal "could not build the marked tree"

gs_keygen acme
mkdir -p "$T/readkeys" && mv "$GS_KEYS/acme.read" "$T/readkeys/"
CFG=$T/agent.ini
gs_config "$CFG" acme "$S"
sed -i '/^read_key/d' "$CFG"
ALL=$T/agent-output.txt
: >"$ALL"
# run WANT WHAT ARGS...: an agent command; its output is collected in $ALL
run() {
	local want=$1 what=$2
	shift 2
	gs_run "$want" "$what" "$GS_AGENT" "$@"
	{ echo "== geosnap-agent $*"; cat "$GS_OUT" "$GS_ERR"; } >>"$ALL"
}

run 0 "init" -c "$CFG" init
run 0 "backup" -c "$CFG" -v backup
echo "second version $MARK" >>"$S/$MARK-dir/sub/$MARK file.txt"
mv "$S/plain" "$S/renamed-$MARK"
run 0 "second backup" -c "$CFG" -v backup
gs_check "two snapshots were made" test "$(gs_snaps acme | wc -l)" = 2

gs_say "the repository's raw bytes"
if grep -r -a -l -F "$MARK" "$GS_REPO" >"$T/repo-hits" 2>&1; then
	gs_fail "the marker appears in plaintext in the repository:"
	gs_show "$T/repo-hits"
else
	gs_pass "the marker appears nowhere in the repository's bytes ($(find "$GS_REPO" -type f | wc -l) files)"
fi
gs_check "no file or directory name in the repository carries the marker" \
	test -z "$(find "$GS_REPO" -name "*$MARK*")"
# not the repository, but worth knowing: the files cache on the agent host
if grep -r -a -q -F "$MARK" "$GS_STATE" 2>/dev/null; then
	gs_say "note: the agent's state_dir (files cache) holds file names in plaintext"
fi

gs_say "now the source and the agent's state are gone; only the repository is left"
rm -rf "$S" "$GS_STATE"
mkdir -p "$S"
# Every command, even with the read key and its passphrase within reach.
CFG2=$T/agent-with-read-key.ini
cp "$CFG" "$CFG2" && echo "read_key = $T/readkeys/acme.read" >>"$CFG2"
for cfg in "$CFG" "$CFG2"; do
	run 0 "init ($(basename "$cfg"))" -c "$cfg" init
	run 0 "snapshots" -c "$cfg" snapshots
	gs_out_has "scenario-host" "snapshots shows the snapshots (host name)"
	run 0 "snapshots --json" -c "$cfg" snapshots --json
	run 0 "snapshots --tenant acme --json -v" -c "$cfg" -v snapshots --tenant acme --json
	run 0 "backup of an empty source" -c "$cfg" -v backup
done
for cmd in init backup snapshots; do
	run 0 "$cmd --help" "$cmd" --help
	run 0 "$cmd --help with a config" -c "$CFG" "$cmd" --help
done
run 0 "--help" --help
run 0 "--version" --version
run 2 "an unknown command" -c "$CFG" cat
run 2 "an unknown option" -c "$CFG" snapshots --show-names
run 2 "snapshots of an unknown tenant" -c "$CFG" snapshots --tenant nobody
gs_say "$(grep -c '^== ' "$ALL") agent runs, $(wc -c <"$ALL") bytes of output collected"
if grep -a -n -F "$MARK" "$ALL" >"$T/out-hits"; then
	gs_fail "the marker appears in the agent's output:"
	gs_show "$T/out-hits"
else
	gs_pass "the marker appears in none of the agent's output"
fi
gs_check "the agent's output names no source file (not even the marker-free ones)" \
	bash -c '! grep -a -E "compressible|mixed\.bin|dirlink|renamed-" "$1"' _ "$ALL"

gs_say "the agent binary cannot open sealed data: its symbols"
syms() { { nm -D "$1" 2>/dev/null; nm "$1" 2>/dev/null; objdump -T "$1" 2>/dev/null; } | awk '{ print $NF }' | sort -u; }
syms "$GS_AGENT" >"$T/agent.syms"
syms "$GS_RESTORE" >"$T/restore.syms"
grep -qx 'crypto_box_seal' "$T/agent.syms" && gs_pass "the agent links crypto_box_seal (the symbol check sees libsodium)" ||
	gs_fail "crypto_box_seal not found among the agent's symbols: the check cannot see libsodium"
grep -qx 'crypto_box_seal_open' "$T/restore.syms" && gs_pass "geosnap-restore links crypto_box_seal_open (so it would be seen)" ||
	gs_fail "crypto_box_seal_open not found in geosnap-restore: the symbol check is blind"
for f in crypto_box_seal_open crypto_box_open crypto_box_open_easy crypto_box_open_detached \
	crypto_box_open_afternm crypto_box_open_easy_afternm crypto_box_beforenm \
	crypto_aead_aes256gcm_decrypt crypto_aead_aes256gcm_decrypt_afternm \
	crypto_aead_aes256gcm_decrypt_detached crypto_secretbox_open_easy crypto_pwhash; do
	grep -qx "$f" "$T/agent.syms" && gs_fail "geosnap-agent links $f" || gs_pass "geosnap-agent does not link $f"
done
gs_finish
