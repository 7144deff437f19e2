#!/bin/bash
# 05-vanish-change: source files that cannot be read, vanish, are replaced or
# change while the agent reads them make it exit 4, naming each on stderr,
# and the snapshot it still makes checks clean and restores exactly what was
# read.  Every case but D is deterministic without sleeps:
#   A  unreadable files and directories: the agent runs as nobody
#   B  vanished and replaced files: with threads = 1 the worker reads files in
#      directory order, so while it is busy with the first (a 1 GiB sparse
#      file, seen open in /proc/PID/fd) the ones after it are deleted/replaced
#   C  a file appended to while the worker reads it (same trick)
#   D  2000 files deleted by a background loop during the backup (racy: exit
#      0 or 4; if 4, each named file really vanished)
#   E  a file appended to by a bounded background writer during the backup
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "unreadable, vanishing and changing source files: exit 4, valid snapshot"
gs_need setpriv truncate head cmp
[ "$(id -u)" = 0 ] || gs_fatal "must run as root (to run the agent as nobody)"
chmod 755 "$T"
NOBODY=65534

# setup NAME: config and source directory for one case in $T/NAME (the
# repository and state go there too); the config is $C, the source $S.
setup() {
	local n=$1
	mkdir -p "$T/$n/src"
	S=$T/$n/src
	C=$T/$n/geosnap.ini
	GS_REPO=$T/$n/repo GS_STATE=$T/$n/state gs_config "$C" acme "$S"
}
A() { "$GS_AGENT" -c "$C" "$@"; }
R() { "$GS_RESTORE" -c "$C" "$@"; }
gs_keygen acme

# valid_snapshot CASE: the snapshot made with warnings checks clean and
# restores exactly the given tree (or manifest) with the given treecmp options
valid_snapshot() {
	local n=$1 want=$2
	shift 2
	gs_run 0 "$n: check --read-data of the snapshot made with warnings" R check --tenant acme --read-data
	gs_run 0 "$n: the snapshot restores" R restore --tenant acme --target "$T/$n/out" || return
	gs_treecmp "$n: the restore holds what was there to read" "$want" "$T/$n/out" "$@"
}

# wait_open PID FILE: until process PID has FILE open (60 s at most)
is_open() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}
wait_open() {
	gs_wait_until 60 is_open "$1" "$2" || { kill -0 "$1" 2>/dev/null || return 2; return 1; }
}

# ---- A: unreadable ------------------------------------------------------
gs_say "A: unreadable files and a closed directory; the agent runs as nobody"
setup A
(
	set -e
	cd "$S"
	echo readable >readable
	mkdir -p open-dir && echo fine >open-dir/fine
	echo secret >secret && chmod 000 secret
	echo writeonly >writeonly && chmod 200 writeonly
	mkdir -p closed-dir && echo hidden >closed-dir/hidden && chmod 000 closed-dir
) || gs_fatal "A: building the tree"
mkdir -p "$T/A/keys" && cp "$GS_KEYS/acme.write" "$T/A/keys/" &&
	sed -i "s|^write_key = .*|write_key = $T/A/keys/acme.write|" "$C" &&
	chown -R "$NOBODY:$NOBODY" "$T/A" && chmod 700 "$T/A/keys" ||
	gs_fatal "A: preparing files for nobody"
AN() { setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups "$GS_AGENT" -c "$C" "$@"; }
gs_run 0 "A: agent init as nobody" AN init || gs_fatal "A: init as nobody failed"
gs_manifest "$S" "$T/A/src.json"
gs_run 4 "A: backup as nobody exits 4" AN backup
gs_err_has "secret" "A: stderr names the unreadable file 'secret'"
gs_err_has "writeonly" "A: stderr names the write-only file 'writeonly'"
gs_err_has "closed-dir" "A: stderr names the closed directory"
gs_err_has "unreadable" "A: the summary counts unreadable files"
[ -n "$(gs_snaps acme "$T/A/repo")" ] || gs_fail "A: no snapshot was made"
# The unreadable files are not in the snapshot; the closed directory itself is.
valid_snapshot A "$T/A/src.json" --exclude secret --exclude writeonly --exclude closed-dir/hidden
gs_check "A: no unreadable file was recorded as an empty or partial file" \
	test ! -e "$T/A/out/secret" -a ! -e "$T/A/out/writeonly" -a ! -e "$T/A/out/closed-dir/hidden"
gs_run 4 "A: verify (volume parity) of the snapshot made with warnings exits 4" AN verify
gs_err_has "snapshot [0-9a-f]{12}: .*secret" "A: verify lists the unreadable file 'secret' from the scan"
gs_err_has "snapshot [0-9a-f]{12}: .*closed-dir" "A: verify lists the closed directory from the scan"

