# lib.sh -- what the whole-program tests share: gs_begin (the programs, a
# scratch directory, keys and passphrase), configurations, trees and what
# a restore left behind.  Used by tests/scenario/ and, through their own
# lib.sh, golden/, ship/ and hostile/.  Sourced, never run (CTest skips
# files named lib.sh).
#
# Environment (set by CTest, see tests/CMakeLists.txt):
#   GS_AGENT, GS_RESTORE   paths of geosnap-agent and geosnap-restore
#   GS_SRC                 the source tree; GS_BUILD the build tree (optional)
#   GS_KEEP=1              keep the scratch directory for a post-mortem
#
# Each test:
#   . "$(dirname "$0")/lib.sh"
#   gs_begin "what the test is about"
#   ... gs_run / gs_check / gs_pass / gs_fail ...
#   gs_finish                       prints "N passed, M failed", exit status
#
# The TAP helpers (gs_run, gs_check, gs_pass ...) are tests/lib/harness.sh's,
# the repository layout helpers (gs_snaps, gs_objects ...) tests/lib/repo.sh's.
# shellcheck shell=bash source-path=SCRIPTDIR

# shellcheck source=../lib/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
# shellcheck source=../lib/repo.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/repo.sh"

GS_SCENARIO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# gs_begin TITLE: check the environment, make the scratch directory $T and
# the passphrase file, and install the cleanup trap.
gs_begin() {
	gs_start "$*"
	local v
	for v in GS_AGENT GS_RESTORE; do
		if [ -z "${!v:-}" ]; then
			gs_fatal "\$$v is not set (CTest sets it; by hand: $v=/path/to/program)"
		fi
		[ -x "${!v}" ] || gs_fatal "\$$v=${!v} is not an executable"
	done
	gs_need python3 mktemp stat find
	gs_scratch
	GS_REPO=$T/repo
	GS_STATE=$T/state
	GS_KEYS=$T/keys
	mkdir -p "$GS_KEYS" && chmod 700 "$GS_KEYS"
	GS_PASS_FILE=$T/passphrase
	(umask 077 && printf 'correct horse battery staple %s\n' "$RANDOM" >"$GS_PASS_FILE")
	export GEOSNAP_PASSPHRASE_FILE=$GS_PASS_FILE
	export GEOSNAP_PWHASH=interactive
	unset GEOSNAP_CONFIG
}

# ---- keys, configuration, programs -------------------------------------

# gs_keygen TENANT [DIR]: make DIR/TENANT.write and DIR/TENANT.read.
gs_keygen() {
	local dir=${2:-$GS_KEYS}
	"$GS_RESTORE" keygen --tenant "$1" --out "$dir" >"$T/keygen.out" 2>&1 ||
		{ gs_show "$T/keygen.out"; gs_fatal "keygen --tenant $1 --out $dir failed"; }
}

# gs_config FILE TENANT SOURCE...: write a configuration for one tenant with
# the repository $GS_REPO and state $GS_STATE.  $GS_CFG_AGENT and
# $GS_CFG_TENANT, when set, are extra lines for the two sections.
gs_config() {
	local f=$1 t=$2 s
	shift 2
	{
		echo "[agent]"
		echo "host = scenario-host"
		echo "region = eu-central"
		echo "repository = $GS_REPO"
		echo "state_dir = $GS_STATE"
		[ -z "${GS_CFG_AGENT:-}" ] || printf '%s\n' "$GS_CFG_AGENT"
		echo
		echo "[tenant \"$t\"]"
		for s in "$@"; do
			echo "source = $s"
		done
		echo "write_key = $GS_KEYS/$t.write"
		echo "read_key = $GS_KEYS/$t.read"
		[ -z "${GS_CFG_TENANT:-}" ] || printf '%s\n' "$GS_CFG_TENANT"
	} >"$f"
}

# ---- trees --------------------------------------------------------------

# gs_manifest DIR OUT [--exclude REL]...: record DIR's state in OUT.
gs_manifest() {
	python3 "$GS_SCENARIO_DIR/treecmp.py" snap "$@" >"$T/manifest.out" 2>&1 ||
		{ gs_show "$T/manifest.out"; gs_fatal "recording the state of $1 failed"; }
}

# gs_treecmp WHAT A B [treecmp options]: pass when trees (or manifests) A and
# B are identical; the first differences are shown otherwise.
gs_treecmp() {
	local what=$1 out=$T/treecmp.out
	shift
	if python3 "$GS_SCENARIO_DIR/treecmp.py" cmp "$@" >"$out" 2>&1; then
		gs_pass "$what ($(sed -n 's/^treecmp: \([0-9]*\) entries identical.*/\1 entries/p' "$out"))"
		return 0
	fi
	gs_fail "$what"
	gs_show "$out" 30
	return 1
}

