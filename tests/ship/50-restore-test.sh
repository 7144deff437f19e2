#!/usr/bin/env bash
# geosnap-restore test (issue 10): a full restore test from the remote
# (the default: the first remote) exits 0, checks every file and compares
# the unchanged ones with the live source, removes its scratch directory,
# appends a restore-test record that stock `minisign -V` verifies and ships
# the log to the remote; -q
# prints nothing; a sample records its seed and list hash, and --seed
# reproduces the same list; a live source file with the snapshot's size
# and mtime but other content is a mismatch (exit 1); a changed one is
# not compared.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
rtest_begin "restore test: full and sampled, the signed record, the live source"

nfiles=$(find "$T/data/acme" -type f | wc -l)
n0=$(nrec)

# ---- a full test from the remote --------------------------------------
gs_run 0 "test --tenant acme (default: the first remote, full)" \
	"$GS_RESTORE" test --tenant acme --scratch "$T/scratch"
scratch_empty "full test"
gs_out_has "restore test of tenant acme from fi1, snapshot [0-9a-f]{12}, full: ok" \
	"the summary names the tenant, the remote, the snapshot and the result"
[ "$(nrec)" = $((n0 + 1)) ] && gs_pass "one restore-test record appended" ||
	gs_fail "restore-test records: $(nrec), wanted $((n0 + 1))"
for f in "from fi1" "status 0" "result ok" "sample full" "seed null" "list_hash null" \
	"mismatches 0" "source_mismatches 0" "message null" "tenant acme" \
	"files_checked $nfiles" "snapshot_files $nfiles" "source_compared $nfiles"; do
	set -- $f
	v=$(rec "$1")
	[ "$v" = "$2" ] && gs_pass "record: $1 = $2" || gs_fail "record: $1 = $v, wanted $2"
