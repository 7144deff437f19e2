#!/bin/bash
# 12-restore-reads-once: the read engine (issue 8) reads every pack byte a
# restore needs at most once, in requests that cover many chunks, and serves
# every planned chunk from the workers.  A snapshot of several small packs
# (pack_size 1M) with many small files and a few shared (deduplicated)
# files is restored with --stats: the tree is exact, no chunk was read one
# by one (direct_chunks=0), the bytes the engine read from packs are no
# more than the packs hold, the requests are far fewer than the chunks;
# the same for check --read-data, and for an export (which walks in path
# order) at most twice the packs.  The key derivation ran in its own
# process (kdf_peak_kib > 0) and the restore's own peak is reported.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "the restore reads each needed pack byte once, in large requests"
gs_need head seq awk find

S=$T/src
mkdir -p "$S/small" "$S/big" "$S/same" || gs_fatal "mkdir $S"
for i in $(seq 1 400); do
	head -c $((1000 + i * 37)) /dev/urandom >"$S/small/f$i" || gs_fatal "cannot write $S/small/f$i"
done
for i in 1 2 3; do
	head -c $((3 << 20)) /dev/urandom >"$S/big/b$i.bin" || gs_fatal "cannot write $S/big/b$i.bin"
done
# The same content under several names: one chunk, asked for several times.
for i in 1 2 3 4 5; do
	cp "$S/small/f7" "$S/same/copy$i"
done

gs_keygen acme
CFG=$T/geosnap.ini
GS_CFG_AGENT="pack_size = 1M" gs_config "$CFG" acme "$S"
A() { "$GS_AGENT" -c "$CFG" "$@"; }
R() { "$GS_RESTORE" -c "$CFG" "$@"; }
gs_run 0 "agent init" A init || gs_fatal "init failed"
gs_run 0 "backup" A backup || gs_fatal "backup failed"

packs=$(find "$GS_REPO/tenants/acme/packs" -type f ! -name '.gstmp-*' | wc -l)
pack_bytes=$(find "$GS_REPO/tenants/acme/packs" -type f ! -name '.gstmp-*' -printf '%s\n' |
	awk '{s += $1} END {print s + 0}')
[ "$packs" -ge 5 ] && gs_pass "the snapshot spans $packs packs ($pack_bytes bytes)" ||
	gs_fatal "only $packs packs: nothing to test"

# stat FIELD: the value of FIELD in the last "stats:" line of the last run.
stat() {
	grep '^geosnap-restore: stats: ' "$GS_ERR" | tail -n 1 | tr ' ' '\n' |
		awk -F= -v k="$1" '$1 == k {print $2}'
}

# check_reads WHAT LIMIT: the last run's stats show every chunk served by
# the engine, at most LIMIT bytes of packs read by it, few requests.
check_reads() {
	local what=$1 limit=$2 direct bytes reqs kdf peak
	direct=$(stat direct_chunks)
	bytes=$(stat data_read_bytes)
	reqs=$(stat read_requests)
	kdf=$(stat kdf_peak_kib)
	peak=$(stat peak_kib)
	if [ -z "$direct" ] || [ -z "$bytes" ] || [ -z "$reqs" ]; then
		gs_fail "$what: no stats line on stderr"
		gs_show "$GS_ERR"
		return
	fi
	[ "$direct" = 0 ] && gs_pass "$what: every chunk came from the read engine (direct_chunks=0)" ||
		gs_fail "$what: $direct chunks were read one by one"
	[ "$bytes" -le "$limit" ] &&
		gs_pass "$what: the engine read $bytes bytes of packs, no more than $limit" ||
		gs_fail "$what: the engine read $bytes bytes of packs, more than $limit"
	[ "$reqs" -lt 100 ] &&
		gs_pass "$what: $reqs read requests for 400+ chunks" ||
		gs_fail "$what: $reqs read requests (a chunk at a time?)"
	[ "${kdf:-0}" -gt 0 ] && [ "${peak:-0}" -gt 0 ] &&
		gs_pass "$what: the key derivation ran in its own process (${kdf} KiB), the command peaked at ${peak} KiB" ||
		gs_fail "$what: kdf_peak_kib='$kdf' peak_kib='$peak'"
}

gs_run 0 "restore --stats" R restore --tenant acme --target "$T/out" --stats
gs_treecmp "the restored tree is exact" "$S" "$T/out"
# In manifest order, which is the order the backup filled the packs in:
# no byte of a pack is read twice.
check_reads restore "$pack_bytes"

gs_run 0 "export --stats" R export --tenant acme --format tar --output "$T/out.tar" --stats
# In path order: a pack's parts may be needed in several windows, and the
# gaps read through (up to 256 KiB) may be read again, but not whole packs.
check_reads export $((pack_bytes * 2))

gs_run 0 "check --read-data --stats" R check --tenant acme --read-data --stats
# Every chunk of every pack, each pack planned whole.
check_reads "check --read-data" "$pack_bytes"
gs_finish
