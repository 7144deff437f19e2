#!/usr/bin/env bash
# M3: a snapshot dated in the year 2100, forged with the write key and
# shipped by the next (genuine) nightly run.  "latest" refuses it, from the
# local repository and from the remote, naming it and telling the operator
# to pass --snapshot ID; restore, ls and export name the snapshot they chose;
# both `snapshots` flag it FUTURE; `check` names it as a problem; the volume
# parity of `run` and `verify` is that of the genuine snapshot; every
# snapshot made before, and the genuine one after, still restores exactly.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
hostile_begin "a snapshot dated in the year 2100"
gs_need tar

evil evil_future >"$T/forged"
FSNAP=$(awk '$1 == "snapshot" {print $2}' "$T/forged")
[[ "$FSNAP" =~ ^[0-9a-f]{32}$ ]] || gs_fatal "evil_future printed no snapshot name"
gs_say "forged: snapshot $FSNAP, dated 2100-01-01"

printf 'genuine, after the forgery\n' >"$T/data/acme/after.txt"
gs_run 0 "the genuine nightly run after the forgery" "$GS_AGENT" run
SNAP1=$(gs_new_snap acme "$SNAP0" "$FSNAP") || gs_fatal "no genuine snapshot after the forgery"
gs_manifest "$T/data/acme" "$T/src1.json"
[ -f "$T/remote/tenants/acme/snapshots/$FSNAP" ] && gs_pass "the forged snapshot is on the remote" ||
	gs_fail "the forged snapshot was not shipped"

# ---- "latest" refuses the future-dated snapshot ---------------------------
for from in local fi1; do
	gs_run 1 "restore --snapshot latest from $from refuses" \
		"$GS_RESTORE" restore --tenant acme --from "$from" --snapshot latest --target "$T/latest-$from"
	gs_err_has "snapshot $FSNAP .*is dated 2100-01-01T00:00:00Z" \
		"from $from: the refusal names the forged snapshot and its claimed time"
	gs_err_has "choose a snapshot with --snapshot ID" "from $from: the refusal says to pass --snapshot ID"
	gs_err_has "snapshots" "from $from: the refusal points to the snapshots command"
	[ ! -e "$T/latest-$from" ] && gs_pass "from $from: nothing was restored" ||
		gs_fail "from $from: the refused restore created its target"
	if grep -qE "snapshot ($SNAP0|$SNAP1) .*chosen" "$GS_ERR"; then
		gs_fail "from $from: latest fell back to an older snapshot silently"
	else
		gs_pass "from $from: latest does not fall back to an older snapshot"
	fi
done
gs_run 1 "restore without --snapshot (the latest) refuses too" \
	"$GS_RESTORE" restore --tenant acme --target "$T/latest-default"
gs_err_has "$FSNAP" "restore without --snapshot names the forged snapshot"
gs_run 1 "ls latest refuses" "$GS_RESTORE" ls --tenant acme latest
gs_err_has "$FSNAP" "ls latest names the forged snapshot"
gs_check "ls latest lists nothing" test ! -s "$GS_OUT"
gs_run 1 "export --snapshot latest refuses" \
	"$GS_RESTORE" export --tenant acme --snapshot latest --format tar --output "$T/latest.tar"
gs_err_has "$FSNAP" "export latest names the forged snapshot"
[ ! -e "$T/latest.tar" ] && gs_pass "export latest wrote no archive" ||
	gs_fail "export latest wrote an archive"

# ---- restore, ls and export say which snapshot they chose ----------------
# The genuine snapshot's time as `snapshots --json` shows it.
gs_run 0 "restore snapshots --json" "$GS_RESTORE" snapshots --tenant acme --json
TIME1=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j["id"] == sys.argv[2]:
        print(j["time"])' "$GS_OUT" "$SNAP1")
