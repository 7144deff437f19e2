#!/usr/bin/env bash
# Retention with keep_last = 2 on the local repository and a remote behind
# a real sshd: four backups of different data, shipped; `expire --dry-run`
# prints the decision and changes nothing on either copy (listings with
# sizes, modes and mtimes compared before and after); `expire` removes the
# two oldest snapshot records from both copies, says why for each, writes
# one "expire" record per copy, and the two kept snapshots still restore
# exactly from both copies; a second expire has nothing to do; `run`
# (backup, ship, verify, expire) keeps two again and `verify --full` of the
# remote passes afterwards.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
expire_begin "keep_last = 2: dry run, expire on both copies, restores"

four_backups
gs_run 0 "ship the four snapshots to fi1" "$GS_AGENT" ship
[ "$(remote_snaps | wc -l)" = 4 ] && gs_pass "the remote holds the four snapshots" ||
	gs_fail "the remote holds $(remote_snaps | wc -l) snapshots, not 4"
OLD="$(printf '%s\n' "${S[0]}" "${S[1]}" | sort)"
OLD1=$(tr '\n' ' ' <<<"$OLD" | sed 's/ $//')
NEW="$(printf '%s\n' "${S[2]}" "${S[3]}" | sort)"
NEW1=$(tr '\n' ' ' <<<"$NEW" | sed 's/ $//')

# ---- --dry-run changes nothing --------------------------------------------
copies_manifest >"$T/before.manifest"
nrec=$(expire_records | wc -l)
gs_run 0 "expire --dry-run" "$GS_AGENT" expire --dry-run
copies_manifest >"$T/after.manifest"
if cmp -s "$T/before.manifest" "$T/after.manifest"; then
	gs_pass "--dry-run: both copies are exactly as before ($(wc -l <"$T/before.manifest") entries)"
else
	gs_fail "--dry-run changed a copy"
	diff "$T/before.manifest" "$T/after.manifest" | head -20 | sed 's/^/#   | /'
fi
[ "$(expire_records | wc -l)" = "$nrec" ] && gs_pass "--dry-run: no expire record" ||
	gs_fail "--dry-run wrote an expire record"
[ ! -e "$GS_STATE/pending-expire" ] && gs_pass "--dry-run: no pending-expire file" ||
	gs_fail "--dry-run wrote $GS_STATE/pending-expire"
gs_check "--dry-run prints REMOVE for the oldest" grep -qE "^acme +REMOVE ${S[0]} .*not kept by any rule" "$GS_OUT"
gs_check "--dry-run prints KEEP 'last 1' for the newest" grep -qE "^acme +KEEP +${S[3]} .*last 1" "$GS_OUT"
gs_check "--dry-run prints KEEP 'last 2' for the second newest" grep -qE "^acme +KEEP +${S[2]} .*last 2" "$GS_OUT"
gs_err_has "would delete 2 snapshots" "--dry-run says what it would delete on fi1"

# ---- expire ----------------------------------------------------------------
gs_run 0 "expire" "$GS_AGENT" expire
[ "$(local_snaps)" = "$NEW" ] && gs_pass "the local copy keeps exactly the two newest" ||
	{ gs_fail "the local copy holds other snapshots"; local_snaps | sed 's/^/#   | /'; }
[ "$(remote_snaps)" = "$NEW" ] && gs_pass "the remote keeps exactly the two newest" ||
	{ gs_fail "the remote holds other snapshots"; remote_snaps | sed 's/^/#   | /'; }
gs_check "expire printed REMOVE for the second oldest" grep -qE "^acme +REMOVE ${S[1]} " "$GS_OUT"
[ "$(rec_field 2 copy)/$(rec_field 1 copy)" = "local/fi1" ] &&
	gs_pass "one expire record for the local copy, then one for fi1" ||
	gs_fail "expire records: $(rec_field 2 copy)/$(rec_field 1 copy)"
for n in 1 2; do
	[ "$(rec_field $n removed_snapshots)" = "$OLD1" ] &&
		[ "$(rec_field $n kept_snapshots)" = "$NEW1" ] &&
		[ "$(rec_field $n result)" = ok ] &&
		gs_pass "the $(rec_field $n copy) record names the removed and kept snapshots" ||
		gs_fail "the $(rec_field $n copy) record: removed $(rec_field $n removed_snapshots), kept $(rec_field $n kept_snapshots)"
done
[ ! -e "$GS_STATE/pending-expire/acme@fi1" ] && gs_pass "nothing pending for fi1" ||
	gs_fail "a pending-expire file is left for fi1"
for s in "${S[2]}" "${S[3]}"; do
	restores_exactly "after expire" local "$s"
	restores_exactly "after expire" fi1 "$s"
done
gs_run 2 "a removed snapshot no longer restores from fi1" \
	"$GS_RESTORE" restore --tenant acme --from fi1 --snapshot "${S[0]}" --target "$T/gone"
gs_err_has "no snapshot ${S[0]}" "the removed snapshot is unknown to the restore"

# ---- again: nothing to do; then the nightly run ------------------------------
copies_manifest >"$T/before.manifest"
gs_run 0 "a second expire" "$GS_AGENT" expire
gs_check "the second expire removes nothing" test "$(grep -c REMOVE "$GS_OUT")" = 0
version_backup
S+=("$SNAP")
gs_run 0 "the nightly run (backup, ship, verify, expire)" "$GS_AGENT" run
[ "$(local_snaps | wc -l)" = 2 ] && [ "$(remote_snaps | wc -l)" = 2 ] &&
	gs_pass "after the run both copies hold two snapshots" ||
	gs_fail "after the run: $(local_snaps | wc -l) local, $(remote_snaps | wc -l) remote snapshots"
[ "$(remote_snaps)" = "$(local_snaps)" ] && gs_pass "both copies hold the same snapshots" ||
	gs_fail "the copies hold different snapshots"
gs_run 0 "verify --full of the remote after the run" "$GS_AGENT" verify --full
gs_run 0 "status after the run" "$GS_AGENT" status
gs_out_has "^expire " "status shows the expire step"
gs_finish