done
bytes=$(find "$T/data/acme" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
[ "$(rec bytes_checked)" = "$bytes" ] && gs_pass "record: bytes_checked = $bytes (the source's)" ||
	gs_fail "record: bytes_checked = $(rec bytes_checked), the source holds $bytes"
snap=$(rec snapshot)
[ -n "$(gs_snaps acme "$GS_REPO" | grep -x "$snap")" ] &&
	gs_pass "record: snapshot $snap is the tenant's" || gs_fail "record: snapshot '$snap' is not a snapshot of acme"
python3 - "$(rec ttfb_s)" "$(rec duration_s)" "$(rec throughput_mib_s)" <<'PY' &&
import sys
t, d, mib = (float(v) for v in sys.argv[1:])
sys.exit(0 if 0 < t <= d and mib > 0 else 1)
PY
	gs_pass "record: 0 < ttfb_s ($(rec ttfb_s)) <= duration_s ($(rec duration_s)), throughput $(rec throughput_mib_s) MiB/s" ||
	gs_fail "record: ttfb_s $(rec ttfb_s), duration_s $(rec duration_s), throughput_mib_s $(rec throughput_mib_s)"
gs_check "stock minisign -Vm verifies every segment of the log" log_verifies "$T"
# shipped: the segment holding the record is on fi1, under log/testhost/
line=$(rec_line)
shipped=$(grep -lxF -- "$line" "$T"/remote/log/testhost/audit.*.jsonl 2>/dev/null | head -1)
[ -n "$shipped" ] && gs_pass "the record was shipped to fi1: $(basename "$shipped")" ||
	gs_fail "no segment on fi1 holds the record"
gs_check "stock minisign -Vm verifies the shipped segments on fi1" log_verifies "$T/remote/log/testhost"

# ---- quiet ------------------------------------------------------------
gs_run 0 "test -q from local" "$GS_RESTORE" -q test --tenant acme --from local --scratch "$T/scratch"
[ ! -s "$GS_OUT" ] && [ ! -s "$GS_ERR" ] && gs_pass "-q: nothing at all on success" ||
	{ gs_fail "-q printed something"; gs_show "$GS_OUT"; gs_show "$GS_ERR"; }
[ "$(rec from)" = local ] && [ "$(rec status)" = 0 ] && gs_pass "record: from local, status 0" ||
	gs_fail "record: from $(rec from), status $(rec status)"
scratch_empty "test from local"

# ---- a sample, and the same sample again -----------------------------
gs_run 0 "test --sample 30" "$GS_RESTORE" test --tenant acme --sample 30 --scratch "$T/scratch"
seed=$(rec seed)
lh=$(rec list_hash)
want=$(((nfiles * 30 + 99) / 100))
[ "$(rec sample)" = "30%" ] && gs_pass "record: sample 30%" || gs_fail "record: sample $(rec sample)"
[[ $seed =~ ^[0-9]+$ ]] && gs_pass "record: seed $seed" || gs_fail "record: seed '$seed'"
[[ $lh =~ ^[0-9a-f]{64}$ ]] && gs_pass "record: list_hash $lh" || gs_fail "record: list_hash '$lh'"
[ "$(rec files_checked)" = "$want" ] && [ "$(rec snapshot_files)" = "$nfiles" ] &&
	gs_pass "record: $want of $nfiles files checked (30%, rounded up)" ||
	gs_fail "record: files_checked $(rec files_checked) of $(rec snapshot_files), wanted $want of $nfiles"
scratch_empty "sampled test"
gs_run 0 "test --sample 30 --seed $seed (the same sample)" \
	"$GS_RESTORE" test --tenant acme --sample 30% --seed "$seed" --scratch "$T/scratch"
[ "$(rec seed)" = "$seed" ] && [ "$(rec list_hash)" = "$lh" ] &&
	gs_pass "--seed $seed: the same list_hash" || gs_fail "--seed $seed: list_hash $(rec list_hash), wanted $lh"
gs_run 0 "test --sample 30 --seed $((seed ^ 1))" \
	"$GS_RESTORE" test --tenant acme --sample 30 --seed "$((seed ^ 1))" --scratch "$T/scratch"
[ "$(rec list_hash)" != "$lh" ] && gs_pass "another seed: another list_hash" ||
	gs_fail "another seed gave the same list_hash"
gs_run 2 "--seed without --sample: usage" "$GS_RESTORE" test --tenant acme --seed 1
gs_run 2 "--sample 0: usage" "$GS_RESTORE" test --tenant acme --sample 0
gs_run 2 "--full with --sample: usage" "$GS_RESTORE" test --tenant acme --full --sample 5

# ---- the live source ----------------------------------------------------
# numbers.txt with other content of the same size, its mtime put back:
# the source no longer matches the snapshot although it looks unchanged.
src=$T/data/acme/numbers.txt
cp -p "$src" "$T/numbers.orig"
python3 "$GS_TESTS_LIB/corrupt.py" "$src" flip middle >/dev/null && touch -r "$T/numbers.orig" "$src"
gs_run 1 "a source file changed behind its mtime: exit 1" \
	"$GS_RESTORE" test --tenant acme --scratch "$T/scratch"
gs_err_has "numbers.txt: the live source .* has the snapshot's size and mtime but other content" \
	"the file is named"
[ "$(rec source_mismatches)" = 1 ] && [ "$(rec mismatches)" = 0 ] && [ "$(rec status)" = 1 ] &&
	[ "$(rec result)" = problem ] && gs_pass "record: source_mismatches 1, mismatches 0, status 1, problem" ||
	gs_fail "record: source_mismatches $(rec source_mismatches) mismatches $(rec mismatches) status $(rec status)"
rec message | grep -q "numbers.txt" && gs_pass "record: the message names the file" ||
	gs_fail "record: message $(rec message)"
scratch_empty "source mismatch"
# a file changed the ordinary way (new mtime) is not compared
cp "$T/numbers.orig" "$src" && touch -d '2001-01-01' "$src"
gs_run 0 "a source file with a new mtime: not compared, exit 0" \
	"$GS_RESTORE" test --tenant acme --scratch "$T/scratch"
[ "$(rec source_compared)" = $((nfiles - 1)) ] &&
	gs_pass "record: source_compared $((nfiles - 1)) (the changed file left out)" ||
	gs_fail "record: source_compared $(rec source_compared), wanted $((nfiles - 1))"
gs_check "stock minisign -Vm still verifies every segment of the log" log_verifies "$T"
gs_finish