# gs_make_tree DIR: a tree with every kind of entry and awkward metadata.
# Needs root (ownership, a mode-000 directory, trusted.* xattrs) and a
# filesystem with user xattrs, POSIX ACLs and holes (ext4, xfs, btrfs).
# Complaints go to stderr.
gs_make_tree() {
	local d=$1 long
	mkdir -p "$d" || return 1
	(
		set -e
		cd "$d"
		mkdir -p plain/sub/deeper empty-dir 'dir with spaces' "$(printf 'dir\nnewline')"
		printf 'hello\n' >plain/hello.txt
		: >plain/empty
		: >'empty with spaces'
		head -c 300000 /dev/urandom >plain/sub/random.bin
		# real zero blocks in a file that is not sparse on disk
		{ head -c 5000 /dev/urandom; head -c 20000 /dev/zero; printf 'tail'; } >plain/zeros-inside
		seq 1 200000 >plain/sub/deeper/numbers.txt
		printf 'spaces\n' >'dir with spaces/file with  two  spaces '
		printf 'newline\n' >"$(printf 'dir\nnewline')/$(printf 'name\nwith\nnewlines')"
		printf 'tab\n' >"$(printf 'tab\there')"
		printf 'utf8\n' >'Ωmega-日本語-🎉.txt'
		printf 'cafe\n' >"$(printf 'caf\xc3\xa9-nfc')"
		printf 'cafe\n' >"$(printf 'cafe\xcc\x81-nfd')"
		printf 'latin1\n' >"$(printf 'latin1-\xe9\xff-not-utf8')"
		printf 'dash\n' >'-starts-with-dash'
		printf 'dots\n' >'...'
		printf 'dots\n' >'..not-parent'
		printf 'backslash\n' >'back\slash'
		printf 'hidden\n' >.hidden
		printf 'star\n' >'*?[glob]'
		long=$(printf 'L%.0s' $(seq 1 250))
		printf 'long name\n' >"$long"
		mkdir -p a234567890/b234567890/c234567890/d234567890/e234567890/f234567890/g234567890/h234567890/i234567890/j234567890/k234567890
		printf 'deep\n' >a234567890/b234567890/c234567890/d234567890/e234567890/f234567890/g234567890/h234567890/i234567890/j234567890/k234567890/"$long"
		# symlinks: relative, absolute, dangling, to a directory, a loop,
		# a target with a newline, a long target
		ln -s plain/hello.txt link-rel
		ln -s /etc/hostname link-abs
		ln -s does/not/exist link-dangling
		ln -s plain link-to-dir
		ln -s link-loop link-loop
		ln -s "$(printf 'target\nwith newline')" link-newline
		ln -s "$long/$long/$long" link-long-target
		# hard links: three names, across directories, of an empty file
		printf 'linked content\n' >plain/hard1
		ln plain/hard1 plain/sub/hard2
		ln plain/hard1 'dir with spaces/hard 3'
		: >plain/empty-hard1
		ln plain/empty-hard1 plain/empty-hard2
		# FIFO
		mkfifo plain/fifo
		# modes
		printf 'secret\n' >mode000
		chmod 000 mode000
		printf 'suid\n' >suid
		chmod 4755 suid
		printf 'sgid\n' >sgid
		chmod 2710 sgid
		mkdir sticky && chmod 1777 sticky
		mkdir -p closed-dir/inner && printf 'inside\n' >closed-dir/inner/file
		chmod 000 closed-dir/inner/file
		chmod 000 closed-dir/inner
		chmod 000 closed-dir
		printf 'ro\n' >'readonly' && chmod 444 'readonly'
		# ownership
		printf 'owned\n' >owned && chown 1234:5678 owned
		mkdir owned-dir && chown 100000:100001 owned-dir
		ln -s owned owned-link && chown -h 4321:8765 owned-link
		# xattrs, binary values, ACLs
		setfattr -n user.comment -v 'a comment' plain/hello.txt ||
			{ echo "gs_make_tree: cannot set user.* xattrs on $PWD's filesystem (tmpfs before Linux 6.6?); set TMPDIR" >&2; exit 1; }
		setfattr -n user.binary -v 0x00ff10fe plain/hello.txt
		setfattr -n user.empty plain/hello.txt
		setfattr -n user.dir -v yes plain/sub
		setfattr -n user.on-hardlink -v shared plain/hard1
		setfattr -n trusted.symlink -v on-a-symlink link-rel ||
			{ echo "gs_make_tree: cannot set a trusted.* xattr (needs root with CAP_SYS_ADMIN)" >&2; exit 1; }
		setfacl -m u:1234:r--,g:5678:rw- owned &&
			setfacl -d -m u:1234:rwx owned-dir ||
			{ echo "gs_make_tree: cannot set POSIX ACLs on $PWD's filesystem" >&2; exit 1; }
		# times: nanoseconds, before 1970, far future, directories
		touch -h -d '2001-02-03 04:05:06.123456789 UTC' plain/hello.txt link-rel
		touch -d '1969-07-20 20:17:40.5 UTC' plain/empty
		touch -d '2100-01-01 00:00:00.000000001 UTC' 'empty with spaces'
		touch -d '2010-10-10 10:10:10.101010101 UTC' plain/sub/deeper plain/sub empty-dir
	) || return 1
	# the sparse 3 GiB file: a few bytes in the middle, holes around them
	truncate -s 3G "$d/sparse-3g" &&
		printf 'GS-SPARSE-MIDDLE' | dd of="$d/sparse-3g" bs=1 seek=$((1536 * 1024 * 1024)) conv=notrunc status=none &&
		touch -d '2020-02-20 20:20:20.202020202 UTC' "$d/sparse-3g"
}