# ---- B: vanished and replaced -------------------------------------------
# 600 files; with threads = 1 the first in directory order (made an 8 GiB
# sparse file) keeps the one worker busy, and the agent is stopped
# (SIGSTOP) while the files change.  The walker queues at most 256
# files and then waits, so when the worker is seen reading the first file
# and the walker is seen waiting (/proc/PID/task/PID/wchan):
#   files 3-101 are queued (stat taken, not yet opened): deleted -> the
#     worker finds them gone and must name each; file 2 is replaced instead;
#   files 301-450 have not been reached by the walker: deleted -> whether
#     the walker mentions them is its choice (they were gone before it
#     looked), but if it does they count as vanished, not unreadable;
#   files 102-300 and 451-600 stay and must not be named.
gs_say "B: files deleted and replaced while the worker reads an earlier file"
setup B
for i in $(seq -w 1 600); do echo "file $i" >"$S/f$i"; done
mapfile -t order < <(python3 -c 'import os,sys; print("\n".join(os.listdir(sys.argv[1])))' "$S")
first=${order[0]}
rm "$S/$first" && truncate -s 8G "$S/$first" && echo end >>"$S/$first"
replaced=${order[1]}
queued=("${order[@]:2:99}")
unwalked=("${order[@]:300:150}")
stay=("${order[@]:101:199}" "${order[@]:450}")
sed -i 's/^state_dir = .*/&\nthreads = 1/' "$C"
gs_run 0 "B: agent init" A init
gs_bg "$GS_AGENT" -c "$C" backup >"$T/B/backup.out" 2>"$T/B/backup.err"
pid=$GS_BG_PID
# walker_waits PID: the walker (the main thread) sleeps on a futex: the
# queue is full (a loaded machine may let the worker open the first file
# well before the walker has queued the next 256).  The kernel says so in
# wchan, or (where wchan reads 0) by the syscall the thread is blocked in.
case $(uname -m) in
x86_64) FUTEX_NR=202 ;;
aarch64) FUTEX_NR=98 ;;
*) FUTEX_NR=none ;;
esac
walker_waits() {
	grep -q futex "/proc/$1/task/$1/wchan" 2>/dev/null ||
		[ "$(cut -d' ' -f1 "/proc/$1/task/$1/syscall" 2>/dev/null)" = "$FUTEX_NR" ]
}
if wait_open "$pid" "$S/$first" && gs_wait_until 60 walker_waits "$pid" && is_open "$pid" "$S/$first"; then
	# Stop the agent while the files change, so the one worker cannot
	# finish the (sparse, fast to read) first file and reach the queued
	# ones before they are gone.
	kill -STOP "$pid"
	gs_pass "B: the worker has $first (8 GiB, sparse) open and the walker waits on the full queue; agent stopped"
	for v in "${queued[@]}" "${unwalked[@]}"; do rm "$S/$v"; done
	echo "a new file under the old name" >"$S/$replaced.new" && mv "$S/$replaced.new" "$S/$replaced"
	kill -CONT "$pid"
else
	gs_fail "B: never saw the agent hold $S/$first open with the walker waiting on the full queue"
fi
wait "$pid"
rc=$?
cp "$T/B/backup.err" "$GS_ERR"
[ "$rc" = 4 ] && gs_pass "B: backup exits 4" ||
	{ gs_fail "B: backup exit $rc, wanted 4"; gs_show "$GS_ERR"; }
# count_named FILE...: how many of the files stderr names
count_named() {
	local n=0 f
	for f in "$@"; do grep -qF -- "$S/$f" "$GS_ERR" && n=$((n + 1)); done
	echo "$n"
}
n=$(count_named "${queued[@]}")
[ "$n" = "${#queued[@]}" ] && gs_pass "B: stderr names each of the ${#queued[@]} queued files that vanished" ||
	{ gs_fail "B: stderr names $n of the ${#queued[@]} queued files that vanished"; gs_show "$GS_ERR" 5; }
n_unwalked=$(count_named "${unwalked[@]}")
gs_say "B: $n_unwalked of the ${#unwalked[@]} files deleted ahead of the walk were mentioned"
n=$(count_named "${stay[@]}" "$first")
[ "$n" = 0 ] && gs_pass "B: stderr names none of the ${#stay[@]} files that stayed" ||
	{ gs_fail "B: stderr names $n files that did not vanish, e.g.:"; grep -F -- "$S/${stay[0]%?}" "$GS_ERR" | head -n 3 | sed 's/^/#   | /'; }