[[ "$TIME1" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]] || gs_fatal "no time for $SNAP1 in snapshots --json"
CHOSEN1="snapshot $SNAP1 \\($TIME1, host testhost\\) chosen by its ID"
gs_run 0 "restore -q --snapshot ${SNAP1:0:12} (a prefix)" \
	"$GS_RESTORE" restore -q --tenant acme --snapshot "${SNAP1:0:12}" --target "$T/chosen"
gs_err_has "$CHOSEN1" "restore (even with -q) prints the chosen snapshot's full ID and time on stderr"
gs_treecmp "the chosen genuine snapshot restores exactly" "$T/src1.json" "$T/chosen"
gs_run 0 "ls --snapshot $SNAP1" "$GS_RESTORE" ls --tenant acme --snapshot "$SNAP1"
gs_err_has "$CHOSEN1" "ls prints the chosen snapshot's ID and time on stderr"
gs_check "ls keeps stdout the listing alone" \
	bash -c "grep -q ' after.txt\$' '$GS_OUT' && ! grep -qE 'chosen|$SNAP1' '$GS_OUT'"
gs_run 0 "export --snapshot $SNAP1 to stdout" \
	bash -c "'$GS_RESTORE' export --tenant acme --snapshot '$SNAP1' --format tar --output - >'$T/x1.tar'"
gs_err_has "$CHOSEN1" "export prints the chosen snapshot's ID and time on stderr"
gs_check "export to stdout is a clean archive (tar lists it)" \
	bash -c "tar -tf '$T/x1.tar' | grep -qx 'after.txt'"
gs_run 0 "restore the forged snapshot by its ID from fi1 (the operator's explicit choice)" \
	"$GS_RESTORE" restore --tenant acme --from fi1 --snapshot "$FSNAP" --target "$T/forged-restore"
gs_err_has "snapshot $FSNAP \\(2100-01-01T00:00:00Z, host testhost\\) chosen by its ID; it is dated in the future" \
	"restoring the forged snapshot by ID says it is dated in the future"

# ---- snapshots flag it; check names it -------------------------------------
for from in local fi1; do
	gs_run 0 "restore snapshots from $from" "$GS_RESTORE" snapshots --tenant acme --from "$from"
	gs_out_has "^${FSNAP:0:12} +2100-01-01T00:00:00Z .* FUTURE\$" "from $from: snapshots flags the forged one FUTURE"
	gs_check "from $from: snapshots flags no genuine snapshot" \
		bash -c "! grep -E '^(${SNAP0:0:12}|${SNAP1:0:12}) .*FUTURE' '$GS_OUT'"
	gs_err_has "snapshot $FSNAP .*is dated 2100-01-01T00:00:00Z" "from $from: snapshots names it on stderr"
done
gs_run 0 "restore snapshots --json" "$GS_RESTORE" snapshots --tenant acme --json
gs_check "snapshots --json: \"future\" is true for the forged one only" python3 -c '
import json, sys
f = {json.loads(l)["id"]: json.loads(l)["future"] for l in open(sys.argv[1])}
assert f == {sys.argv[2]: True, sys.argv[3]: False, sys.argv[4]: False}, f' "$GS_OUT" "$FSNAP" "$SNAP0" "$SNAP1"
gs_run 0 "agent snapshots" "$GS_AGENT" snapshots --tenant acme
gs_out_has "^acme +${FSNAP:0:12} +2100-01-01T00:00:00Z .* FUTURE\$" "agent snapshots flags the forged one FUTURE"
gs_check "agent snapshots flags no genuine snapshot" \
	bash -c "! grep -E '(${SNAP0:0:12}|${SNAP1:0:12}) .*FUTURE' '$GS_OUT'"