# gs_present_exact WHAT SRC DST: every regular file below DST is a regular
# file at the same path below SRC with the same bytes (a restore that could
# not restore a file exactly must not leave it behind: what is there is
# right).  Files missing from DST are not this check's business.
gs_present_exact() {
	local what=$1 src=$2 dst=$3 rel n=0 bad=0 out=$T/present.out
	: >"$out"
	while IFS= read -r -d '' rel; do
		n=$((n + 1))
		if [ ! -f "$src/$rel" ] || [ -L "$src/$rel" ]; then
			bad=$((bad + 1))
			echo "$rel: not a regular file of the source" >>"$out"
		elif ! cmp -s -- "$src/$rel" "$dst/$rel"; then
			bad=$((bad + 1))
			echo "$rel: $(stat -c %s -- "$dst/$rel") bytes, other content than the source's $(stat -c %s -- "$src/$rel")" >>"$out"
		fi
	done < <(cd "$dst" && find . -type f -printf '%P\0')
	if [ "$bad" = 0 ]; then
		gs_pass "$what ($n files present, each byte-exact)"
		return 0
	fi
	gs_fail "$what: $bad of the $n files present are not the source's"
	gs_show "$out"
	return 1
}

# gs_missing_files SRC DST: the regular files below SRC (relative paths,
# sorted, one a line) that are not a regular file below DST.
gs_missing_files() {
	local rel
	while IFS= read -r -d '' rel; do
		[ -f "$2/$rel" ] && [ ! -L "$2/$rel" ] || printf '%s\n' "$rel"
	done < <(cd "$1" && find . -type f -printf '%P\0') | sort
}

# gs_stopped_count WHAT: the last gs_run's stderr says how many entries a
# restore that could not go on left out ("N entries not restored", "N of M
# entries were not restored", "N files not restored"); sets GS_STOPPED_N to
# that count (empty when there is none: a failure is reported).
gs_stopped_count() {
	GS_STOPPED_N=$(grep -oE '[0-9]+ (of [0-9]+ )?(entries|files)\b[^:]*not restored' "$GS_ERR" |
		head -n 1 | cut -d' ' -f1)
	if [ -n "$GS_STOPPED_N" ]; then
		gs_pass "$1: the message says $GS_STOPPED_N entries were not restored"
		return 0
	fi
	gs_fail "$1: no \"N entries not restored\" on stderr"
	gs_show "$GS_ERR"
	return 1
}

# gs_named_not_restored WHAT FILE: every path listed in FILE (one a line) is
# named on a line of the last gs_run's stderr that says "not restored".
gs_named_not_restored() {
	local p bad=0 n=0
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		n=$((n + 1))
		grep -F -- "$p:" "$GS_ERR" | grep -q 'not restored' ||
			{ bad=1; gs_say "not named as not restored: $p"; }
	done <"$2"
	if [ "$bad" = 0 ]; then
		gs_pass "$1 ($n named)"
		return 0
	fi
	gs_fail "$1"
	gs_show "$GS_ERR"
	return 1
}

# gs_sparse WHAT FILE: FILE (3 GiB long) occupies less than 1 MiB on disk.
gs_sparse() {
	local bytes
	bytes=$(python3 "$GS_SCENARIO_DIR/treecmp.py" blocks "$2" 2>&1)
	if [[ "$bytes" =~ ^[0-9]+$ ]] && [ "$bytes" -lt 1048576 ]; then
		gs_pass "$1 ($bytes bytes allocated for $(stat -c %s "$2") bytes)"
		return 0
	fi
	gs_fail "$1: $2 has $bytes bytes allocated (holes not preserved)"
	return 1
}