gs_err_has "$S/$replaced: replaced" "B: stderr names the replaced file"
want=$((${#queued[@]} + n_unwalked))
gs_err_has "made with warnings: $want vanished, [0-9]+ changed, 0 unreadable" \
	"B: the summary counts the $want files named as vanished and no unreadable one"
valid_snapshot B "$S" --exclude "$replaced"
gs_check "B: the replaced file is either absent or has its new content" \
	bash -c '[ ! -e "$1" ] || cmp -s "$1" "$2"' _ "$T/B/out/$replaced" "$S/$replaced"

# ---- C: changed while read ----------------------------------------------
gs_say "C: a file appended to while the worker reads it"
setup C
truncate -s 1G "$S/big" && echo small >"$S/small"
sed -i 's/^state_dir = .*/&\nthreads = 1/' "$C"
gs_run 0 "C: agent init" A init
size0=$(stat -c %s "$S/big")
gs_bg "$GS_AGENT" -c "$C" backup >"$T/C/backup.out" 2>"$T/C/backup.err"
pid=$GS_BG_PID
if wait_open "$pid" "$S/big"; then
	gs_pass "C: the worker has big open"
	echo "appended while being read" >>"$S/big"
else
	gs_fail "C: never saw the agent open $S/big"
fi
wait "$pid"
rc=$?
cp "$T/C/backup.err" "$GS_ERR"
[ "$rc" = 4 ] && gs_pass "C: backup exits 4" ||
	{ gs_fail "C: backup exit $rc, wanted 4"; gs_show "$GS_ERR"; }
gs_err_has "$S/big: changed" "C: stderr names the changed file"
valid_snapshot C "$S" --exclude big
if [ -f "$T/C/out/big" ]; then
	got=$(stat -c %s "$T/C/out/big")
	gs_check "C: the restored file is what was read: $got bytes, a prefix of the file now, at least $size0" \
		bash -c '[ "$1" -ge "$2" ] && cmp -s -n "$1" "$3" "$4"' _ "$got" "$size0" "$T/C/out/big" "$S/big"
else
	gs_fail "C: the changed file is missing from the restore"
fi
gs_run 0 "C: the next backup (nothing changing) exits 0" A backup
rm -rf "$T/C/out"
gs_run 0 "C: and restores the file as it is now" R restore --tenant acme --target "$T/C/out" &&
	gs_treecmp "C: latest snapshot = source" "$S" "$T/C/out"

# ---- D: racing deletions ------------------------------------------------
gs_say "D: 2000 files deleted by a background loop during the backup (racy)"
setup D
mkdir -p "$S/many"
for i in $(seq 1 2000); do echo "content of $i" >"$S/many/$i"; done
gs_run 0 "D: agent init" A init
deleter() { local i; for i in $(seq 2000 -1 1); do rm -f "$S/many/$i"; done; }
gs_bg deleter
del=$GS_BG_PID
gs_run '0|4' "D: backup while files are being deleted exits 0 or 4" A backup
kill -9 "$del" 2>/dev/null
wait "$del" 2>/dev/null
if [ "$GS_RC" = 4 ]; then
	gs_err_has "made with warnings: [1-9][0-9]* vanished, 0 changed, 0 unreadable" \
		"D: exit 4, and the summary counts vanished files (nothing was unreadable)"
	mapfile -t named < <(grep -aoE "$S/many/[0-9]+" "$GS_ERR" | sed "s|$S/many/||" | sort -u)
	still=()
	for f in "${named[@]}"; do [ -e "$S/many/$f" ] && still+=("$f"); done
	[ "${#named[@]}" -gt 0 ] && [ "${#still[@]}" = 0 ] &&
		gs_pass "D: each of the ${#named[@]} files named on stderr is really gone" ||
		{ gs_fail "D: ${#still[@]} of the ${#named[@]} files named on stderr still exist: ${still[*]:0:5}"; gs_show "$GS_ERR" 6; }
else
	gs_say "D: the deletions did not overlap the backup this time (exit 0)"
fi
gs_run 0 "D: check --read-data" R check --tenant acme --read-data
if gs_run 0 "D: restore" R restore --tenant acme --target "$T/D/out"; then
	bad=0
	for f in "$T/D/out/many"/*; do
		[ -e "$f" ] || continue
		[ "$(cat "$f")" = "content of ${f##*/}" ] || bad=$((bad + 1))
	done
	[ "$bad" = 0 ] && gs_pass "D: every restored file has its right content ($(ls "$T/D/out/many" | wc -l) files)" ||
		gs_fail "D: $bad restored files have wrong content"
fi

# ---- E: a background writer ---------------------------------------------
gs_say "E: a file appended to by a bounded background writer during the backup"
setup E
head -c $((64 << 20)) /dev/urandom >"$S/growing"
echo steady >"$S/steady"
gs_run 0 "E: agent init" A init
size0=$(stat -c %s "$S/growing")
writer() { local i; for ((i = 0; i < 5000000; i++)); do echo x >>"$S/growing"; done; }
gs_bg writer
wr=$GS_BG_PID
gs_wait_until 30 test "$(stat -c %s "$S/growing")" -gt "$size0" ||
	gs_wait_until 30 bash -c '[ "$(stat -c %s "$1")" -gt "$2" ]' _ "$S/growing" "$size0" ||
	gs_fail "E: the writer never started"
gs_run 4 "E: backup while the file grows exits 4" A backup
kill -9 "$wr" 2>/dev/null
wait "$wr" 2>/dev/null
gs_err_has "$S/growing: changed" "E: stderr names the growing file"
valid_snapshot E "$S" --exclude growing
if [ -f "$T/E/out/growing" ]; then
	got=$(stat -c %s "$T/E/out/growing")
	gs_check "E: the restored file is a prefix of the file now, at least its first $size0 bytes" \
		bash -c '[ "$1" -ge "$2" ] && cmp -s -n "$1" "$3" "$4"' _ "$got" "$size0" "$T/E/out/growing" "$S/growing"
else
	gs_fail "E: the growing file is missing from the restore"
fi
gs_finish