gs_err_has "snapshot $FSNAP is dated 2100-01-01T00:00:00Z" "agent snapshots names it on stderr"
gs_run 0 "agent snapshots --json" "$GS_AGENT" snapshots --tenant acme --json
gs_check "agent snapshots --json: \"future\" is true for the forged one only" python3 -c '
import json, sys
f = {json.loads(l)["id"]: json.loads(l)["future"] for l in open(sys.argv[1])}
assert f == {sys.argv[2]: True, sys.argv[3]: False, sys.argv[4]: False}, f' "$GS_OUT" "$FSNAP" "$SNAP0" "$SNAP1"
for from in local fi1; do
	gs_run 1 "check from $from finds the future-dated snapshot" \
		"$GS_RESTORE" check --tenant acme --from "$from"
	gs_err_has "snapshot $FSNAP .*is dated 2100-01-01T00:00:00Z" "check from $from names the forged snapshot"
	gs_check "check from $from names no genuine snapshot" \
		bash -c "! grep -E '$SNAP0|$SNAP1' '$GS_ERR'"
done

# ---- verify's volume parity is the genuine snapshot's --------------------
# last_verify: "snapshot files" of the last volume-parity record (a verify
# record without a remote) in the audit log.
last_verify() {
	python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
v = [x for x in r if x["event"] == "verify" and x["remote"] is None]
print(v[-1]["snapshot"], v[-1]["files"], v[-1]["result"]) if v else print("none")' "$T/audit.jsonl"
}
gs_run 0 "agent snapshots --json (entries of the genuine snapshot)" "$GS_AGENT" snapshots --tenant acme --json
ENTRIES1=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j["id"] == sys.argv[2]:
        print(j["entries"])' "$GS_OUT" "$SNAP1")
[[ "$ENTRIES1" =~ ^[0-9]+$ ]] && [ "$ENTRIES1" -gt 1 ] || gs_fatal "no entry count for $SNAP1"
# the forged snapshot holds 1 entry: a record of its parity would say files 1
got=$(last_verify)
[ "$got" = "$SNAP1 $ENTRIES1 ok" ] && gs_pass "run's volume parity record names the snapshot the run made" ||
	gs_fail "run's volume parity record: '$got', wanted '$SNAP1 $ENTRIES1 ok'"
gs_run 0 "verify after the genuine run" "$GS_AGENT" -v verify --tenant acme
gs_err_has "volume parity of snapshot $SNAP1: $ENTRIES1 entries" "verify checks the genuine snapshot, not the forged one"
got=$(last_verify)
[ "$got" = "$SNAP1 $ENTRIES1 ok" ] && gs_pass "verify's record names the genuine snapshot" ||
	gs_fail "verify's record: '$got', wanted '$SNAP1 $ENTRIES1 ok'"
# Without the last backup's record: the newest snapshot not dated in the future.
mv "$GS_STATE/acme.scan" "$T/acme.scan" || gs_fatal "no $GS_STATE/acme.scan"
gs_run 0 "verify without the last backup's record" "$GS_AGENT" verify --tenant acme
gs_err_has "no record of the last backup .*checking the newest snapshot not dated in the future, $SNAP1" \
	"verify says it falls back, and to the genuine snapshot"
got=$(last_verify)
[ "$got" = "$SNAP1 $ENTRIES1 ok" ] && gs_pass "the fallback's record names the genuine snapshot" ||
	gs_fail "the fallback's record: '$got', wanted '$SNAP1 $ENTRIES1 ok'"
mv "$T/acme.scan" "$GS_STATE/acme.scan"
# The genuine snapshot gone from the local repository: a greatest-time
# verify would check the forged one and say ok.
mv "$GS_REPO/tenants/acme/snapshots/$SNAP1" "$T/snap1.obj" || gs_fatal "cannot move $SNAP1 aside"
gs_run 1 "verify when the last backup's snapshot is gone" "$GS_AGENT" verify --tenant acme
gs_err_has "snapshot $SNAP1, recorded by the last backup in .*acme.scan, is not in the local repository" \
	"verify names the genuine snapshot as missing instead of checking the forged one"
mv "$T/snap1.obj" "$GS_REPO/tenants/acme/snapshots/$SNAP1" || gs_fatal "cannot put $SNAP1 back"

# ---- everything genuine still restores exactly ---------------------------
restores_exactly "$SNAP0" "$T/src0.json" "before the forgery"
restores_exactly "$SNAP1" "$T/src1.json" "after the forgery"
gs_finish
